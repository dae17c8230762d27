"""Merging customers by hand, undoing merges, and the possible-duplicates list."""

from __future__ import annotations

from siyu.adapters.db.repositories.duplicates import DuplicatePair
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.db.repositories.merges import MergeRecord
from siyu.domain.access import Actor, Permission
from siyu.domain.customers import Customer, MergeCandidate, choose_survivor
from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.paging import Page, PageRequest
from siyu.services import oneid
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label


def merge_customers(uow: SqlUnitOfWork, actor: Actor, first_id: int, second_id: int, *, reason: str = "merged by hand") -> MergeRecord:
    """Merge two customers; the survivor follows the same rule as automatic merges."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    if first_id == second_id:
        raise InvalidInput("merge.same_customer", "choose two different customers", field="customer_ids")
    with uow:
        pair = [uow.customers.get(actor.scope, i) for i in (first_id, second_id)]
        if any(c is None for c in pair):
            raise NotFound("customer.not_found", "no such customer")
        survivor = choose_survivor([MergeCandidate(c.id, c.created_at) for c in pair if c is not None])
        merged = next(c for c in pair if c is not None and c.id != survivor.id)
        merge_id = oneid.merge_pair(uow, actor.tenant_id, survivor.id, merged.id, reason=reason, actor=actor_label(actor), now=utcnow())
        record = uow.merges.get(actor.tenant_id, merge_id)
        uow.commit()
    assert record is not None
    return record


def undo_merge(uow: SqlUnitOfWork, actor: Actor, merge_id: int) -> Customer:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        record = uow.merges.get(actor.tenant_id, merge_id)
        if record is None or uow.customers.get_any(actor.tenant_id, record.survivor_id) is None:
            raise NotFound("merge.not_found", "no such merge")
        restored = oneid.undo_merge(uow, actor.tenant_id, merge_id, actor=actor_label(actor), now=utcnow())
        uow.commit()
    return restored


def list_merges(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[MergeRecord]:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        return uow.merges.list(actor.tenant_id, request)


def merges_of(uow: SqlUnitOfWork, actor: Actor, customer_id: int) -> list[MergeRecord]:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        if uow.customers.get(actor.scope, customer_id) is None:
            raise NotFound("customer.not_found", "no such customer")
        return uow.merges.involving(actor.tenant_id, customer_id)


def possible_duplicates(uow: SqlUnitOfWork, actor: Actor, *, limit: int = 200) -> list[DuplicatePair]:
    """Pairs sharing only weak evidence, for a person to merge or dismiss."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        dismissed = uow.merges.dismissed_pairs(actor.tenant_id)
        return [p for p in uow.duplicates.find(actor.tenant_id, limit=limit + len(dismissed)) if (p.first_id, p.second_id) not in dismissed][:limit]


def dismiss_duplicate(uow: SqlUnitOfWork, actor: Actor, first_id: int, second_id: int) -> None:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        for customer_id in (first_id, second_id):
            if uow.customers.get(actor.scope, customer_id) is None:
                raise NotFound("customer.not_found", "no such customer")
        uow.merges.dismiss(actor.tenant_id, first_id, second_id, actor=actor_label(actor), now=utcnow())
        uow.commit()
