from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import contact_ways, staff_relations
from siyu.domain.contact_ways import ContactWay, Rotation, StaffRule, WayKind
from siyu.domain.paging import Page, PageRequest


def _rule(raw: dict[str, Any]) -> StaffRule:
    return StaffRule(int(raw["staff_id"]), int(raw.get("weight", 1)), tuple(raw.get("weekdays", range(7))),
                     int(raw.get("start_hour", 0)), int(raw.get("end_hour", 24)), raw.get("daily_cap"), bool(raw.get("fallback")))


def _way(row: Any) -> ContactWay:
    return ContactWay(
        id=row.id, channel_id=row.channel_id, name=row.name, state=row.state, kind=WayKind(row.kind), rotation=Rotation(row.rotation),
        staff=tuple(_rule(r) for r in row.staff), skip_verify=row.skip_verify, tag_ids=tuple(row.tag_ids),
        remark_template=row.remark_template, stage_id=row.stage_id, config_id=row.config_id, qr_code=row.qr_code,
        bound_staff_ids=tuple(row.bound_staff_ids), bound_at=row.bound_at, archived_at=row.archived_at, created_at=row.created_at, updated_at=row.updated_at,
    )


class ContactWayRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(contact_ways).values(tenant_id=tenant_id, created_at=now, updated_at=now, bound_staff_ids=[], **values)
        ).inserted_primary_key[0]  # type: ignore[index]

    def update(self, tenant_id: int, way_id: int, *, now: datetime, **values: Any) -> None:
        c = contact_ways.c
        self.session.execute(update(contact_ways).where(c.tenant_id == tenant_id, c.id == way_id).values(updated_at=now, **values))

    def get(self, tenant_id: int, way_id: int) -> ContactWay | None:
        c = contact_ways.c
        row = self.session.execute(select(contact_ways).where(c.tenant_id == tenant_id, c.id == way_id)).one_or_none()
        return _way(row) if row else None

    def find_by_state(self, tenant_id: int, state: str) -> ContactWay | None:
        c = contact_ways.c
        row = self.session.execute(select(contact_ways).where(c.tenant_id == tenant_id, c.state == state)).one_or_none()
        return _way(row) if row else None

    def list(self, tenant_id: int, request: PageRequest, *, channel_id: int | None = None, archived: bool = False) -> Page[ContactWay]:
        c = contact_ways.c
        query = select(contact_ways).where(c.tenant_id == tenant_id, c.archived_at.is_not(None) if archived else c.archived_at.is_(None))
        if channel_id is not None:
            query = query.where(c.channel_id == channel_id)
        return fetch_page(self.session, query.order_by(c.name, c.id), request, _way)

    def live(self, tenant_id: int) -> list[ContactWay]:
        c = contact_ways.c
        rows = self.session.execute(select(contact_ways).where(c.tenant_id == tenant_id, c.archived_at.is_(None)).order_by(c.id))
        return [_way(r) for r in rows]

    def tenants_with_ways(self) -> list[int]:
        c = contact_ways.c
        return list(self.session.execute(select(c.tenant_id).where(c.archived_at.is_(None)).distinct()).scalars())

    def adds_since(self, tenant_id: int, states: list[str], since: datetime) -> dict[str, dict[int, int]]:
        """Adds per staff member through each state since a moment (the start of today), by state."""
        if not states:
            return {}
        r = staff_relations.c
        rows = self.session.execute(
            select(r.channel_state, r.staff_id, func.count()).where(
                r.tenant_id == tenant_id, r.channel_state.in_(sorted(states)), r.added_at >= since
            ).group_by(r.channel_state, r.staff_id)
        ).all()
        found: dict[str, dict[int, int]] = {}
        for state, staff_id, count in rows:
            found.setdefault(state, {})[staff_id] = count
        return found
