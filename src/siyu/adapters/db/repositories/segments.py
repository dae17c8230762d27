"""Saved segments, the ids a rule may refer to, and the customers' stored scores."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.repositories.segment_matching import matching_ids
from siyu.adapters.db.tables import channels, regions, segments, stages, staff, stores, tags
from siyu.adapters.db.tables.segments import customer_scores
from siyu.domain.fields import FieldKind
from siyu.domain.paging import Page, PageRequest
from siyu.domain.segments import Segment, SegmentRule

SCORE_COLUMNS = ("rfm_segment", "p_alive", "predicted_purchases_90", "predicted_purchases_365", "predicted_value_90",
                 "predicted_value_365")


def _segment(row: Any) -> Segment:
    return Segment(id=row.id, name=row.name, description=row.description, rule=SegmentRule.parse(row.rule),
                   materialise_as_tag_id=row.materialise_as_tag_id, created_by=row.created_by, created_at=row.created_at,
                   updated_by=row.updated_by, updated_at=row.updated_at)


class SegmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, tenant_id: int, segment_id: int) -> Segment | None:
        row = self.session.execute(
            select(segments).where(segments.c.tenant_id == tenant_id, segments.c.id == segment_id)).first()
        return None if row is None else _segment(row)

    def find_by_name(self, tenant_id: int, name: str) -> Segment | None:
        row = self.session.execute(
            select(segments).where(segments.c.tenant_id == tenant_id, segments.c.name == name)).first()
        return None if row is None else _segment(row)

    def list(self, tenant_id: int, request: PageRequest) -> Page[Segment]:
        query = select(segments).where(segments.c.tenant_id == tenant_id).order_by(segments.c.name, segments.c.id)
        return fetch_page(self.session, query, request, _segment)

    def all(self, tenant_id: int) -> list[Segment]:
        rows = self.session.execute(select(segments).where(segments.c.tenant_id == tenant_id).order_by(segments.c.id))
        return [_segment(r) for r in rows]

    def matching(self, tenant_id: int, rule: SegmentRule, customer_ids: set[int] | None, today: date, *,
                 field_kinds: Callable[[], Mapping[str, FieldKind]]) -> set[int]:
        """The live customers the rule matches now (see ``segment_matching``)."""
        return matching_ids(self.session, tenant_id, rule, customer_ids, today,
                            saved_rules=lambda: self.rules(tenant_id), field_kinds=field_kinds)

    def rules(self, tenant_id: int) -> dict[int, SegmentRule]:
        rows = self.session.execute(select(segments.c.id, segments.c.rule).where(segments.c.tenant_id == tenant_id))
        return {r.id: SegmentRule.parse(r.rule) for r in rows}

    def add(self, tenant_id: int, *, name: str, description: str, rule: SegmentRule, tag_id: int | None, actor: str,
            now: datetime) -> int:
        return self.session.execute(insert(segments).values(
            tenant_id=tenant_id, name=name, description=description, rule=rule.to_dict(), materialise_as_tag_id=tag_id,
            created_by=actor, created_at=now, updated_by=actor, updated_at=now,
        )).inserted_primary_key[0]  # type: ignore[index,no-any-return]

    def update(self, tenant_id: int, segment_id: int, **values: Any) -> None:
        if "rule" in values:
            values["rule"] = values["rule"].to_dict()
        self.session.execute(update(segments).where(segments.c.tenant_id == tenant_id, segments.c.id == segment_id)
                             .values(**values))

    def delete(self, tenant_id: int, segment_id: int) -> None:
        self.session.execute(delete(segments).where(segments.c.tenant_id == tenant_id, segments.c.id == segment_id))

    def materialised(self, tenant_id: int) -> list[Segment]:
        rows = self.session.execute(select(segments).where(
            segments.c.tenant_id == tenant_id, segments.c.materialise_as_tag_id.is_not(None)).order_by(segments.c.id))
        return [_segment(r) for r in rows]

    def ids_of(self, tenant_id: int) -> dict[str, frozenset[int]]:
        """Every id a rule may refer to, by kind: tags, stages, channels, staff, stores, regions."""
        out = {}
        for name, table in (("tags", tags), ("stages", stages), ("channels", channels), ("staff", staff), ("stores", stores),
                            ("regions", regions)):
            out[name] = frozenset(self.session.execute(select(table.c.id).where(table.c.tenant_id == tenant_id)).scalars())
        return out

    # -- scores ----------------------------------------------------------------------------
    def replace_scores(self, tenant_id: int, scores: Iterable[dict[str, Any]], *, now: datetime) -> int:
        """Make the tenant's stored scores exactly ``scores`` (dicts with customer_id and SCORE_COLUMNS)."""
        self.session.execute(delete(customer_scores).where(customer_scores.c.tenant_id == tenant_id))
        rows = [{"tenant_id": tenant_id, "scored_at": now, "customer_id": s["customer_id"],
                 **{c: s.get(c) for c in SCORE_COLUMNS}} for s in scores]
        for i in range(0, len(rows), 5_000):
            self.session.execute(insert(customer_scores), rows[i : i + 5_000])
        return len(rows)
