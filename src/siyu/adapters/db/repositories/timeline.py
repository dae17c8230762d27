from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import timeline_events
from siyu.domain.paging import Page, PageRequest
from siyu.domain.timeline import EventKind, TimelineEvent


def _event(row: Any) -> TimelineEvent:
    return TimelineEvent(
        id=row.id, customer_id=row.customer_id, kind=EventKind(row.kind), occurred_at=row.occurred_at,
        actor=row.actor, data=dict(row.data or {}),
    )


class TimelineRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, customer_id: int, event: EventKind, /, *, actor: str, at: datetime, **data: Any) -> None:
        """Record ``event``; keyword arguments beyond actor and time are the event's data."""
        self.session.execute(
            insert(timeline_events).values(
                tenant_id=tenant_id, customer_id=customer_id, kind=event.value, occurred_at=at, actor=actor, data=data
            )
        )

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(timeline_events), rows)

    def for_customer(self, tenant_id: int, customer_id: int, request: PageRequest) -> Page[TimelineEvent]:
        e = timeline_events.c
        query = (
            select(timeline_events)
            .where(e.tenant_id == tenant_id, e.customer_id == customer_id)
            .order_by(e.occurred_at.desc(), e.id.desc())
        )
        return fetch_page(self.session, query, request, _event)

    def ids_for(self, tenant_id: int, customer_id: int) -> list[int]:
        e = timeline_events.c
        return list(self.session.execute(select(e.id).where(e.tenant_id == tenant_id, e.customer_id == customer_id)).scalars())

    def move(self, tenant_id: int, ids: list[int], to_customer: int) -> None:
        e = timeline_events.c
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self.session.execute(update(timeline_events).where(e.tenant_id == tenant_id, e.id.in_(chunk)).values(customer_id=to_customer))
