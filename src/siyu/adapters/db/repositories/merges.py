from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import customer_merges, duplicate_dismissals
from siyu.domain.paging import Page, PageRequest


@dataclass(frozen=True, slots=True)
class MergeRecord:
    id: int
    survivor_id: int
    merged_id: int
    reason: str
    actor: str
    moved: dict[str, Any]
    created_at: datetime
    undone_at: datetime | None


def _merge(row: Any) -> MergeRecord:
    return MergeRecord(
        id=row.id, survivor_id=row.survivor_id, merged_id=row.merged_id, reason=row.reason, actor=row.actor,
        moved=dict(row.moved), created_at=row.created_at, undone_at=row.undone_at,
    )


class MergeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, survivor_id: int, merged_id: int, reason: str, actor: str, moved: dict[str, Any], now: datetime) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(customer_merges).values(
                tenant_id=tenant_id, survivor_id=survivor_id, merged_id=merged_id, reason=reason[:200], actor=actor,
                moved=moved, created_at=now,
            )
        ).inserted_primary_key[0]

    def get(self, tenant_id: int, merge_id: int) -> MergeRecord | None:
        m = customer_merges.c
        row = self.session.execute(select(customer_merges).where(m.tenant_id == tenant_id, m.id == merge_id)).one_or_none()
        return _merge(row) if row else None

    def mark_undone(self, tenant_id: int, merge_id: int, now: datetime) -> None:
        m = customer_merges.c
        self.session.execute(update(customer_merges).where(m.tenant_id == tenant_id, m.id == merge_id).values(undone_at=now))

    def involving(self, tenant_id: int, customer_id: int) -> list[MergeRecord]:
        m = customer_merges.c
        rows = self.session.execute(
            select(customer_merges)
            .where(m.tenant_id == tenant_id, (m.survivor_id == customer_id) | (m.merged_id == customer_id))
            .order_by(m.id.desc())
        ).all()
        return [_merge(r) for r in rows]

    def list(self, tenant_id: int, request: PageRequest) -> Page[MergeRecord]:
        m = customer_merges.c
        return fetch_page(self.session, select(customer_merges).where(m.tenant_id == tenant_id).order_by(m.id.desc()), request, _merge)

    def dismiss(self, tenant_id: int, a: int, b: int, *, actor: str, now: datetime) -> None:
        low, high = sorted((a, b))
        d = duplicate_dismissals.c
        exists = self.session.execute(
            select(d.customer_a).where(and_(d.tenant_id == tenant_id, d.customer_a == low, d.customer_b == high))
        ).first()
        if not exists:
            self.session.execute(
                insert(duplicate_dismissals).values(tenant_id=tenant_id, customer_a=low, customer_b=high, actor=actor, created_at=now)
            )

    def dismissed_pairs(self, tenant_id: int) -> set[tuple[int, int]]:
        d = duplicate_dismissals.c
        return {(r.customer_a, r.customer_b) for r in self.session.execute(select(d.customer_a, d.customer_b).where(d.tenant_id == tenant_id)).all()}
