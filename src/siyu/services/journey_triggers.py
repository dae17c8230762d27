"""Customers entering journeys: the hooks the write paths call, and the periodic scans.

Each hook runs inside the writer's unit of work (a tag applied and the journey it starts are
committed together, or neither is) and costs one query when the tenant has no active journey
with that trigger. Entering is idempotent: a customer already in the journey, or already
entered with the same entry key (``once``; the year of a birthday; the order of an "any
purchase"; the last purchase of a silent customer), is not entered again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.days import today_in_shanghai
from siyu.domain.journeys import Journey, StepKind, TriggerKind
from siyu.domain.segments import SegmentRule
from siyu.services import clock
from siyu.services.segment_matching import matching_customers

ONCE = "once"
# Events older than this do not start journeys: a first WeCom sync or a history import records
# old adds and old orders through the same write paths, and those customers are not new.
RECENT_CONTACT = timedelta(days=1)
RECENT_PURCHASE = timedelta(days=7)


def enter(uow: SqlUnitOfWork, tenant_id: int, journey: Journey, entries: dict[int, str], *, now: datetime | None = None) -> int:
    """Inside an open unit of work: customers (id -> entry key) enter at the journey's first step."""
    if not entries:
        return 0
    now = now or clock.utcnow()
    first = journey.definition.steps[0]
    run_at = first.wake_at(now) if first.kind is StepKind.WAIT else now
    return uow.journeys.enroll(tenant_id, journey.id, entries, step_id=first.id, run_at=run_at, now=now)


def _active(uow: SqlUnitOfWork, tenant_id: int, kind: TriggerKind) -> list[Journey]:
    return [j for _, j in uow.journeys.active(tenant_id, [kind.value])]


def tags_applied(uow: SqlUnitOfWork, tenant_id: int, pairs: Iterable[tuple[int, int]]) -> int:
    """(customer, tag) pairs just applied."""
    pairs = list(pairs)
    if not pairs:
        return 0
    entered = 0
    for journey in _active(uow, tenant_id, TriggerKind.TAG_APPLIED):
        wanted = set(journey.definition.trigger.ids)
        entered += enter(uow, tenant_id, journey, {c: ONCE for c, t in pairs if t in wanted})
    return entered


def stage_changed(uow: SqlUnitOfWork, tenant_id: int, customer_id: int, stage_id: int | None) -> int:
    if stage_id is None:
        return 0
    return sum(enter(uow, tenant_id, j, {customer_id: ONCE}) for j in _active(uow, tenant_id, TriggerKind.STAGE_CHANGED)
               if stage_id in j.definition.trigger.ids)


def contact_added(uow: SqlUnitOfWork, tenant_id: int, customer_id: int, *, channel_state: str | None, at: datetime) -> int:
    """A staff member began to follow the customer at ``at`` (an add older than a day is history, not an entry)."""
    journeys = _active(uow, tenant_id, TriggerKind.CONTACT_ADDED)
    if not journeys or at < clock.utcnow() - RECENT_CONTACT:
        return 0
    channel_id = uow.channels.ids_by_state(tenant_id, {channel_state}).get(channel_state) if channel_state else None
    return sum(enter(uow, tenant_id, j, {customer_id: ONCE}) for j in journeys
               if not j.definition.trigger.ids or channel_id in j.definition.trigger.ids)


def purchased(uow: SqlUnitOfWork, tenant_id: int, placed: Iterable[tuple[int, int]]) -> int:
    """(customer, order) pairs of orders that just became a customer's (new, or matched now); orders
    placed more than a week ago (an imported history) start nothing."""
    placed = [(c, o) for c, o in placed if c is not None]
    journeys = _active(uow, tenant_id, TriggerKind.PURCHASE) if placed else []
    if not journeys:
        return 0
    since = clock.utcnow() - RECENT_PURCHASE
    times = uow.journeys.order_times(tenant_id, {o for _, o in placed})
    placed = [(c, o) for c, o in placed if o in times and times[o] >= since]
    entered = 0
    repeat: set[int] | None = None
    for journey in journeys:
        if journey.definition.trigger.first_only:
            if repeat is None:
                repeat = uow.journeys.earlier_orders(tenant_id, {c for c, _ in placed}, {o for _, o in placed})
            entries = {c: ONCE for c, _ in placed if c not in repeat}
        else:
            entries = {}
            for c, o in sorted(placed):
                entries.setdefault(c, f"order:{o}")
        entered += enter(uow, tenant_id, journey, entries)
    return entered


# -- the periodic scans -----------------------------------------------------------------------------

def scan(uow: SqlUnitOfWork, tenant_id: int, journey: Journey, *, now: datetime | None = None) -> int:
    """Inside an open unit of work: enter who a scanned trigger (date field, no purchase, segment) finds today."""
    now = now or clock.utcnow()
    today = today_in_shanghai(now)
    trigger = journey.definition.trigger
    if trigger.kind is TriggerKind.DATE_FIELD:
        target = today + timedelta(days=trigger.days)
        entries = {c: str(target.year) for c, iso in uow.journeys.yearly_dates(tenant_id, trigger.field).items()
                   if _same_day(iso, target)}
    elif trigger.kind is TriggerKind.NO_PURCHASE:
        rule = SegmentRule.parse({"groups": [{"conditions": [
            {"kind": "orders", "attribute": "last_purchase", "op": "more_than_days_ago", "value": trigger.days - 1}]}]})
        quiet = matching_customers(uow, tenant_id, rule, today=today)
        entries = {c: f"last:{at.date().isoformat()}" for c, at in uow.journeys.last_purchases(tenant_id, quiet).items()}
    elif trigger.kind is TriggerKind.SEGMENT_ENTERED:
        rule = uow.segments.rules(tenant_id).get(trigger.segment_id or 0)
        if rule is None:
            return 0
        members = matching_customers(uow, tenant_id, rule, today=today)
        entries = {c: ONCE for c in members - uow.journeys.entered_ever(tenant_id, journey.id, members)}
    else:
        return 0
    return enter(uow, tenant_id, journey, entries, now=now)


def scan_everywhere(new_uow: Callable[[], SqlUnitOfWork], *, now: datetime | None = None) -> int:
    """The worker's daily (and hourly) scan: every active journey with a scanned trigger, one transaction each."""
    with new_uow() as uow:
        found = uow.journeys.active(None, [TriggerKind.DATE_FIELD.value, TriggerKind.NO_PURCHASE.value,
                                           TriggerKind.SEGMENT_ENTERED.value])
    entered = 0
    for tenant_id, journey in found:
        with new_uow() as uow:
            entered += scan(uow, tenant_id, journey, now=now)
            uow.commit()
    return entered


def _same_day(iso: str, target: date) -> bool:
    """Whether a yearly date (month and day of ``iso``) falls on ``target``; 29 February on 28th in other years."""
    try:
        month, day = int(iso[5:7]), int(iso[8:10])
    except ValueError:
        return False
    if (month, day) == (2, 29) and not _leap(target.year):
        day = 28
    return (target.month, target.day) == (month, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
