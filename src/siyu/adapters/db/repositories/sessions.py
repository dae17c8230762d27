from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import sessions


class SessionRepository:
    """Console sign-in sessions. Only a hash of the cookie's token is stored."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, tenant_id: int, user_id: int, token_hash: str, now: datetime, expires_at: datetime, user_agent: str | None) -> None:
        self.session.execute(
            insert(sessions).values(
                tenant_id=tenant_id,
                user_id=user_id,
                token_hash=token_hash,
                created_at=now,
                expires_at=expires_at,
                user_agent=(user_agent or "")[:200] or None,
            )
        )

    def find(self, token_hash: str, now: datetime) -> tuple[int, int] | None:
        """(tenant_id, user_id) of a live session."""
        row = self.session.execute(
            select(sessions.c.tenant_id, sessions.c.user_id).where(
                sessions.c.token_hash == token_hash, sessions.c.expires_at > now
            )
        ).one_or_none()
        return (row.tenant_id, row.user_id) if row else None

    def remove(self, token_hash: str) -> None:
        self.session.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    def remove_for_user(self, tenant_id: int, user_id: int) -> None:
        self.session.execute(delete(sessions).where(sessions.c.tenant_id == tenant_id, sessions.c.user_id == user_id))

    def purge_expired(self, now: datetime) -> int:
        return self.session.execute(delete(sessions).where(sessions.c.expires_at <= now)).rowcount  # type: ignore[attr-defined]
