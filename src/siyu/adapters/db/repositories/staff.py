from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import staff
from siyu.domain.access import Role, Scope
from siyu.domain.organisation import Staff, StaffStatus
from siyu.domain.paging import Page, PageRequest


def _staff(row: Any) -> Staff:
    return Staff(
        id=row.id,
        tenant_id=row.tenant_id,
        wecom_userid=row.wecom_userid,
        name=row.name,
        mobile=row.mobile,
        store_id=row.store_id,
        role=Role(row.role),
        status=StaffStatus(row.status),
        resigned_at=row.resigned_at,
        created_at=row.created_at,
    )


class StaffRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _visible(self, scope: Scope):  # type: ignore[no-untyped-def]
        query = select(staff).where(staff.c.tenant_id == scope.tenant_id)
        if scope.store_id is not None:
            query = query.where(staff.c.store_id == scope.store_id)
        if scope.staff_id is not None:
            query = query.where(staff.c.id == scope.staff_id)
        return query

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> Staff:
        new_id = self.session.execute(
            insert(staff).values(tenant_id=tenant_id, created_at=now, status=StaffStatus.ACTIVE.value, **values)
        ).inserted_primary_key[0]  # type: ignore[index]
        return self.get(Scope(tenant_id), new_id)  # type: ignore[return-value]

    def update(self, tenant_id: int, staff_id: int, **values: Any) -> None:
        self.session.execute(
            update(staff).where(staff.c.tenant_id == tenant_id, staff.c.id == staff_id).values(**values)
        )

    def get(self, scope: Scope, staff_id: int) -> Staff | None:
        row = self.session.execute(self._visible(scope).where(staff.c.id == staff_id)).one_or_none()
        return _staff(row) if row else None

    def many(self, tenant_id: int, ids: list[int]) -> list[Staff]:
        if not ids:
            return []
        rows = self.session.execute(select(staff).where(staff.c.tenant_id == tenant_id, staff.c.id.in_(ids))).all()
        return [_staff(r) for r in rows]

    def find_by_userid(self, tenant_id: int, wecom_userid: str) -> Staff | None:
        row = self.session.execute(
            select(staff).where(
                staff.c.tenant_id == tenant_id, func.lower(staff.c.wecom_userid) == wecom_userid.lower()
            )
        ).one_or_none()
        return _staff(row) if row else None

    def list(
        self,
        scope: Scope,
        request: PageRequest,
        *,
        store_id: int | None = None,
        status: StaffStatus | None = None,
        role: Role | None = None,
        q: str | None = None,
    ) -> Page[Staff]:
        query = self._visible(scope)
        if store_id is not None:
            query = query.where(staff.c.store_id == store_id)
        if status is not None:
            query = query.where(staff.c.status == status.value)
        if role is not None:
            query = query.where(staff.c.role == role.value)
        if q:
            like = f"%{q}%"
            query = query.where(or_(staff.c.name.ilike(like), staff.c.wecom_userid.ilike(like), staff.c.mobile.ilike(like)))
        return fetch_page(self.session, query.order_by(staff.c.name, staff.c.id), request, _staff)

    def count_by_status(self, scope: Scope) -> dict[StaffStatus, int]:
        sub = self._visible(scope).subquery()
        rows = self.session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all()
        counts = {status: 0 for status in StaffStatus}
        counts.update({StaffStatus(status): n for status, n in rows})
        return counts
