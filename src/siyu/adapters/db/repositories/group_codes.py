"""Group live codes' rows: the codes, their groups' member counts (wecom_group_chats) and their joins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import group_code_joins, group_codes, wecom_group_chats
from siyu.domain.group_codes import GroupCode
from siyu.domain.paging import Page, PageRequest


def _code(row: Any) -> GroupCode:
    return GroupCode(
        id=row.id, channel_id=row.channel_id, name=row.name, state=row.state, chat_ids=tuple(row.chat_ids), threshold=row.threshold,
        auto_create_room=row.auto_create_room, room_base_name=row.room_base_name, room_base_id=row.room_base_id,
        config_id=row.config_id, qr_code=row.qr_code, live_chat_ids=tuple(row.live_chat_ids), rotated_at=row.rotated_at,
        exhausted_at=row.exhausted_at, archived_at=row.archived_at, created_at=row.created_at, updated_at=row.updated_at,
    )


class GroupCodeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(group_codes).values(tenant_id=tenant_id, created_at=now, updated_at=now, live_chat_ids=[], **values)
        ).inserted_primary_key[0]  # type: ignore[index]

    def update(self, tenant_id: int, code_id: int, *, now: datetime, **values: Any) -> None:
        c = group_codes.c
        self.session.execute(update(group_codes).where(c.tenant_id == tenant_id, c.id == code_id).values(updated_at=now, **values))

    def get(self, tenant_id: int, code_id: int, *, for_update: bool = False) -> GroupCode | None:
        """The code; ``for_update`` locks its row (PostgreSQL; SQLite's write transaction already holds the database)
        for a read-modify-write of its pool."""
        c = group_codes.c
        query = select(group_codes).where(c.tenant_id == tenant_id, c.id == code_id)
        row = self.session.execute(query.with_for_update() if for_update else query).one_or_none()
        return _code(row) if row else None

    def find_by_state(self, tenant_id: int, state: str) -> GroupCode | None:
        c = group_codes.c
        row = self.session.execute(select(group_codes).where(c.tenant_id == tenant_id, c.state == state)).one_or_none()
        return _code(row) if row else None

    def list(self, tenant_id: int, request: PageRequest, *, archived: bool = False) -> Page[GroupCode]:
        c = group_codes.c
        query = select(group_codes).where(c.tenant_id == tenant_id, c.archived_at.is_not(None) if archived else c.archived_at.is_(None))
        return fetch_page(self.session, query.order_by(c.name, c.id), request, _code)

    def live(self, tenant_id: int) -> list[GroupCode]:
        c = group_codes.c
        rows = self.session.execute(select(group_codes).where(c.tenant_id == tenant_id, c.archived_at.is_(None)).order_by(c.id))
        return [_code(r) for r in rows]

    def tenants_with_codes(self) -> list[int]:
        c = group_codes.c
        return list(self.session.execute(select(c.tenant_id).where(c.archived_at.is_(None)).distinct()).scalars())

    # ---- the groups (synced by services/wecom_sync, member counts kept by callbacks and the re-check) ----

    def chats(self, tenant_id: int, chat_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The groups Siyu has rows for, by chat id: name, members, owner (userid, staff id), status,
        when dismissed (or None)."""
        if not chat_ids:
            return {}
        g = wecom_group_chats.c
        rows = self.session.execute(select(g.chat_id, g.name, g.members, g.owner_userid, g.owner_staff_id, g.status,
                                           g.dismissed_at).where(
            g.tenant_id == tenant_id, g.chat_id.in_(sorted(set(chat_ids))))).all()
        return {r.chat_id: dict(r._mapping) for r in rows}

    def all_chats(self, tenant_id: int, *, limit: int) -> list[dict[str, Any]]:
        """The tenant's groups for a picker (dismissed ones left out): chat id, name, members, by name."""
        g = wecom_group_chats.c
        rows = self.session.execute(select(g.chat_id, g.name, g.members).where(g.tenant_id == tenant_id, g.dismissed_at.is_(None))
                                    .order_by(g.name, g.chat_id).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def set_members(self, tenant_id: int, chat_id: str, *, members: int, external_members: int, now: datetime) -> None:
        g = wecom_group_chats.c
        self.session.execute(update(wecom_group_chats).where(g.tenant_id == tenant_id, g.chat_id == chat_id).values(
            members=members, external_members=external_members, synced_at=now))

    # ---- joins ----

    def add_join(self, tenant_id: int, code_id: int, chat_id: str, *, members: int, at: datetime) -> None:
        self.session.execute(insert(group_code_joins).values(tenant_id=tenant_id, group_code_id=code_id, chat_id=chat_id,
                                                             members=members, occurred_at=at))

    def joins(self, tenant_id: int, code_ids: list[int], *, since: datetime | None = None) -> dict[int, int]:
        """Customers who joined through each code (since a moment, or ever)."""
        if not code_ids:
            return {}
        j = group_code_joins.c
        query = select(j.group_code_id, func.sum(j.members)).where(j.tenant_id == tenant_id, j.group_code_id.in_(sorted(code_ids)))
        if since is not None:
            query = query.where(j.occurred_at >= since)
        return {code_id: int(total or 0) for code_id, total in self.session.execute(query.group_by(j.group_code_id))}
