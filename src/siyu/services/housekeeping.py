"""Work the worker does on a schedule to keep the operational store tidy."""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.services.clock import utcnow


def purge_expired_sessions(uow: SqlUnitOfWork) -> int:
    with uow:
        removed = uow.sessions.purge_expired(utcnow())
        uow.commit()
    return removed


def now_iso() -> str:
    return utcnow().isoformat()
