"""Behaviour events in (Permission ``events.track``): the batch tracking API.

Each event is checked on its own (:class:`siyu.domain.events.EventDraft`) and gets a result:
stored, duplicate (its ``event_id`` was stored before, or earlier in the same batch with the
same content), or rejected with the field and the reason. The customer is looked up through
OneID from the event's identity and never created; unmatched events are kept and matched by
:func:`siyu.services.order_matching.match_unmatched`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.events import EventDraft, EventOutcome, EventResult, TrackedEvent
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow

MAX_BATCH = 1000


def track_events(uow: SqlUnitOfWork, actor: Actor, raw_events: Sequence[object], *, now: datetime | None = None) -> list[EventResult]:
    actor.require(Permission.EVENTS_TRACK)
    if len(raw_events) > MAX_BATCH:
        raise InvalidInput("event.batch_too_large", "at most %(max)s events per call", field="events", max=MAX_BATCH)
    now = now or utcnow()
    results: list[EventResult] = []
    good: list[tuple[int, EventDraft]] = []
    in_batch: dict[str, EventDraft] = {}
    for index, raw in enumerate(raw_events):
        event_id = raw.get("event_id") if isinstance(raw, dict) else None
        try:
            draft = EventDraft.parse(raw, now=now)
        except InvalidInput as exc:
            results.append(EventResult(index, None if event_id is None else str(event_id)[:64], EventOutcome.REJECTED,
                                       field=exc.field, reason=exc.message))
            continue
        earlier = in_batch.get(draft.event_id)
        if earlier is not None:
            if earlier == draft:
                results.append(EventResult(index, draft.event_id, EventOutcome.DUPLICATE))
            else:
                results.append(EventResult(index, draft.event_id, EventOutcome.REJECTED, field="event_id",
                                           reason="another event of this batch has this event_id"))
            continue
        in_batch[draft.event_id] = draft
        good.append((index, draft))
    with uow:
        known = uow.events.known_ids(actor.tenant_id, [d.event_id for _, d in good])
        owners = uow.identities.owners(actor.tenant_id, sorted({d.identity for _, d in good}))
        rows: list[dict[str, Any]] = []
        for index, draft in good:
            if draft.event_id in known:
                results.append(EventResult(index, draft.event_id, EventOutcome.DUPLICATE))
                continue
            customer_id = owners.get(draft.identity)
            rows.append({
                "tenant_id": actor.tenant_id, "event_id": draft.event_id, "name": draft.name, "occurred_at": draft.occurred_at,
                "customer_id": customer_id, "identity_kind": draft.identity.kind.value, "identity_value": draft.identity.value,
                "properties": draft.properties, "source": draft.source, "received_at": now, "created_at": now, "updated_at": now,
            })
            results.append(EventResult(index, draft.event_id, EventOutcome.STORED, customer_id))
        uow.events.insert(rows)
        uow.commit()
    return sorted(results, key=lambda r: r.index)


def list_events(
    uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest(), *, name: str | None = None, unmatched: bool = False
) -> Page[TrackedEvent]:
    actor.require(Permission.EVENTS_TRACK)
    with uow:
        return uow.events.list(actor.tenant_id, request, name=name, unmatched=unmatched)


def customer_events(uow: SqlUnitOfWork, actor: Actor, customer_id: int, request: PageRequest = PageRequest()) -> Page[TrackedEvent]:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        if uow.customers.get(actor.scope, customer_id) is None:
            raise NotFound("customer.not_found", "no such customer")
        return uow.events.for_customer(actor.tenant_id, customer_id, request)
