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
from siyu.domain.segments import LTV_MEASURES, Segment, SegmentRefresh, SegmentRule

SCORE_COLUMNS = ("rfm_segment", *LTV_MEASURES)  # the order of CustomerScore.values()


def _segment(row: Any) -> Segment:
    refresh = None if row.refreshed_at is None else SegmentRefresh(
        refreshed_at=row.refreshed_at, members=row.refreshed_members or 0, added=row.refreshed_added or 0,
        removed=row.refreshed_removed or 0)
    return Segment(id=row.id, name=row.name, description=row.description, rule=SegmentRule.parse(row.rule),
                   materialise_as_tag_id=row.materialise_as_tag_id, created_by=row.created_by, created_at=row.created_at,
                   updated_by=row.updated_by, updated_at=row.updated_at, last_refresh=refresh)


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

    def record_refresh(self, tenant_id: int, segment_id: int, refresh: SegmentRefresh) -> None:
        self.session.execute(update(segments).where(segments.c.tenant_id == tenant_id, segments.c.id == segment_id).values(
            refreshed_at=refresh.refreshed_at, refreshed_members=refresh.members, refreshed_added=refresh.added,
            refreshed_removed=refresh.removed))

    def ids_of(self, tenant_id: int) -> dict[str, frozenset[int]]:
        """Every id a rule may refer to, by kind: tags, stages, channels, staff, stores, regions."""
        out = {}
        for name, table in (("tags", tags), ("stages", stages), ("channels", channels), ("staff", staff), ("stores", stores),
                            ("regions", regions)):
            out[name] = frozenset(self.session.execute(select(table.c.id).where(table.c.tenant_id == tenant_id)).scalars())
        return out

    # -- scores ----------------------------------------------------------------------------
    def scores(self, tenant_id: int) -> dict[int, tuple[Any, ...]]:
        """The tenant's stored scores: customer id -> the SCORE_COLUMNS values."""
        s = customer_scores.c
        rows = self.session.execute(select(s.customer_id, *(s[c] for c in SCORE_COLUMNS)).where(s.tenant_id == tenant_id))
        return {r[0]: tuple(r[1:]) for r in rows}

    def write_scores(self, tenant_id: int, changed: Mapping[int, tuple[Any, ...]], gone: Iterable[int], *,
                     now: datetime) -> None:
        """Upsert the ``changed`` rows (customer id -> SCORE_COLUMNS values) and delete ``gone``,
        each in chunks: a row that did not change is not touched (its ``scored_at`` stays)."""
        s = customer_scores.c
        gone = sorted(gone)
        for i in range(0, len(gone), 500):
            self.session.execute(delete(customer_scores).where(s.tenant_id == tenant_id, s.customer_id.in_(gone[i : i + 500])))
        ids = sorted(changed)
        for i in range(0, len(ids), 500):  # replace: delete then insert works alike on SQLite and PostgreSQL
            chunk = ids[i : i + 500]
            self.session.execute(delete(customer_scores).where(s.tenant_id == tenant_id, s.customer_id.in_(chunk)))
            self.session.execute(insert(customer_scores), [
                {"tenant_id": tenant_id, "customer_id": c, "scored_at": now, **dict(zip(SCORE_COLUMNS, changed[c], strict=True))}
                for c in chunk])

    def replace_scores(self, tenant_id: int, scores: Iterable[dict[str, Any]], *, now: datetime) -> int:
        """Make the tenant's stored scores exactly ``scores`` (dicts with customer_id and SCORE_COLUMNS)."""
        wanted = {s["customer_id"]: tuple(s.get(c) for c in SCORE_COLUMNS) for s in scores}
        self.write_scores(tenant_id, wanted, set(self.scores(tenant_id)) - set(wanted), now=now)
        return len(wanted)
