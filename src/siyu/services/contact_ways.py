"""Contact ways (渠道活码): create them in WeCom, keep their user list right, count their adds.

A way belongs to a channel; its ``state`` comes back on every add, so each add is attributed
to the way and its channel (``staff_relations.channel_state``). WeCom keeps the ``config_id``
(API-made ways are invisible in WeCom's console), so it is stored. Rotation is Siyu's job
(:meth:`siyu.domain.contact_ways.ContactWay.pick_staff`): :func:`rebind_in` points the way at
the staff member who should take the next customer, right after each add and every few
minutes from the worker (hours start and end, caps reset at midnight in Shanghai).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time

from siyu.adapters.channels import models as wire
from siyu.adapters.channels.port import Channel
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Actor, Permission
from siyu.domain.contact_ways import SHANGHAI, ContactWay, ContactWayDraft, WayKind
from siyu.domain.errors import ChannelError, Conflict, InvalidInput, NotFound
from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow
from siyu.services.wecom_settings import ChannelFactory, open_channel


def start_of_day(now: datetime) -> datetime:
    """Midnight in Shanghai, the day a daily cap counts."""
    local = now.astimezone(SHANGHAI)
    return datetime.combine(local.date(), time(0), SHANGHAI)


def list_contact_ways(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest(), *, channel_id: int | None = None,
                      archived: bool = False) -> Page[ContactWay]:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        return uow.contact_ways.list(actor.tenant_id, request, channel_id=channel_id, archived=archived)


def get_contact_way(uow: SqlUnitOfWork, actor: Actor, way_id: int) -> ContactWay:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        return _get(uow, actor.tenant_id, way_id)


def _get(uow: SqlUnitOfWork, tenant_id: int, way_id: int) -> ContactWay:
    found = uow.contact_ways.get(tenant_id, way_id)
    if found is None:
        raise NotFound("contact_way.not_found", "no such contact way")
    return found


def adds_today(uow: SqlUnitOfWork, actor: Actor, way_ids: list[int], *, now: datetime | None = None) -> dict[int, dict[int, int]]:
    """Adds today (Shanghai) per way, per staff member."""
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        ways = [w for w in (uow.contact_ways.get(actor.tenant_id, i) for i in way_ids) if w is not None]
        counts = uow.contact_ways.adds_since(actor.tenant_id, [w.state for w in ways], start_of_day(now or utcnow()))
    return {w.id: counts.get(w.state, {}) for w in ways}


def _check(uow: SqlUnitOfWork, actor: Actor, draft: ContactWayDraft, way_id: int | None) -> dict[int, str]:
    channel = uow.channels.get(actor.tenant_id, draft.channel_id)
    if channel is None:
        raise InvalidInput("channel.not_found", "no such channel", field="channel_id")
    clash = uow.contact_ways.find_by_state(actor.tenant_id, draft.state)
    if clash is not None and clash.id != way_id:
        raise Conflict("contact_way.state_taken", "another contact way already uses this code", field="state")
    staff = {s.id: s for s in uow.staff.many(actor.tenant_id, [r.staff_id for r in draft.staff])}
    for rule in draft.staff:
        member = staff.get(rule.staff_id)
        if member is None:
            raise InvalidInput("staff.not_found", "no such staff member", field="staff")
        if member.status is not StaffStatus.ACTIVE:
            raise InvalidInput("contact_way.staff_resigned", "%(name)s has resigned and cannot take new customers", field="staff",
                               name=member.name)
    if draft.stage_id is not None and draft.stage_id not in {s.id for s in uow.stages.all(actor.tenant_id)}:
        raise InvalidInput("stage.not_found", "no such stage", field="stage_id")
    if len(uow.tags.by_ids(actor.tenant_id, list(draft.tag_ids))) != len(draft.tag_ids):
        raise InvalidInput("tag.not_found", "no such tag", field="tag_ids")
    return {i: s.wecom_userid for i, s in staff.items()}


def _values(draft: ContactWayDraft) -> dict[str, object]:
    return {"channel_id": draft.channel_id, "name": draft.name, "state": draft.state, "kind": draft.kind.value,
            "rotation": draft.rotation.value, "staff": [r.as_dict() for r in draft.staff], "skip_verify": draft.skip_verify,
            "tag_ids": list(draft.tag_ids), "remark_template": draft.remark_template, "stage_id": draft.stage_id}


def _wire(way: ContactWay | ContactWayDraft, userids: list[str]) -> wire.ContactWayDraft:
    return wire.ContactWayDraft(type=1 if way.kind is WayKind.SINGLE else 2, scene=2, remark=way.name[:30],
                                skip_verify=way.skip_verify, state=way.state, user=userids)


def create_contact_way(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor, draft: ContactWayDraft) -> ContactWay:
    """Record the way, create it in WeCom bound to the first staff member to take a customer."""
    actor.require(Permission.CHANNELS_MANAGE)
    channel = open_channel(uow, box, channels, actor.tenant_id)
    now = utcnow()
    with uow:
        userids = _check(uow, actor, draft, None)
        way_id = uow.contact_ways.add(actor.tenant_id, now=now, **_values(draft))
        way = _get(uow, actor.tenant_id, way_id)
        first = way.pick_staff(now, {})
        created = channel.add_contact_way(_wire(way, [userids[first]]))  # a failure here rolls the row back
        uow.contact_ways.update(actor.tenant_id, way_id, now=now, config_id=created.config_id, qr_code=created.qr_code,
                                bound_staff_ids=[first], bound_at=now)
        way = _get(uow, actor.tenant_id, way_id)
        uow.commit()
    return way


def update_contact_way(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor, way_id: int,
                       draft: ContactWayDraft) -> ContactWay:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:  # another tenant's way is not found, whatever their WeCom settings
        _get(uow, actor.tenant_id, way_id)
    channel = open_channel(uow, box, channels, actor.tenant_id)
    now = utcnow()
    with uow:
        _get(uow, actor.tenant_id, way_id)
        _check(uow, actor, draft, way_id)
        uow.contact_ways.update(actor.tenant_id, way_id, now=now, **_values(draft))
        way = _rebind(uow, channel, actor.tenant_id, _get(uow, actor.tenant_id, way_id), now, force=True)
        uow.commit()
    return way


def archive_contact_way(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor, way_id: int) -> ContactWay:
    """Delete the way in WeCom (its code stops working) and keep its history here."""
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        _get(uow, actor.tenant_id, way_id)
    channel = open_channel(uow, box, channels, actor.tenant_id)
    now = utcnow()
    with uow:
        way = _get(uow, actor.tenant_id, way_id)
        if way.archived_at is None and way.config_id:
            channel.delete_contact_way(way.config_id)
        uow.contact_ways.update(actor.tenant_id, way_id, now=now, archived_at=now)
        way = _get(uow, actor.tenant_id, way_id)
        uow.commit()
    return way


def _live_rules(uow: SqlUnitOfWork, tenant_id: int, way: ContactWay) -> tuple[ContactWay, dict[int, str]]:
    """The way with resigned staff left out (unless nobody would be left), and the staff's WeCom userids."""
    members = {s.id: s for s in uow.staff.many(tenant_id, [r.staff_id for r in way.staff])}
    active = tuple(r for r in way.staff if r.staff_id in members and members[r.staff_id].status is StaffStatus.ACTIVE)
    if active and not all(r.fallback for r in active):
        way = replace(way, staff=active)
    return way, {i: s.wecom_userid for i, s in members.items()}


def _rebind(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, way: ContactWay, now: datetime, *, force: bool = False) -> ContactWay:
    if way.archived_at is not None or not way.config_id:
        return way
    live, userids = _live_rules(uow, tenant_id, way)
    counts = uow.contact_ways.adds_since(tenant_id, [way.state], start_of_day(now)).get(way.state, {})
    picked = live.pick_staff(now, counts)
    if not force and way.bound_staff_ids == (picked,):
        return way
    channel.update_contact_way(way.config_id, _wire(way, [userids[picked]]))
    uow.contact_ways.update(tenant_id, way.id, now=now, bound_staff_ids=[picked], bound_at=now)
    return _get(uow, tenant_id, way.id)


def rebind_in(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, way_id: int, *, now: datetime | None = None) -> ContactWay:
    """Point the way at whoever should take the next customer (inside the caller's unit of work)."""
    return _rebind(uow, channel, tenant_id, _get(uow, tenant_id, way_id), now or utcnow())


def rebind_tenant(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, *,
                  now: datetime | None = None) -> int:
    """Re-bind every live way of a tenant that needs it; returns how many changed."""
    when = now or utcnow()
    channel = open_channel(uow, box, channels, tenant_id)
    changed = 0
    with uow:
        for way in uow.contact_ways.live(tenant_id):
            if _rebind(uow, channel, tenant_id, way, when).bound_at != way.bound_at:
                changed += 1
        uow.commit()
    return changed


def rebind_everywhere(uow_factory: Callable[[], SqlUnitOfWork], box: SecretBox, channels: ChannelFactory, *,
                      now: datetime | None = None) -> dict[int, int]:
    """The worker's round: every tenant with live ways. A tenant whose WeCom fails is skipped."""
    with uow_factory() as uow:
        tenant_ids = uow.contact_ways.tenants_with_ways()
    done: dict[int, int] = {}
    for tenant_id in tenant_ids:
        try:
            done[tenant_id] = rebind_tenant(uow_factory(), box, channels, tenant_id, now=now)
        except (InvalidInput, ChannelError):  # not set up, or WeCom failing: the next round tries again
            continue
    return done


def qr_code_image(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor, way_id: int) -> tuple[bytes, str]:
    """WeCom's QR code image of the way (bytes and media type), fetched through the channel.

    WeCom's ``qr_code`` is the address of an image WeCom made, not the text to encode: a code
    Siyu drew of that address would open the image in a browser, not add the staff member."""
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        way = _get(uow, actor.tenant_id, way_id)
    if not way.qr_code:
        raise Conflict("contact_way.no_qr", "WeCom has not given this contact way a QR code (scene 1 is a mini-program button)")
    image = open_channel(uow, box, channels, actor.tenant_id).fetch_qr_code(way.qr_code)
    return image.data, image.content_type
