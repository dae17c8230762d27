"""Lifecycle stages: an ordered list per tenant, and moving customers through it."""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.customers import Customer
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.tags import DEFAULT_STAGES, Stage, clean_label
from siyu.domain.timeline import EventKind
from siyu.services import journey_triggers
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label


def list_stages(uow: SqlUnitOfWork, actor: Actor) -> list[Stage]:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.stages.all(actor.tenant_id)


def create_stage(uow: SqlUnitOfWork, actor: Actor, name: str) -> Stage:
    actor.require(Permission.CUSTOMERS_MANAGE)
    name = clean_label(name)
    with uow:
        if any(s.name == name for s in uow.stages.all(actor.tenant_id)):
            raise Conflict("stage.name_taken", "a stage named “%(name)s” exists already", field="name", name=name)
        stage = uow.stages.add(actor.tenant_id, name, now=utcnow())
        uow.commit()
    return stage


def ensure_default_stages(uow: SqlUnitOfWork, tenant_id: int) -> list[Stage]:
    """Inside an open unit of work: give a tenant the usual stages if it has none."""
    existing = uow.stages.all(tenant_id)
    if existing:
        return existing
    now = utcnow()
    return [uow.stages.add(tenant_id, name, now=now) for name in DEFAULT_STAGES]


def rename_stage(uow: SqlUnitOfWork, actor: Actor, stage_id: int, name: str) -> Stage:
    actor.require(Permission.CUSTOMERS_MANAGE)
    name = clean_label(name)
    with uow:
        stages = uow.stages.all(actor.tenant_id)
        if not any(s.id == stage_id for s in stages):
            raise NotFound("stage.not_found", "no such stage")
        if any(s.name == name and s.id != stage_id for s in stages):
            raise Conflict("stage.name_taken", "a stage named “%(name)s” exists already", field="name", name=name)
        uow.stages.update(actor.tenant_id, stage_id, name=name)
        renamed = next(s for s in uow.stages.all(actor.tenant_id) if s.id == stage_id)
        uow.commit()
    return renamed


def reorder_stages(uow: SqlUnitOfWork, actor: Actor, stage_ids: list[int]) -> list[Stage]:
    """Give the full list of stage ids in their new order."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        current = uow.stages.all(actor.tenant_id)
        if sorted(stage_ids) != sorted(s.id for s in current):
            raise InvalidInput("stage.order_incomplete", "list every stage exactly once", field="stage_ids")
        for position, stage_id in enumerate(stage_ids, start=1):
            uow.stages.update(actor.tenant_id, stage_id, position=position)
        reordered = uow.stages.all(actor.tenant_id)
        uow.commit()
    return reordered


def delete_stage(uow: SqlUnitOfWork, actor: Actor, stage_id: int) -> None:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        if not any(s.id == stage_id for s in uow.stages.all(actor.tenant_id)):
            raise NotFound("stage.not_found", "no such stage")
        used = uow.stages.in_use(actor.tenant_id, stage_id)
        if used:
            raise Conflict("stage.in_use", "%(count)s customers are in this stage; move them first", count=used)
        uow.stages.delete(actor.tenant_id, stage_id)
        uow.commit()


def move_stage(uow: SqlUnitOfWork, actor: Actor, customer_id: int, stage_id: int | None) -> Customer:
    """Move a customer to a stage (or none), recording the history with time and actor."""
    actor.require(Permission.CUSTOMERS_EDIT)
    with uow:
        customer = uow.customers.get(actor.scope, customer_id)
        if customer is None:
            raise NotFound("customer.not_found", "no such customer")
        stages = {s.id: s for s in uow.stages.all(actor.tenant_id)}
        if stage_id is not None and stage_id not in stages:
            raise InvalidInput("stage.not_found", "no such stage", field="stage_id")
        move_in(uow, actor.tenant_id, customer, stage_id, stages, actor=actor_label(actor))
        moved = uow.customers.get(actor.scope, customer_id)
        uow.commit()
    assert moved is not None
    return moved


def move_in(uow: SqlUnitOfWork, tenant_id: int, customer: Customer, stage_id: int | None, stages: dict[int, Stage], *, actor: str,
            timeline: bool = True) -> bool:
    """Move the customer and record the change (``timeline=False``: without a timeline event;
    the caller records it in an event of its own)."""
    if customer.stage_id == stage_id:
        return False
    now = utcnow()
    uow.customers.update(tenant_id, customer.id, now=now, stage_id=stage_id)
    uow.stages.record_change(tenant_id, customer.id, customer.stage_id, stage_id, actor=actor, now=now)
    if timeline:
        uow.timeline.add(
            tenant_id, customer.id, EventKind.STAGE_CHANGED, actor=actor, at=now,
            before=stages[customer.stage_id].name if customer.stage_id in stages else None,
            after=stages[stage_id].name if stage_id is not None else None,
        )
    journey_triggers.stage_changed(uow, tenant_id, customer.id, stage_id)
    return True
