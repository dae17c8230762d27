from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import api_tokens
from siyu.domain.access import Role, Scope
from siyu.domain.accounts import ApiToken
from siyu.domain.paging import Page, PageRequest


def _token(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        prefix=row.prefix,
        role=Role(row.role),
        created_by=row.created_by,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class ApiTokenRepository:
    """Machine tokens. Only a SHA-256 of the secret is stored; the secret is shown once."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> ApiToken:
        new_id = self.session.execute(
            insert(api_tokens).values(tenant_id=tenant_id, created_at=now, **values)
        ).inserted_primary_key[0]  # type: ignore[index]
        return self.get(Scope(tenant_id), new_id)  # type: ignore[return-value]

    def get(self, scope: Scope, token_id: int) -> ApiToken | None:
        row = self.session.execute(
            select(api_tokens).where(api_tokens.c.tenant_id == scope.tenant_id, api_tokens.c.id == token_id)
        ).one_or_none()
        return _token(row) if row else None

    def find_active_by_hash(self, token_hash: str) -> ApiToken | None:
        row = self.session.execute(
            select(api_tokens).where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
        ).one_or_none()
        return _token(row) if row else None

    def touch(self, token_id: int, now: datetime) -> None:
        self.session.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))

    def revoke(self, tenant_id: int, token_id: int, now: datetime) -> None:
        self.session.execute(
            update(api_tokens)
            .where(api_tokens.c.tenant_id == tenant_id, api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def names(self, tenant_id: int, token_ids: set[int]) -> dict[int, str]:
        """Names of the tenant's API tokens among ``token_ids``, revoked ones included."""
        if not token_ids:
            return {}
        t = api_tokens.c
        rows = self.session.execute(select(t.id, t.name).where(t.tenant_id == tenant_id, t.id.in_(sorted(token_ids))))
        return {row.id: row.name for row in rows}

    def list(self, scope: Scope, request: PageRequest) -> Page[ApiToken]:
        query = select(api_tokens).where(api_tokens.c.tenant_id == scope.tenant_id).order_by(api_tokens.c.id.desc())
        return fetch_page(self.session, query, request, _token)
