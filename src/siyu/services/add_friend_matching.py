"""Matching add-friend numbers to their customers: the hook on new relations, and the sweep.

A number is matched by its phone through OneID: the customer holding the identity
``phone = <number>`` (``customer_identities``, so a merge carries it to the survivor). Once that
customer has an active relation with the assigned staff member the number is ``added`` and its
guide task done; with someone else only, ``added_by_other_staff`` and its task cancelled (the
customer is in the private domain; a later add by the assigned staff member still makes it
``added``).

- :func:`relation_added_in` runs inside every :func:`siyu.services.relations.follow_in`
  (the WeCom add callback, the contact refresh, transfers): one identity look-up and one
  indexed query on the numbers when nothing waits.
- :func:`rematch_everywhere` is the worker's periodic sweep over every number still waiting,
  for what the hook cannot see: a phone learned later (a customer import, a merge, an order)
  and relations written in bulk (the WeCom sync, fast imports). :func:`rematch_batch` is the
  same for one batch, on demand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from siyu.adapters.db.repositories.add_friend import AddFriendRepository
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.add_friend import Batch, Number, NumberState, match
from siyu.domain.errors import NotFound
from siyu.domain.guide_tasks import OUTCOME_DAYS, TaskState
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.services.clock import utcnow

SWEEP_BATCH = 1_000
CLOSED_BY = "add_friend"


def relation_added_in(uow: SqlUnitOfWork, tenant_id: int, customer_id: int, *, at: datetime) -> int:
    """Inside the caller's unit of work: settle the numbers of the customer's phones. Returns how many changed."""
    phones = [i.value for i in uow.identities.for_customer(tenant_id, customer_id) if i.kind is IdentityKind.PHONE]
    repo = AddFriendRepository(uow.session)
    numbers = repo.open_for_phones(tenant_id, phones)
    if not numbers:
        return 0
    return settle_in(uow, tenant_id, numbers, {phone: customer_id for phone in phones}, at=at)


def settle_in(uow: SqlUnitOfWork, tenant_id: int, numbers: list[Number], owners: dict[str, int], *, at: datetime) -> int:
    """Each number's state from its phone's customer (``owners``: phone -> customer id) and that
    customer's active relations; closes the tasks of numbers that are added. Returns how many changed."""
    repo = AddFriendRepository(uow.session)
    followers = repo.followers(tenant_id, list(owners.values()))
    changed = 0
    for number in numbers:
        customer_id = owners.get(number.phone)
        found = match(number.staff_id, followers.get(customer_id, {}) if customer_id is not None else {})
        if found.state is number.state and customer_id == number.customer_id:
            continue
        if found.state is NumberState.PENDING and number.state is not NumberState.PENDING:
            continue  # added by someone once stays so when that relation ends
        repo.settle(tenant_id, number.id, state=found.state, customer_id=customer_id, added_by_staff_id=found.added_by_staff_id,
                    added_at=found.added_at, now=at)
        if number.task_id is not None and found.state is not NumberState.PENDING:
            done = found.state is NumberState.ADDED
            uow.guide_tasks.close(tenant_id, number.task_id, TaskState.DONE if done else TaskState.CANCELLED, at=at, by=CLOSED_BY,
                                  outcome_until=at + timedelta(days=OUTCOME_DAYS) if done else None)
        changed += 1
    return changed


def _sweep(uow: SqlUnitOfWork, *, tenant_id: int | None = None, batch_id: int | None = None, size: int = SWEEP_BATCH) -> int:
    """Every waiting number (of one tenant's batch, or everywhere), a page per transaction."""
    after, changed = (0, 0), 0
    while True:
        with uow:
            rows = AddFriendRepository(uow.session).open_after(after, size, tenant_id=tenant_id, batch_id=batch_id)
            if not rows:
                break
            by_tenant: dict[int, list[Number]] = {}
            for tenant, number in rows:
                by_tenant.setdefault(tenant, []).append(number)
            now = utcnow()
            for tenant, numbers in by_tenant.items():
                found = uow.identities.owners(tenant, [IdentityKey(IdentityKind.PHONE, n.phone) for n in numbers])
                changed += settle_in(uow, tenant, numbers, {k.value: c for k, c in found.items()}, at=now)
            uow.commit()
        after = (rows[-1][0], rows[-1][1].id)
    return changed


def rematch_everywhere(uow: SqlUnitOfWork, *, size: int = SWEEP_BATCH) -> int:
    """The worker's periodic run over every tenant; returns the numbers that changed."""
    return _sweep(uow, size=size)


def rematch_batch(uow: SqlUnitOfWork, actor: Actor, batch_id: int) -> tuple[Batch, int]:
    """Match one batch's waiting numbers now; the batch after it, and how many changed."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow.reading():
        if AddFriendRepository(uow.session).get_batch(actor.tenant_id, batch_id) is None:
            raise NotFound("add_friend.batch_not_found", "no such add-friend batch")
    changed = _sweep(uow, tenant_id=actor.tenant_id, batch_id=batch_id)
    with uow.reading():
        batch = AddFriendRepository(uow.session).get_batch(actor.tenant_id, batch_id)
    assert batch is not None
    return batch, changed
