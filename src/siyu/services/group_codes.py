"""Group live codes (群活码): make them in WeCom (join ways), keep their listed groups right,
count the customers they bring in.

A code belongs to a channel, like a contact way; its pool is an ordered list of the tenant's
customer groups (``wecom_group_chats``, kept by the WeCom sync and the group callbacks). WeCom
lists at most 5 groups on a join way and knows nothing of the pool, so Siyu re-lists them
(:meth:`siyu.domain.group_codes.GroupCode.rotate`, ``update_join_way``) from the groups' member
counts: on every save, and every two minutes from the worker (:func:`recheck_everywhere`), which
first re-reads the listed groups' members from WeCom (``groupchat/get``), so neither a missed
callback nor a slow sync can leave a full group on the code. A threshold under the group limit
(190 of 200) is the margin for joins between two re-checks. A group WeCom dismissed
(``wecom_group_chats.dismissed_at``, set by the dismiss callback) leaves every code's list at
the next re-check and is never listed again; the picker no longer offers it.

Attribution: WeCom's group callback (``change_external_chat`` update/add_member) carries the
join scene and the number who joined, but not the join way's ``state`` (nor who joined). So a
join by QR scan (``JoinScene`` 3) into a group of a live code's pool is counted for that code
and its channel (:func:`record_join`); a group in two live pools is refused, so it is never
ambiguous. A scan of a *different* QR code of the same group (WeCom's own group QR) is counted
too: the limit of attributing by config.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from siyu.adapters.channels.join_ways import JoinWayDraft
from siyu.adapters.channels.port import Channel
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Actor, Permission
from siyu.domain.alerts import AlertKind
from siyu.domain.errors import ChannelError, Conflict, InvalidInput, NotFound
from siyu.domain.group_codes import GROUP_MEMBERS_MAX, GroupCode, GroupCodeDraft, PoolChat, Rotation
from siyu.domain.paging import Page, PageRequest
from siyu.domain.wecom import CallbackEvent, WeComEvent
from siyu.services.alerts import BRAND_TZ
from siyu.services.clock import utcnow
from siyu.services.wecom_settings import ChannelFactory, open_channel

PICKER_MAX = 1000  # groups offered when building a pool
QR_SCAN = "3"  # JoinScene: 0 invited by a member, 1 by a link, 3 by scanning a QR code


def list_group_codes(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest(), *,
                     archived: bool = False) -> Page[GroupCode]:
    actor.require(Permission.CHANNELS_VIEW)
    with uow.reading():
        return uow.group_codes.list(actor.tenant_id, request, archived=archived)


def get_group_code(uow: SqlUnitOfWork, actor: Actor, code_id: int) -> GroupCode:
    actor.require(Permission.CHANNELS_VIEW)
    with uow.reading():
        return _get(uow, actor.tenant_id, code_id)


def _get(uow: SqlUnitOfWork, tenant_id: int, code_id: int) -> GroupCode:
    found = uow.group_codes.get(tenant_id, code_id)
    if found is None:
        raise NotFound("group_code.not_found", "no such group code")
    return found


def pool_of(uow: SqlUnitOfWork, actor: Actor, code: GroupCode) -> list[PoolChat]:
    """Each group of the pool, in order: its members, whether it is full, whether the code lists it."""
    actor.require(Permission.CHANNELS_VIEW)
    with uow.reading():
        rows = uow.group_codes.chats(actor.tenant_id, list(code.chat_ids))
    members, dismissed = _pool_state(rows)
    return [PoolChat(chat_id=c, name=rows[c]["name"] if c in rows else c, members=rows[c]["members"] if c in rows else None,
                     live=c in code.live_chat_ids, full=c not in dismissed and not code.is_open(c, members), dismissed=c in dismissed)
            for c in code.chat_ids]


def pickable_chats(uow: SqlUnitOfWork, actor: Actor) -> list[PoolChat]:
    """The tenant's customer groups (as last synced) to build a pool from, by name."""
    actor.require(Permission.CHANNELS_VIEW)
    with uow.reading():
        rows = uow.group_codes.all_chats(actor.tenant_id, limit=PICKER_MAX)
    return [PoolChat(chat_id=r["chat_id"], name=r["name"], members=r["members"], live=False, full=False) for r in rows]


def joins(uow: SqlUnitOfWork, actor: Actor, code_ids: list[int], *, since: datetime | None = None) -> dict[int, int]:
    """Customers who joined through each code (since a moment, or ever)."""
    actor.require(Permission.CHANNELS_VIEW)
    with uow.reading():
        return uow.group_codes.joins(actor.tenant_id, code_ids, since=since)


def _check(uow: SqlUnitOfWork, actor: Actor, draft: GroupCodeDraft, code_id: int | None, members_max: int) -> None:
    if uow.channels.get(actor.tenant_id, draft.channel_id) is None:
        raise InvalidInput("channel.not_found", "no such channel", field="channel_id")
    if draft.threshold > members_max:
        raise InvalidInput("group_code.bad_threshold", "a group counts as full at 1 to %(max)s members", field="threshold",
                           max=members_max)
    clash = uow.group_codes.find_by_state(actor.tenant_id, draft.state)
    if clash is not None and clash.id != code_id:
        raise Conflict("group_code.state_taken", "another group code already uses this code", field="state")
    known = uow.group_codes.chats(actor.tenant_id, list(draft.chat_ids))
    missing = [c for c in draft.chat_ids if c not in known]
    if missing:
        raise InvalidInput("group_code.unknown_chat", "no customer group “%(chat_id)s”: sync WeCom first", field="chat_ids",
                           chat_id=missing[0][:64])
    if all(known[c]["dismissed_at"] is not None for c in draft.chat_ids):
        raise InvalidInput("group_code.all_dismissed", "every group of the pool was dismissed in WeCom: pick a group that exists",
                           field="chat_ids")
    for other in uow.group_codes.live(actor.tenant_id):
        shared = [c for c in draft.chat_ids if c in other.chat_ids]
        if other.id != code_id and shared:
            raise Conflict("group_code.chat_taken", "“%(chat)s” is already in the pool of “%(other)s”; a group belongs to one code",
                           field="chat_ids", chat=known[shared[0]]["name"], other=other.name)


def _values(draft: GroupCodeDraft) -> dict[str, object]:
    return {"channel_id": draft.channel_id, "name": draft.name, "state": draft.state, "chat_ids": list(draft.chat_ids),
            "threshold": draft.threshold, "auto_create_room": draft.auto_create_room, "room_base_name": draft.room_base_name,
            "room_base_id": draft.room_base_id}


def _wire(code: GroupCode, live: tuple[str, ...]) -> JoinWayDraft:
    return JoinWayDraft(scene=2, remark=code.name, auto_create_room=1 if code.auto_create_room else 0,
                        room_base_name=code.room_base_name if code.auto_create_room else "",
                        room_base_id=code.room_base_id if code.auto_create_room else None, chat_id_list=list(live), state=code.state)


def _pool_state(rows: dict[str, dict[str, Any]]) -> tuple[dict[str, int], frozenset[str]]:
    """The pool's groups' member counts, and which of them are dismissed, from their rows."""
    return ({c: row["members"] for c, row in rows.items()},
            frozenset(c for c, row in rows.items() if row["dismissed_at"] is not None))


def _rotation(uow: SqlUnitOfWork, tenant_id: int, code: GroupCode) -> Rotation:
    return code.rotate(*_pool_state(uow.group_codes.chats(tenant_id, list(code.chat_ids))))


def create_group_code(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor, draft: GroupCodeDraft, *,
                      members_max: int = GROUP_MEMBERS_MAX) -> GroupCode:
    """Record the code and make its join way in WeCom, listing the pool's first open groups."""
    actor.require(Permission.CHANNELS_MANAGE)
    channel = open_channel(uow, box, channels, actor.tenant_id)
    now = utcnow()
    with uow:
        _check(uow, actor, draft, None, members_max)
        code_id = uow.group_codes.add(actor.tenant_id, now=now, **_values(draft))
        code = _get(uow, actor.tenant_id, code_id)
        rotation = _rotation(uow, actor.tenant_id, code)
        config_id = channel.add_join_way(_wire(code, rotation.live))  # a failure here rolls the row back
        qr_code = channel.get_join_way(config_id).qr_code
        uow.group_codes.update(actor.tenant_id, code_id, now=now, config_id=config_id, qr_code=qr_code, live_chat_ids=list(rotation.live),
                               rotated_at=now)
        code = _exhaustion(uow, actor.tenant_id, _get(uow, actor.tenant_id, code_id), rotation.exhausted, now)
        uow.commit()
    return code


def update_group_code(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor, code_id: int,
                      draft: GroupCodeDraft, *, members_max: int = GROUP_MEMBERS_MAX) -> GroupCode:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow.reading():  # another tenant's code is not found, whatever their WeCom settings
        _get(uow, actor.tenant_id, code_id)
    channel = open_channel(uow, box, channels, actor.tenant_id)
    now = utcnow()
    with uow:
        if _get(uow, actor.tenant_id, code_id).archived_at is not None:
            raise Conflict("group_code.archived", "this group code is archived; make a new one")
        _check(uow, actor, draft, code_id, members_max)
        uow.group_codes.update(actor.tenant_id, code_id, now=now, **_values(draft))
        code = _rotate(uow, channel, actor.tenant_id, _get(uow, actor.tenant_id, code_id), now, force=True)
        uow.commit()
    return code


def archive_group_code(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor, code_id: int) -> GroupCode:
    """Delete the join way in WeCom (its code stops working) and keep its history here."""
    actor.require(Permission.CHANNELS_MANAGE)
    with uow.reading():
        _get(uow, actor.tenant_id, code_id)
    channel = open_channel(uow, box, channels, actor.tenant_id)
    now = utcnow()
    with uow:
        code = _get(uow, actor.tenant_id, code_id)
        if code.archived_at is None and code.config_id:
            channel.delete_join_way(code.config_id)
        uow.group_codes.update(actor.tenant_id, code_id, now=now, archived_at=now)
        code = _get(uow, actor.tenant_id, code_id)
        uow.commit()
    return code


# ---- rotation ---------------------------------------------------------------------------------


def relist_in(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, code_id: int, now: datetime) -> GroupCode:
    """Inside a unit of work: re-list one code from its pool as it stands now (a pool just grown)."""
    return _rotate(uow, channel, tenant_id, _get(uow, tenant_id, code_id), now)


def _rotate(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, code: GroupCode, now: datetime, *, force: bool = False) -> GroupCode:
    if code.archived_at is not None or not code.config_id:
        return code
    rotation = _rotation(uow, tenant_id, code)
    if force or rotation.live != code.live_chat_ids:
        if rotation.live:  # every group dismissed: WeCom takes no empty list, the way keeps what it had
            channel.update_join_way(code.config_id, _wire(code, rotation.live))
        uow.group_codes.update(tenant_id, code.id, now=now, live_chat_ids=list(rotation.live), rotated_at=now)
        code = _get(uow, tenant_id, code.id)
    return _exhaustion(uow, tenant_id, code, rotation.exhausted, now)


def _exhaustion(uow: SqlUnitOfWork, tenant_id: int, code: GroupCode, exhausted: bool, now: datetime) -> GroupCode:
    """Mark (and once, notify) a pool that ran out of open groups; clear the mark when one opens."""
    if exhausted == (code.exhausted_at is not None):
        return code
    uow.group_codes.update(tenant_id, code.id, now=now, exhausted_at=now if exhausted else None)
    if exhausted and not code.auto_create_room:
        _notify_exhausted(uow, tenant_id, code, now)
    return _get(uow, tenant_id, code.id)


def _notify_exhausted(uow: SqlUnitOfWork, tenant_id: int, code: GroupCode, now: datetime) -> None:
    """A notification for the owner of the pool's last group (and their store's managers)."""
    rows = uow.group_codes.chats(tenant_id, list(code.chat_ids))
    owner_ids = [rows[c]["owner_staff_id"] for c in reversed(code.chat_ids) if c in rows and rows[c]["owner_staff_id"]]
    owners = uow.staff.many(tenant_id, owner_ids[:1])
    if not owners:
        return  # nobody Siyu knows owns the groups: the console's warning on the code is what is left
    uow.alerts.add(tenant_id, kind=AlertKind.GROUP_CODE_FULL, store_id=owners[0].store_id, staff_id=owners[0].id, customer_id=None,
                   channel_state=code.state, day=now.astimezone(BRAND_TZ).date(), occurred_at=now, now=now, group_code_id=code.id,
                   name=code.name)


def record_join(uow: SqlUnitOfWork, tenant_id: int, event: WeComEvent) -> GroupCode | None:
    """Any callback, inside its unit of work (so no WeCom call here): a group's add_member by QR
    scan is counted for the live code whose pool holds the group. The worker's re-check re-lists
    the code's groups. Returns the code, or None when the event is no code's join."""
    if event.event != CallbackEvent.EXTERNAL_CHAT or event.get("UpdateDetail") != "add_member" or event.get("JoinScene") != QR_SCAN:
        return None
    chat_id, count = event.get("ChatId") or "", event.get("MemChangeCnt") or "1"
    code = next((c for c in uow.group_codes.live(tenant_id) if chat_id in c.chat_ids), None)
    if code is None or not count.isdigit():
        return None
    uow.group_codes.add_join(tenant_id, code.id, chat_id, members=max(int(count), 1), at=event.created_at)
    return code


def recheck_tenant(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, *,
                   now: datetime | None = None) -> int:
    """Re-read the listed groups' members from WeCom, then re-list every live code that needs
    it; returns how many codes changed their list."""
    when = now or utcnow()
    channel = open_channel(uow, box, channels, tenant_id)
    with uow.reading():
        codes = uow.group_codes.live(tenant_id)
        rows = uow.group_codes.chats(tenant_id, [c for code in codes for c in code.live_chat_ids])
    listed = sorted(c for c, row in rows.items() if row["dismissed_at"] is None)  # a dismissed group is gone in WeCom
    counted: dict[str, tuple[int, int]] = {}
    for chat_id in listed:
        try:
            chat = channel.get_group_chat(chat_id)
        except ChannelError as failed:
            if failed.retryable:
                raise
            continue  # dissolved or no longer visible: its row stays as the sync left it
        counted[chat_id] = (len(chat.member_list), sum(1 for m in chat.member_list if m.type == 2))
    changed = 0
    with uow:
        for chat_id, (members, external) in counted.items():
            uow.group_codes.set_members(tenant_id, chat_id, members=members, external_members=external, now=when)
        for code in uow.group_codes.live(tenant_id):
            if _rotate(uow, channel, tenant_id, code, when).live_chat_ids != code.live_chat_ids:
                changed += 1
        uow.commit()
    return changed


def recheck_everywhere(uow_factory: Callable[[], SqlUnitOfWork], box: SecretBox, channels: ChannelFactory, *,
                       now: datetime | None = None) -> dict[int, int]:
    """The worker's round: every tenant with live codes. A tenant whose WeCom fails is skipped."""
    with uow_factory().reading() as uow:
        tenant_ids = uow.group_codes.tenants_with_codes()
    done: dict[int, int] = {}
    for tenant_id in tenant_ids:
        try:
            done[tenant_id] = recheck_tenant(uow_factory(), box, channels, tenant_id, now=now)
        except (InvalidInput, ChannelError):  # not set up, or WeCom failing: the next round tries again
            continue
    return done


def qr_code_image(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor, code_id: int) -> tuple[bytes, str]:
    """WeCom's QR code image of the code (bytes and media type), fetched through the channel."""
    actor.require(Permission.CHANNELS_VIEW)
    with uow.reading():
        code = _get(uow, actor.tenant_id, code_id)
    if not code.qr_code:
        raise Conflict("group_code.no_qr", "WeCom has not given this group code a QR code")
    image = open_channel(uow, box, channels, actor.tenant_id).fetch_qr_code(code.qr_code)
    return image.data, image.content_type
