from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import channel_costs, channels
from siyu.domain.channels import Channel, ChannelCost
from siyu.domain.paging import Page, PageRequest


def _channel(row: Any) -> Channel:
    return Channel(
        id=row.id, name=row.name, state=row.state, group_name=row.group_name, owner_staff_id=row.owner_staff_id,
        archived_at=row.archived_at, created_at=row.created_at, updated_at=row.updated_at,
    )


def _cost(row: Any) -> ChannelCost:
    return ChannelCost(
        id=row.id, channel_id=row.channel_id, period_start=row.period_start, period_end=row.period_end, amount=row.amount,
        note=row.note, created_at=row.created_at, updated_at=row.updated_at,
    )


class ChannelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(channels).values(tenant_id=tenant_id, created_at=now, updated_at=now, **values)
        ).inserted_primary_key[0]  # type: ignore[index]

    def update(self, tenant_id: int, channel_id: int, *, now: datetime, **values: Any) -> None:
        c = channels.c
        self.session.execute(update(channels).where(c.tenant_id == tenant_id, c.id == channel_id).values(updated_at=now, **values))

    def get(self, tenant_id: int, channel_id: int) -> Channel | None:
        c = channels.c
        row = self.session.execute(select(channels).where(c.tenant_id == tenant_id, c.id == channel_id)).one_or_none()
        return _channel(row) if row else None

    def find_clash(self, tenant_id: int, name: str, state: str) -> Channel | None:
        c = channels.c
        row = self.session.execute(
            select(channels).where(c.tenant_id == tenant_id, or_(c.name == name, c.state == state)).limit(1)
        ).one_or_none()
        return _channel(row) if row else None

    def ids_by_state(self, tenant_id: int, states: set[str]) -> dict[str, int]:
        if not states:
            return {}
        c = channels.c
        rows = self.session.execute(select(c.state, c.id).where(c.tenant_id == tenant_id, c.state.in_(sorted(states)))).all()
        return {r.state: r.id for r in rows}

    def list(self, tenant_id: int, request: PageRequest, *, q: str | None = None, group: str | None = None,
             archived: bool = False) -> Page[Channel]:
        c = channels.c
        query = select(channels).where(c.tenant_id == tenant_id, c.archived_at.is_not(None) if archived else c.archived_at.is_(None))
        if group is not None:
            query = query.where(c.group_name == group)
        if q:
            like = f"%{q}%"
            query = query.where(or_(c.name.ilike(like), c.state.ilike(like), c.group_name.ilike(like)))
        return fetch_page(self.session, query.order_by(c.group_name, c.name, c.id), request, _channel)

    def names(self, tenant_id: int, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        c = channels.c
        return {r.id: r.name for r in self.session.execute(select(c.id, c.name).where(c.tenant_id == tenant_id, c.id.in_(sorted(ids))))}

    # costs

    def add_cost(self, tenant_id: int, channel_id: int, *, now: datetime, **values: Any) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(channel_costs).values(tenant_id=tenant_id, channel_id=channel_id, created_at=now, updated_at=now, **values)
        ).inserted_primary_key[0]  # type: ignore[index]

    def update_cost(self, tenant_id: int, cost_id: int, *, now: datetime, **values: Any) -> None:
        k = channel_costs.c
        self.session.execute(update(channel_costs).where(k.tenant_id == tenant_id, k.id == cost_id).values(updated_at=now, **values))

    def delete_cost(self, tenant_id: int, cost_id: int) -> None:
        k = channel_costs.c
        self.session.execute(delete(channel_costs).where(k.tenant_id == tenant_id, k.id == cost_id))

    def get_cost(self, tenant_id: int, channel_id: int, cost_id: int) -> ChannelCost | None:
        k = channel_costs.c
        row = self.session.execute(
            select(channel_costs).where(k.tenant_id == tenant_id, k.channel_id == channel_id, k.id == cost_id)
        ).one_or_none()
        return _cost(row) if row else None

    def overlapping_costs(self, tenant_id: int, channel_id: int, start: Any, end: Any) -> list[ChannelCost]:
        k = channel_costs.c
        rows = self.session.execute(
            select(channel_costs).where(
                k.tenant_id == tenant_id, k.channel_id == channel_id, k.period_start <= end, k.period_end >= start
            )
        ).all()
        return [_cost(r) for r in rows]

    def costs(self, tenant_id: int, channel_id: int, request: PageRequest) -> Page[ChannelCost]:
        k = channel_costs.c
        query = select(channel_costs).where(k.tenant_id == tenant_id, k.channel_id == channel_id)
        return fetch_page(self.session, query.order_by(k.period_start.desc(), k.id.desc()), request, _cost)
