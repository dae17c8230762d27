"""Alerts, scoped like the rest of the tenant's rows: a store manager sees their store's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, select
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import alert_reads, alerts, customers, staff, wecom_settings
from siyu.domain.access import Scope
from siyu.domain.alerts import DEFAULT_MASS_DELETION_THRESHOLD, Alert, AlertCount, AlertKind
from siyu.domain.paging import Page, PageRequest


class AlertRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, kind: AlertKind, store_id: int | None, staff_id: int, customer_id: int | None,
            channel_state: str | None, day: date, occurred_at: datetime, now: datetime, **data: Any) -> int:
        return self.session.execute(insert(alerts).values(  # type: ignore[no-any-return]
            tenant_id=tenant_id, kind=kind.value, store_id=store_id, staff_id=staff_id, customer_id=customer_id,
            channel_state=channel_state, day=day, occurred_at=occurred_at, data=data, created_at=now,
        )).inserted_primary_key[0]

    def count_for(self, tenant_id: int, staff_id: int, kind: AlertKind, day: date) -> int:
        a = alerts.c
        return self.session.execute(select(func.count()).select_from(alerts).where(  # type: ignore[no-any-return]
            a.tenant_id == tenant_id, a.staff_id == staff_id, a.kind == kind.value, a.day == day)).scalar_one()

    def threshold(self, tenant_id: int) -> int:
        w = wecom_settings.c
        found = self.session.execute(select(w.mass_deletion_threshold).where(w.tenant_id == tenant_id)).scalar_one_or_none()
        return DEFAULT_MASS_DELETION_THRESHOLD if found is None else int(found)

    def set_threshold(self, tenant_id: int, value: int) -> bool:
        from sqlalchemy import update

        w = wecom_settings.c
        return self.session.execute(update(wecom_settings).where(w.tenant_id == tenant_id)  # type: ignore[attr-defined, no-any-return]
                                    .values(mass_deletion_threshold=value)).rowcount > 0

    def _visible(self, scope: Scope):  # type: ignore[no-untyped-def]
        a = alerts.c
        condition = a.tenant_id == scope.tenant_id
        if scope.staff_id is not None:
            condition = and_(condition, a.staff_id == scope.staff_id)
        elif scope.store_id is not None:
            condition = and_(condition, a.store_id == scope.store_id)
        return condition

    def _read(self, reader: str):  # type: ignore[no-untyped-def]
        r, a = alert_reads.c, alerts.c
        return exists().where(r.tenant_id == a.tenant_id, r.alert_id == a.id, r.reader == reader)

    def page(self, scope: Scope, reader: str, request: PageRequest, *, unread_only: bool = False) -> Page[Alert]:
        a, s, c = alerts.c, staff.c, customers.c
        condition = self._visible(scope)
        if unread_only:
            condition = and_(condition, ~self._read(reader))
        total = self.session.execute(select(func.count()).select_from(alerts).where(condition)).scalar_one()
        rows = self.session.execute(
            select(alerts, s.name.label("staff_name"), c.name.label("customer_name"), self._read(reader).label("is_read"))
            .join(staff, (s.tenant_id == a.tenant_id) & (s.id == a.staff_id))
            .outerjoin(customers, (c.tenant_id == a.tenant_id) & (c.id == a.customer_id))
            .where(condition).order_by(a.id.desc()).offset(request.offset).limit(request.page_size)
        ).all()
        items = [Alert(id=r.id, kind=AlertKind(r.kind), store_id=r.store_id, staff_id=r.staff_id, staff_name=r.staff_name,
                       customer_id=r.customer_id, customer_name=r.customer_name, channel_state=r.channel_state, day=r.day,
                       occurred_at=r.occurred_at, data=dict(r.data), read=bool(r.is_read)) for r in rows]
        return Page(items, total, request.page, request.page_size)

    def unread(self, scope: Scope, reader: str) -> int:
        return self.session.execute(select(func.count()).select_from(alerts)  # type: ignore[no-any-return]
                                    .where(self._visible(scope), ~self._read(reader))).scalar_one()

    def visible_ids(self, scope: Scope, ids: list[int] | None) -> list[int]:
        a = alerts.c
        query = select(a.id).where(self._visible(scope))
        if ids is not None:
            query = query.where(a.id.in_(ids))
        return list(self.session.execute(query).scalars())

    def mark_read(self, tenant_id: int, reader: str, ids: list[int], *, now: datetime) -> int:
        r = alert_reads.c
        done = set(self.session.execute(select(r.alert_id).where(r.tenant_id == tenant_id, r.reader == reader,
                                                                   r.alert_id.in_(ids))).scalars()) if ids else set()
        fresh = [i for i in ids if i not in done]
        if fresh:
            self.session.execute(insert(alert_reads), [{"tenant_id": tenant_id, "alert_id": i, "reader": reader, "read_at": now}
                                                       for i in fresh])
        return len(fresh)

    def counts(self, scope: Scope, since: date, until: date) -> tuple[list[AlertCount], list[AlertCount]]:
        """Deletions per (day, kind, staff member) and per (day, kind, channel state)."""
        a, s = alerts.c, staff.c
        deletions = (AlertKind.DELETED_BY_CUSTOMER.value, AlertKind.DELETED_BY_STAFF.value)
        where = and_(self._visible(scope), a.kind.in_(deletions), a.day >= since, a.day <= until)
        by_staff = self.session.execute(
            select(a.day, a.kind, a.staff_id, s.name, func.count().label("n"))
            .join(staff, (s.tenant_id == a.tenant_id) & (s.id == a.staff_id)).where(where)
            .group_by(a.day, a.kind, a.staff_id, s.name).order_by(a.day.desc(), func.count().desc(), a.staff_id)
        ).all()
        channel = func.coalesce(a.channel_state, "")
        by_channel = self.session.execute(
            select(a.day, a.kind, channel.label("channel"), func.count().label("n")).where(where)
            .group_by(a.day, a.kind, channel).order_by(a.day.desc(), func.count().desc(), channel)
        ).all()
        return ([AlertCount(r.day, AlertKind(r.kind), str(r.staff_id), r.name, r.n) for r in by_staff],
                [AlertCount(r.day, AlertKind(r.kind), r.channel, r.channel, r.n) for r in by_channel])
