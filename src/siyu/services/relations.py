"""Relations between customers and staff: who follows whom, since when, through which channel.

These are called by the product itself (WeCom sync and callbacks, imports, the demo), so they
take a tenant id and run inside the caller's unit of work.
"""

from __future__ import annotations

from datetime import datetime

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import RelationState
from siyu.domain.timeline import EventKind
from siyu.services import add_friend_matching, journey_triggers


def follow_in(
    uow: SqlUnitOfWork, tenant_id: int, customer_id: int, staff_id: int, *, at: datetime, actor: str,
    add_way: int | None = None, channel_state: str | None = None, remark: str | None = None, make_owner: bool = True,
    timeline: bool = True,
) -> bool:
    """Record that ``staff_id`` follows the customer (again). Returns whether anything changed.
    ``timeline=False``: no timeline event (the caller records the change in one of its own)."""
    existing = uow.relations.find(tenant_id, customer_id, staff_id)
    if existing is not None and existing.state is RelationState.ACTIVE:
        return False
    if existing is None:
        uow.relations.add(tenant_id, customer_id, staff_id, added_at=at, add_way=add_way, channel_state=channel_state, remark=remark)
    else:
        uow.relations.update(tenant_id, existing.id, state=RelationState.ACTIVE.value, added_at=at, ended_at=None,
                             add_way=add_way, channel_state=channel_state)
    if timeline:
        uow.timeline.add(tenant_id, customer_id, EventKind.RELATION_ADDED, actor=actor, at=at, staff_id=staff_id, channel_state=channel_state)
    customer = uow.customers.get_any(tenant_id, customer_id)
    if make_owner and customer is not None and customer.owner_staff_id is None:
        uow.customers.update(tenant_id, customer_id, now=at, owner_staff_id=staff_id)
    journey_triggers.contact_added(uow, tenant_id, customer_id, channel_state=channel_state, at=at)
    add_friend_matching.relation_added_in(uow, tenant_id, customer_id, at=at)
    return True


def end_in(uow: SqlUnitOfWork, tenant_id: int, customer_id: int, staff_id: int, state: RelationState, *, at: datetime, actor: str) -> bool:
    """The relation ended: deleted by either side or transferred. Idempotent."""
    existing = uow.relations.find(tenant_id, customer_id, staff_id)
    if existing is None or existing.state is state:
        return False
    uow.relations.update(tenant_id, existing.id, state=state.value, ended_at=at)
    uow.timeline.add(tenant_id, customer_id, EventKind.RELATION_CHANGED, actor=actor, at=at, staff_id=staff_id,
                     before=existing.state.value, after=state.value)
    return True
