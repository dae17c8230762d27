from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import customers, events
from siyu.domain.events import TrackedEvent
from siyu.domain.paging import Page, PageRequest

CHUNK = 500


def _event(row: Any) -> TrackedEvent:
    return TrackedEvent(
        id=row.id, event_id=row.event_id, name=row.name, occurred_at=row.occurred_at, customer_id=row.customer_id,
        identity_kind=row.identity_kind, identity_value=row.identity_value, properties=dict(row.properties or {}),
        source=row.source, received_at=row.received_at, updated_at=row.updated_at,
    )


class EventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def known_ids(self, tenant_id: int, event_ids: list[str]) -> set[str]:
        e = events.c
        found: set[str] = set()
        for start in range(0, len(event_ids), CHUNK):
            chunk = event_ids[start : start + CHUNK]
            found.update(self.session.execute(select(e.event_id).where(e.tenant_id == tenant_id, e.event_id.in_(chunk))).scalars())
        return found

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(events), rows)

    def for_customer(self, tenant_id: int, customer_id: int, request: PageRequest) -> Page[TrackedEvent]:
        e = events.c
        query = select(events).where(e.tenant_id == tenant_id, e.customer_id == customer_id).order_by(e.occurred_at.desc(), e.id.desc())
        return fetch_page(self.session, query, request, _event)

    def list(self, tenant_id: int, request: PageRequest, *, name: str | None = None, unmatched: bool = False) -> Page[TrackedEvent]:
        e = events.c
        query = select(events).where(e.tenant_id == tenant_id)
        if name is not None:
            query = query.where(e.name == name)
        if unmatched:
            query = query.where(e.customer_id.is_(None))
        return fetch_page(self.session, query.order_by(e.occurred_at.desc(), e.id.desc()), request, _event)

    def unmatched_keys(self, tenant_id: int, after: tuple[str, str], limit: int) -> list[tuple[str, str]]:
        """Distinct (kind, value) of unmatched events, in key order after ``after``."""
        e = events.c
        rows = self.session.execute(
            select(e.identity_kind, e.identity_value)
            .where(
                e.tenant_id == tenant_id, e.customer_id.is_(None), e.identity_kind.is_not(None),
                (e.identity_kind > after[0]) | (and_(e.identity_kind == after[0], e.identity_value > after[1])),
            )
            .group_by(e.identity_kind, e.identity_value)
            .order_by(e.identity_kind, e.identity_value)
            .limit(limit)
        ).all()
        return [(r.identity_kind, r.identity_value) for r in rows]

    def assign(self, tenant_id: int, kind: str, values: dict[str, int], *, now: datetime) -> int:
        """Unmatched events with identity ``kind``/value -> that value's customer; how many moved."""
        e = events.c
        moved = 0
        for value, customer_id in values.items():
            moved += self.session.execute(
                update(events)
                .where(e.tenant_id == tenant_id, e.customer_id.is_(None), e.identity_kind == kind, e.identity_value == value)
                .values(customer_id=customer_id, updated_at=now)
            ).rowcount or 0
        return moved

    def ids_for_customer(self, tenant_id: int, customer_id: int) -> list[int]:
        e = events.c
        return list(self.session.execute(select(e.id).where(e.tenant_id == tenant_id, e.customer_id == customer_id).order_by(e.id)).scalars())

    def of_merged_away(self, tenant_id: int, limit: int) -> list[tuple[int, int]]:
        e, c = events.c, customers.c
        rows = self.session.execute(
            select(e.id, e.customer_id)
            .join(customers, (c.tenant_id == e.tenant_id) & (c.id == e.customer_id))
            .where(e.tenant_id == tenant_id, c.merged_into_id.is_not(None))
            .order_by(e.id)
            .limit(limit)
        ).all()
        return [(r.id, r.customer_id) for r in rows]

    def move(self, tenant_id: int, ids: list[int], to_customer: int, *, now: datetime) -> None:
        e = events.c
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            self.session.execute(
                update(events).where(e.tenant_id == tenant_id, e.id.in_(chunk)).values(customer_id=to_customer, updated_at=now)
            )

    def latest_received(self, tenant_id: int) -> datetime | None:
        e = events.c
        return self.session.execute(select(e.received_at).where(e.tenant_id == tenant_id).order_by(e.received_at.desc()).limit(1)).scalar()
