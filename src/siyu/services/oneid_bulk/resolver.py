"""Records in, customers out: the :class:`Resolver` protocol and its reference implementation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import CustomerRecord
from siyu.domain.tags import Stage
from siyu.domain.timeline import EventKind
from siyu.services import oneid
from siyu.services.relations import follow_in
from siyu.services.stages import move_in
from siyu.services.tags import apply_in


@dataclass(frozen=True, slots=True)
class Incoming:
    """One record about a person, as it arrived: from ``source`` at ``at``."""

    record: CustomerRecord
    source: str
    at: datetime
    fields: dict[str, Any] | None = None  # the record's fields cleaned already (empties dropped); None: clean them here
    detail: dict[str, Any] | None = None  # added to the CREATED event's data if the record creates a customer


class Resolver(Protocol):
    """One way to write records by the OneID rule; both implementations give the same result.

    ``load`` then ``resolve_one`` for each record in order, with what the record itself says
    (tags, stage, owner) applied right after it, as every single-row write path does.
    ``timeline=False`` applies it without timeline events: an import says what a row that
    created a customer applied in that customer's one CREATED event (``Incoming.detail``)."""

    def load(self, batch: Sequence[Incoming]) -> None:
        """Read what the database knows about the batch's keys (before ``resolve_one``)."""

    def resolve_one(self, item: Incoming) -> oneid.Resolution:
        """Create, attach or merge: what :func:`oneid.resolve` returns for the record."""

    def survivor_of(self, customer_id: int) -> int:
        """The live customer that ``customer_id`` is now (itself unless merged away)."""

    def update_customer(self, customer_id: int, *, at: datetime, **values: Any) -> None:
        """Set columns of a customer resolved in this batch (owner, stage ...)."""

    def tag(self, customer_id: int, tag_ids: Sequence[int], *, labels: dict[int, str], source: str, at: datetime,
            timeline: bool = True) -> bool:
        """Apply the tags the customer does not have yet (:func:`siyu.services.tags.apply_in`)."""

    def move_stage(self, customer_id: int, stage_id: int, *, stages: dict[int, Stage], at: datetime, timeline: bool = True) -> bool:
        """Move the customer to a stage, recording the history (:func:`siyu.services.stages.move_in`)."""

    def assign_owner(self, customer_id: int, staff_id: int, *, at: datetime, timeline: bool = True) -> bool:
        """The staff member follows the customer (:func:`siyu.services.relations.follow_in`) and owns it."""

    def flush(self) -> None:
        """Write everything pending."""


def resolve_all(resolver: Resolver, batch: Sequence[Incoming]) -> list[int]:
    """The customer each record resolved to, at the moment it was resolved."""
    resolver.load(batch)
    return [resolver.resolve_one(item).customer_id for item in batch]


class SequentialResolver:
    """The reference: :func:`oneid.resolve` and the single-row services, one record at a time."""

    def __init__(self, uow: SqlUnitOfWork, tenant_id: int, *, actor: str) -> None:
        self.uow, self.tenant_id, self.actor = uow, tenant_id, actor

    def load(self, batch: Sequence[Incoming]) -> None:
        """Nothing to read ahead: ``resolve`` looks each record up itself."""

    def resolve_one(self, item: Incoming) -> oneid.Resolution:
        return oneid.resolve(self.uow, self.tenant_id, item.record, source=item.source, actor=self.actor, now=item.at, added_at=item.at,
                             detail=item.detail)

    def survivor_of(self, customer_id: int) -> int:
        found = self.uow.customers.survivor_of(self.tenant_id, customer_id)
        assert found is not None
        return found

    def update_customer(self, customer_id: int, *, at: datetime, **values: Any) -> None:
        self.uow.customers.update(self.tenant_id, customer_id, now=at, **values)

    def tag(self, customer_id: int, tag_ids: Sequence[int], *, labels: dict[int, str], source: str, at: datetime,
            timeline: bool = True) -> bool:
        return apply_in(self.uow, self.tenant_id, {customer_id: list(tag_ids)}, add=True, source=source, actor=self.actor,
                        timeline=timeline) > 0

    def move_stage(self, customer_id: int, stage_id: int, *, stages: dict[int, Stage], at: datetime, timeline: bool = True) -> bool:
        customer = self.uow.customers.get_any(self.tenant_id, customer_id)
        assert customer is not None
        return move_in(self.uow, self.tenant_id, customer, stage_id, stages, actor=self.actor, timeline=timeline)

    def assign_owner(self, customer_id: int, staff_id: int, *, at: datetime, timeline: bool = True) -> bool:
        t = self.tenant_id
        changed = follow_in(self.uow, t, customer_id, staff_id, at=at, actor=self.actor, timeline=timeline)
        customer = self.uow.customers.get_any(t, customer_id)
        assert customer is not None
        if customer.owner_staff_id == staff_id:
            return changed
        self.uow.customers.update(t, customer_id, now=at, owner_staff_id=staff_id)
        self.uow.timeline.add(t, customer_id, EventKind.PROFILE_CHANGED, actor=self.actor, at=at,
                              changes={"owner_staff_id": [customer.owner_staff_id, staff_id]})
        return True

    def flush(self) -> None:
        """Nothing is pending: each call wrote as it went."""



