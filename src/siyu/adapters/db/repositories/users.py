from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import staff, users
from siyu.domain.access import Role, Scope
from siyu.domain.accounts import User
from siyu.domain.paging import Page, PageRequest


def _user(row: Any) -> User:
    return User(
        id=row.id,
        tenant_id=row.tenant_id,
        login=row.login,
        name=row.name,
        role=Role(row.role),
        staff_id=row.staff_id,
        locale=row.locale,
        is_active=row.is_active,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        created_at=row.created_at,
    )


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> User:
        new_id = self.session.execute(
            insert(users).values(tenant_id=tenant_id, created_at=now, failed_logins=0, is_active=True, **values)
        ).inserted_primary_key[0]  # type: ignore[index]
        return self.get(Scope(tenant_id), new_id)  # type: ignore[return-value]

    def add_unless_taken(self, tenant_id: int, *, now: datetime, **values: Any) -> User | None:
        """:meth:`add`, or ``None`` when the login is taken: inside a savepoint, so a clash with a
        user another transaction added at the same moment (the unique login; PostgreSQL makes this
        insert wait for that one to commit) leaves the caller's transaction usable to read it."""
        try:
            with self.session.begin_nested():
                return self.add(tenant_id, now=now, **values)
        except IntegrityError:
            return None

    def get(self, scope: Scope, user_id: int) -> User | None:
        row = self.session.execute(
            select(users).where(users.c.tenant_id == scope.tenant_id, users.c.id == user_id)
        ).one_or_none()
        return _user(row) if row else None

    def find_by_login(self, login: str) -> tuple[User, str] | None:
        """The user and their password hash; only the sign-in service asks for the hash."""
        row = self.session.execute(select(users).where(users.c.login == login)).one_or_none()
        return (_user(row), row.password_hash) if row else None

    def update(self, tenant_id: int, user_id: int, **values: Any) -> None:
        self.session.execute(
            update(users).where(users.c.tenant_id == tenant_id, users.c.id == user_id).values(**values)
        )

    def ids_for_staff(self, tenant_id: int, staff_id: int) -> list[int]:
        return list(
            self.session.execute(
                select(users.c.id).where(users.c.tenant_id == tenant_id, users.c.staff_id == staff_id)
            ).scalars()
        )

    def store_of(self, tenant_id: int, staff_id: int | None) -> int | None:
        if staff_id is None:
            return None
        return self.session.execute(
            select(staff.c.store_id).where(staff.c.tenant_id == tenant_id, staff.c.id == staff_id)
        ).scalar_one_or_none()

    def names(self, tenant_id: int, user_ids: set[int]) -> dict[int, str]:
        """Display names of the tenant's users among ``user_ids`` (others' are simply absent)."""
        if not user_ids:
            return {}
        rows = self.session.execute(
            select(users.c.id, users.c.name).where(users.c.tenant_id == tenant_id, users.c.id.in_(sorted(user_ids)))
        )
        return {row.id: row.name for row in rows}

    def list(self, scope: Scope, request: PageRequest) -> Page[User]:
        query = select(users).where(users.c.tenant_id == scope.tenant_id).order_by(users.c.login)
        return fetch_page(self.session, query, request, _user)
