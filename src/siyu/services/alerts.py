"""Deletion alerts: a customer deleted a staff member, or a staff member deleted a customer.

:func:`relation_ended` is called from the callback's unit of work (services/wecom_events) when
a deletion ended a relation. It records an alert for the staff member's store — its store
managers see it in the console (the bell and the notifications page), admins and operators
see every store's — and, when that staff member has now deleted more customers today
(Asia/Shanghai) than the tenant's threshold (``mass_deletion_threshold``, default 10), one
extra ``mass_deletion`` alert, once a day per staff member. Transfers are not deletions.

Read state is per reader (a console user or an API token). Counts per staff member and per
channel (the relation's contact-way ``state``) per day come from the same rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.alerts import Alert, AlertCount, AlertKind
from siyu.domain.customers import RelationState
from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.organisation import Staff
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow

BRAND_TZ = ZoneInfo("Asia/Shanghai")
MAX_COUNT_DAYS = 92
_KINDS = {RelationState.DELETED_BY_CUSTOMER: AlertKind.DELETED_BY_CUSTOMER, RelationState.DELETED_BY_STAFF: AlertKind.DELETED_BY_STAFF}


def relation_ended(uow: SqlUnitOfWork, tenant_id: int, customer_id: int, staff: Staff, state: RelationState, *, at: datetime) -> None:
    """Record the alert(s) for a relation a deletion just ended (inside the caller's unit of work)."""
    kind = _KINDS.get(state)
    if kind is None:
        return
    relation = uow.relations.find(tenant_id, customer_id, staff.id)
    day, now = at.astimezone(BRAND_TZ).date(), utcnow()
    uow.alerts.add(tenant_id, kind=kind, store_id=staff.store_id, staff_id=staff.id, customer_id=customer_id,
                   channel_state=relation.channel_state if relation else None, day=day, occurred_at=at, now=now)
    if kind is AlertKind.DELETED_BY_STAFF:
        deleted, threshold = uow.alerts.count_for(tenant_id, staff.id, kind, day), uow.alerts.threshold(tenant_id)
        if deleted == threshold + 1:  # the first deletion past the threshold: one alert a day
            uow.alerts.add(tenant_id, kind=AlertKind.MASS_DELETION, store_id=staff.store_id, staff_id=staff.id, customer_id=None,
                           channel_state=None, day=day, occurred_at=at, now=now, deleted=deleted, threshold=threshold)


def _reader(actor: Actor) -> str:
    if actor.user_id is not None:
        return f"user:{actor.user_id}"
    return f"token:{actor.token_id}" if actor.token_id is not None else "system"


def list_alerts(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest(), *, unread_only: bool = False) -> Page[Alert]:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.alerts.page(actor.scope, _reader(actor), request, unread_only=unread_only)


def unread_count(uow: SqlUnitOfWork, actor: Actor) -> int:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.alerts.unread(actor.scope, _reader(actor))


def mark_read(uow: SqlUnitOfWork, actor: Actor, alert_ids: list[int] | None = None) -> int:
    """Mark these alerts (or every visible one) read for this reader; returns how many were unread."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        ids = uow.alerts.visible_ids(actor.scope, alert_ids)
        if alert_ids is not None and len(ids) != len(set(alert_ids)):
            raise NotFound("alert.not_found", "no such alert")
        marked = uow.alerts.mark_read(actor.tenant_id, _reader(actor), ids, now=utcnow())
        uow.commit()
    return marked


def counts(uow: SqlUnitOfWork, actor: Actor, *, since: date | None = None,
           until: date | None = None) -> tuple[list[AlertCount], list[AlertCount]]:
    """Deletions per day, per staff member and per channel (default: the last 7 days)."""
    actor.require(Permission.CUSTOMERS_VIEW)
    until = until or utcnow().astimezone(BRAND_TZ).date()
    since = since or until - timedelta(days=6)
    if since > until or (until - since).days >= MAX_COUNT_DAYS:
        raise InvalidInput("alert.bad_period", "choose a period of 1 to %(days)s days", field="since", days=MAX_COUNT_DAYS)
    with uow:
        return uow.alerts.counts(actor.scope, since, until)


def get_threshold(uow: SqlUnitOfWork, actor: Actor) -> int:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.alerts.threshold(actor.tenant_id)


def set_threshold(uow: SqlUnitOfWork, actor: Actor, value: int) -> int:
    actor.require(Permission.WECOM_MANAGE)
    if not 1 <= value <= 10_000:
        raise InvalidInput("alert.bad_threshold", "the mass-deletion threshold is 1 to %(most)s customers a day", field="threshold",
                           most=10_000)
    with uow:
        if not uow.alerts.set_threshold(actor.tenant_id, value):
            raise NotFound("alert.no_wecom", "WeCom is not set up for this brand yet")
        uow.commit()
    return value
