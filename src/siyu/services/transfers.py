"""Transfers (在职继承 / 离职继承): a staff member's customers (and groups) to another one.

- :func:`start_transfer` records the transfer and one item per customer (the handover's
  active WeCom relations, or the ones chosen). A resigned handover makes it a 离职继承
  (``resigned/transfer_customer``); an active one an on-job transfer, where WeCom moves a
  customer at most twice in 90 days: Siyu checks its own record first and fails those items
  (``protected_90_days``) without spending a call.
- :func:`submit_transfer` (the worker) sends the pending items 100 per call; each answer's
  per-customer errcode marks the item ``waiting`` (0) or ``failed`` with the reason. Groups
  the handover owns go with ``groupchat/onjob_transfer`` or ``groupchat/transfer``.
- :func:`poll_transfer` (the worker, until done) reads ``transfer_result``: status 1 ends the
  old relation as ``transferred`` and starts the takeover's (timeline events for both, the
  takeover becomes the owner if the handover was); 3 refused, 4 takeover at its limit, 5 no
  record fail the item with that reason; 2 keeps waiting (WeCom completes within 24 hours).
"""

from __future__ import annotations

from datetime import timedelta

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Actor, Permission
from siyu.domain.customers import RelationState
from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.organisation import Staff, StaffStatus
from siyu.domain.paging import Page, PageRequest
from siyu.domain.transfers import (
    ERRCODE_REASONS,
    MAX_ONJOB_TRANSFERS,
    PER_CALL,
    PROTECTION_DAYS,
    RESULT_DONE,
    RESULT_REASONS,
    RESULT_WAITING,
    ItemStatus,
    Transfer,
    TransferItem,
    TransferStatus,
)
from siyu.services import relations
from siyu.services.clock import utcnow
from siyu.services.wecom_settings import ChannelFactory, open_channel

ACTOR = "wecom_transfer"


def _staff(uow: SqlUnitOfWork, actor: Actor, staff_id: int) -> Staff:
    found = uow.staff.get(actor.scope, staff_id)
    if found is None:
        raise NotFound("transfer.staff_not_found", "no staff member %(id)s", id=staff_id)
    return found


def start_transfer(uow: SqlUnitOfWork, actor: Actor, *, handover_staff_id: int, takeover_staff_id: int,
                   customer_ids: list[int] | None = None, message: str | None = None, groups: bool = True) -> Transfer:
    actor.require(Permission.CUSTOMERS_MANAGE)
    now = utcnow()
    with uow:
        handover, takeover = _staff(uow, actor, handover_staff_id), _staff(uow, actor, takeover_staff_id)
        if handover.id == takeover.id:
            raise InvalidInput("transfer.same_staff", "the handover and the takeover are the same staff member", field="takeover_staff_id")
        if takeover.status is StaffStatus.RESIGNED:
            raise InvalidInput("transfer.takeover_resigned", "the takeover has resigned: choose an active staff member",
                               field="takeover_staff_id")
        resigned = handover.status is StaffStatus.RESIGNED
        moves = uow.transfers.followed_by(actor.tenant_id, handover.id, customer_ids)
        if not moves:
            raise InvalidInput("transfer.nothing", "the handover follows none of these customers in WeCom", field="customer_ids")
        recent = {} if resigned else uow.transfers.recent_onjob_moves(actor.tenant_id, [c for c, _ in moves],
                                                                       now - timedelta(days=PROTECTION_DAYS))
        rows = [(c, e, ItemStatus.FAILED.value, "protected_90_days") if recent.get(c, 0) >= MAX_ONJOB_TRANSFERS
                else (c, e, ItemStatus.PENDING.value, None) for c, e in moves]
        transfer_id = uow.transfers.add(actor.tenant_id, now=now, resigned=resigned, handover_staff_id=handover.id,
                                        takeover_staff_id=takeover.id, message=(message or None) if not resigned else None,
                                        actor=actor.name or f"user:{actor.user_id}")
        uow.transfers.add_items(actor.tenant_id, transfer_id, rows, now=now)
        uow.transfers.save(actor.tenant_id, transfer_id, counts={**uow.transfers.status_counts(actor.tenant_id, transfer_id),
                                                                 "groups_wanted": int(groups)})
        uow.commit()
        made = uow.transfers.get(actor.tenant_id, transfer_id)
    assert made is not None
    return made


def get_transfer(uow: SqlUnitOfWork, actor: Actor, transfer_id: int) -> Transfer:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        found = uow.transfers.get(actor.tenant_id, transfer_id)
    if found is None:
        raise NotFound("transfer.not_found", "no transfer %(id)s", id=transfer_id)
    return found


def list_transfers(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[Transfer]:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        return uow.transfers.page(actor.tenant_id, request)


def transfer_items(uow: SqlUnitOfWork, actor: Actor, transfer_id: int, request: PageRequest = PageRequest()) -> Page[TransferItem]:
    get_transfer(uow, actor, transfer_id)
    with uow:
        return uow.transfers.item_page(actor.tenant_id, transfer_id, request)


def _load(uow: SqlUnitOfWork, tenant_id: int, transfer_id: int) -> tuple[Transfer, Staff, Staff]:
    with uow:
        transfer = uow.transfers.get(tenant_id, transfer_id)
        if transfer is None:
            raise NotFound("transfer.not_found", "no transfer %(id)s", id=transfer_id)
        people = {s.id: s for s in uow.staff.many(tenant_id, [transfer.handover_staff_id, transfer.takeover_staff_id])}
    return transfer, people[transfer.handover_staff_id], people[transfer.takeover_staff_id]


def _count(uow: SqlUnitOfWork, tenant_id: int, transfer: Transfer, **extra: object) -> None:
    counts = {k: v for k, v in transfer.counts.items() if k.startswith("groups_")}
    uow.transfers.save(tenant_id, transfer.id, counts={**counts, **uow.transfers.status_counts(tenant_id, transfer.id)},
                       updated_at=utcnow(), **extra)


def submit_transfer(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, transfer_id: int) -> Transfer:
    """Send the pending items to WeCom (100 per call) and the handover's groups; then poll once."""
    transfer, handover, takeover = _load(uow, tenant_id, transfer_id)
    channel = open_channel(uow, box, channels, tenant_id)
    while True:
        with uow:
            pending = uow.transfers.items(tenant_id, transfer_id, status=ItemStatus.PENDING, limit=PER_CALL)
        if not pending:
            break
        outcomes = channel.transfer_customers(handover.wecom_userid, takeover.wecom_userid, [i.external_userid for i in pending],
                                              resigned=transfer.resigned, message=transfer.message)
        codes = {o.external_userid: o.errcode for o in outcomes}
        now = utcnow()
        with uow:
            for item in pending:
                code = codes.get(item.external_userid, 0)
                if code == 0:
                    uow.transfers.set_item(tenant_id, item.id, ItemStatus.WAITING, None, now=now)
                else:
                    uow.transfers.set_item(tenant_id, item.id, ItemStatus.FAILED, ERRCODE_REASONS.get(code, f"errcode_{code}"), now=now)
            _count(uow, tenant_id, transfer)
            uow.commit()
    if transfer.counts.get("groups_wanted") and "groups_moved" not in transfer.counts:
        _move_groups(uow, channel, tenant_id, transfer, handover, takeover)
    with uow:
        _count(uow, tenant_id, _load_plain(uow, tenant_id, transfer_id), status=TransferStatus.WAITING.value)
        uow.commit()
    return poll_transfer(uow, box, channels, tenant_id, transfer_id)


def _load_plain(uow: SqlUnitOfWork, tenant_id: int, transfer_id: int) -> Transfer:
    found = uow.transfers.get(tenant_id, transfer_id)
    assert found is not None
    return found


def _move_groups(uow: SqlUnitOfWork, channel, tenant_id: int, transfer: Transfer, handover: Staff,  # type: ignore[no-untyped-def]
                 takeover: Staff) -> None:
    with uow:
        chat_ids = uow.transfers.group_chats_of(tenant_id, handover.id)
    moved = failed = 0
    for start in range(0, len(chat_ids), PER_CALL):
        chunk = chat_ids[start : start + PER_CALL]
        failures = {f.chat_id for f in channel.transfer_group_chats(chunk, takeover.wecom_userid, resigned=transfer.resigned)}
        with uow:
            uow.transfers.set_group_owner(tenant_id, [c for c in chunk if c not in failures], takeover.id, takeover.wecom_userid)
            uow.commit()
        moved, failed = moved + len(chunk) - len(failures), failed + len(failures)
    with uow:
        current = _load_plain(uow, tenant_id, transfer.id)
        uow.transfers.save(tenant_id, transfer.id, counts={**current.counts, "groups_moved": moved, "groups_failed": failed})
        uow.commit()


def poll_transfer(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, transfer_id: int) -> Transfer:
    """Read WeCom's results; done items move the relation, failed ones say why. Done when none wait."""
    transfer, handover, takeover = _load(uow, tenant_id, transfer_id)
    if transfer.status is TransferStatus.DONE:
        return transfer
    with uow:
        waiting = {i.external_userid: i for i in uow.transfers.items(tenant_id, transfer_id, status=ItemStatus.WAITING)}
    channel = open_channel(uow, box, channels, tenant_id) if waiting else None
    cursor = ""
    while channel is not None:
        page = channel.transfer_result(handover.wecom_userid, takeover.wecom_userid, resigned=transfer.resigned, cursor=cursor)
        now = utcnow()
        with uow:
            for result in page.customer:
                item = waiting.pop(result.external_userid, None)
                if item is None or result.status == RESULT_WAITING:
                    continue
                if result.status == RESULT_DONE:
                    relations.end_in(uow, tenant_id, item.customer_id, handover.id, RelationState.TRANSFERRED, at=now, actor=ACTOR)
                    relations.follow_in(uow, tenant_id, item.customer_id, takeover.id, at=now, actor=ACTOR, make_owner=False)
                    customer = uow.customers.get_any(tenant_id, item.customer_id)
                    if customer is not None and customer.owner_staff_id in (None, handover.id):
                        uow.customers.update(tenant_id, item.customer_id, now=now, owner_staff_id=takeover.id)
                    uow.transfers.set_item(tenant_id, item.id, ItemStatus.DONE, None, now=now)
                else:
                    uow.transfers.set_item(tenant_id, item.id, ItemStatus.FAILED,
                                           RESULT_REASONS.get(result.status, f"status_{result.status}"), now=now)
            _count(uow, tenant_id, transfer)
            uow.commit()
        cursor = page.next_cursor
        if not cursor:
            break
    with uow:
        counts = uow.transfers.status_counts(tenant_id, transfer_id)
        if not counts.get(ItemStatus.PENDING.value) and not counts.get(ItemStatus.WAITING.value):
            _count(uow, tenant_id, transfer, status=TransferStatus.DONE.value, finished_at=utcnow())
            uow.commit()
        return _load_plain(uow, tenant_id, transfer_id)


def unfinished(uow: SqlUnitOfWork) -> list[tuple[int, int]]:
    with uow:
        return uow.transfers.unfinished()
