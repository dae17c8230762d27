"""Work the worker does on a schedule to keep the operational store tidy."""

from __future__ import annotations

from datetime import timedelta

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.wecom_sign_in import STATE_SECONDS
from siyu.services.clock import utcnow


def purge_expired_sessions(uow: SqlUnitOfWork) -> int:
    """Expired sessions, and WeCom sign-in states used long enough ago that no state they could
    match is still valid. Returns the sessions removed."""
    now = utcnow()
    with uow:
        removed = uow.sessions.purge_expired(now)
        uow.wecom.forget_sign_in_states(now - timedelta(seconds=2 * STATE_SECONDS))
        uow.commit()
    return removed


def now_iso() -> str:
    return utcnow().isoformat()
