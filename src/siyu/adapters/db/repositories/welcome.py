from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import materials, welcome_messages, welcome_sends
from siyu.domain.paging import Page, PageRequest
from siyu.domain.welcome import Material, MaterialKind, SendStatus, WelcomeMessage, WelcomeScope


def _material(row: Any) -> Material:
    return Material(row.id, MaterialKind(row.kind), row.title, row.url, row.pic_url, row.description, row.appid, row.page,
                    row.created_at, row.updated_at)


def _message(row: Any) -> WelcomeMessage:
    return WelcomeMessage(row.id, WelcomeScope(row.scope), row.text, tuple(row.material_ids), row.channel_id, row.contact_way_id,
                          row.updated_at)


class WelcomeRepository:
    """Materials, welcome messages, and the record of each welcome sent."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # materials

    def add_material(self, tenant_id: int, *, now: datetime, **values: Any) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(materials).values(tenant_id=tenant_id, created_at=now, updated_at=now, **values)
        ).inserted_primary_key[0]  # type: ignore[index]

    def update_material(self, tenant_id: int, material_id: int, *, now: datetime, **values: Any) -> None:
        m = materials.c
        self.session.execute(update(materials).where(m.tenant_id == tenant_id, m.id == material_id).values(updated_at=now, **values))

    def delete_material(self, tenant_id: int, material_id: int) -> None:
        m = materials.c
        self.session.execute(delete(materials).where(m.tenant_id == tenant_id, m.id == material_id))

    def url_in_use(self, tenant_id: int, url: str) -> bool:
        """Whether a material of the tenant still names ``url`` (as its file or its cover)."""
        m = materials.c
        return self.session.execute(select(m.id).where(m.tenant_id == tenant_id, or_(m.url == url, m.pic_url == url))
                                    .limit(1)).first() is not None

    def get_material(self, tenant_id: int, material_id: int) -> Material | None:
        m = materials.c
        row = self.session.execute(select(materials).where(m.tenant_id == tenant_id, m.id == material_id)).one_or_none()
        return _material(row) if row else None

    def materials(self, tenant_id: int, ids: list[int]) -> dict[int, Material]:
        if not ids:
            return {}
        m = materials.c
        rows = self.session.execute(select(materials).where(m.tenant_id == tenant_id, m.id.in_(sorted(set(ids)))))
        return {r.id: _material(r) for r in rows}

    def list_materials(self, tenant_id: int, request: PageRequest, *, kind: str | None = None) -> Page[Material]:
        m = materials.c
        query = select(materials).where(m.tenant_id == tenant_id)
        if kind:
            query = query.where(m.kind == kind)
        return fetch_page(self.session, query.order_by(m.id.desc()), request, _material)

    def material_in_use(self, tenant_id: int, material_id: int) -> bool:
        w = welcome_messages.c
        return any(material_id in (r.material_ids or []) for r in self.session.execute(
            select(w.material_ids).where(w.tenant_id == tenant_id)))

    def welcome_material_ids(self, tenant_id: int | None = None) -> dict[int, set[int]]:
        """tenant -> the ids of the materials its welcome messages carry (one tenant, or every tenant)."""
        w = welcome_messages.c
        query = select(w.tenant_id, w.material_ids)
        if tenant_id is not None:
            query = query.where(w.tenant_id == tenant_id)
        found: dict[int, set[int]] = {}
        for row in self.session.execute(query):
            if row.material_ids:
                found.setdefault(row.tenant_id, set()).update(row.material_ids)
        return found

    # welcome messages

    def add_message(self, tenant_id: int, *, now: datetime, **values: Any) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(welcome_messages).values(tenant_id=tenant_id, created_at=now, updated_at=now, **values)
        ).inserted_primary_key[0]  # type: ignore[index]

    def update_message(self, tenant_id: int, message_id: int, *, now: datetime, **values: Any) -> None:
        w = welcome_messages.c
        self.session.execute(update(welcome_messages).where(w.tenant_id == tenant_id, w.id == message_id).values(updated_at=now, **values))

    def delete_message(self, tenant_id: int, message_id: int) -> None:
        w = welcome_messages.c
        self.session.execute(delete(welcome_messages).where(w.tenant_id == tenant_id, w.id == message_id))

    def get_message(self, tenant_id: int, message_id: int) -> WelcomeMessage | None:
        w = welcome_messages.c
        row = self.session.execute(select(welcome_messages).where(w.tenant_id == tenant_id, w.id == message_id)).one_or_none()
        return _message(row) if row else None

    def find_message(self, tenant_id: int, scope: WelcomeScope, channel_id: int | None, way_id: int | None) -> WelcomeMessage | None:
        w = welcome_messages.c
        query = select(welcome_messages).where(
            w.tenant_id == tenant_id, w.scope == scope.value,
            w.channel_id.is_(None) if channel_id is None else w.channel_id == channel_id,
            w.contact_way_id.is_(None) if way_id is None else w.contact_way_id == way_id,
        )
        row = self.session.execute(query).one_or_none()
        return _message(row) if row else None

    def candidates(self, tenant_id: int, *, channel_id: int | None, way_id: int | None) -> list[WelcomeMessage]:
        """The messages that could apply to an add: the way's, the channel's, the default."""
        w = welcome_messages.c
        wanted = [w.scope == WelcomeScope.DEFAULT.value]
        if channel_id is not None:
            wanted.append((w.scope == WelcomeScope.CHANNEL.value) & (w.channel_id == channel_id))
        if way_id is not None:
            wanted.append((w.scope == WelcomeScope.WAY.value) & (w.contact_way_id == way_id))
        rows = self.session.execute(select(welcome_messages).where(w.tenant_id == tenant_id, or_(*wanted)))
        return [_message(r) for r in rows]

    def list_messages(self, tenant_id: int, request: PageRequest) -> Page[WelcomeMessage]:
        w = welcome_messages.c
        query = select(welcome_messages).where(w.tenant_id == tenant_id).order_by(w.scope, w.id)
        return fetch_page(self.session, query, request, _message)

    # sends

    def record_send(self, tenant_id: int, **values: Any) -> int | None:
        """A send for one add event, once: None when the event has one already."""
        s = welcome_sends.c
        if self.session.execute(select(s.id).where(s.tenant_id == tenant_id, s.event_key == values["event_key"])).first():
            return None
        return self.session.execute(  # type: ignore[no-any-return]
            insert(welcome_sends).values(tenant_id=tenant_id, **values)
        ).inserted_primary_key[0]  # type: ignore[index]

    def finish_send(self, tenant_id: int, send_id: int, **values: Any) -> None:
        s = welcome_sends.c
        self.session.execute(update(welcome_sends).where(s.tenant_id == tenant_id, s.id == send_id).values(**values))

    def get_send(self, tenant_id: int, send_id: int) -> Any:
        s = welcome_sends.c
        return self.session.execute(select(welcome_sends).where(s.tenant_id == tenant_id, s.id == send_id)).one_or_none()

    def sends_for(self, tenant_id: int, customer_id: int) -> list[Any]:
        s = welcome_sends.c
        return list(self.session.execute(select(welcome_sends).where(s.tenant_id == tenant_id, s.customer_id == customer_id)
                                         .order_by(s.id)).all())

    def status_counts(self, tenant_id: int, since: datetime) -> dict[SendStatus, int]:
        s = welcome_sends.c
        rows = self.session.execute(select(s.status, func.count()).where(s.tenant_id == tenant_id, s.received_at >= since)
                                    .group_by(s.status))
        return {SendStatus(status): count for status, count in rows}
