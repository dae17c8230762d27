"""Which worker is on an import run: the lease columns the customer and the order imports share
(``attempt``, ``progress_at``, ``upload``, ``encoding``; see ``siyu.services.order_imports``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, Update, or_, select, update
from sqlalchemy.orm import Session

from siyu.domain.imports import ImportStatus


def fenced(query: Update, table: Table, attempt: int | None, now: datetime | None) -> Update:
    """``query`` (an update of one run) written only while ``attempt`` still holds the run,
    stamping ``now`` as its progress; unfenced when ``attempt`` is None."""
    if attempt is None:
        return query
    return query.where(table.c.attempt == attempt).values(progress_at=now)


def claim(session: Session, table: Table, tenant_id: int, run_id: int, *, now: datetime, stale_before: datetime) -> int | None:
    """Take a running run nobody has made progress on since ``stale_before``: the new attempt's
    number, or None (finished, or another worker holds it). One UPDATE, so two workers racing
    for a run cannot both win."""
    c = table.c
    taken = session.execute(
        update(table)
        .where(c.tenant_id == tenant_id, c.id == run_id, c.status == ImportStatus.RUNNING.value,
               or_(c.progress_at.is_(None), c.progress_at < stale_before))
        .values(attempt=c.attempt + 1, progress_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.execute(select(c.attempt).where(c.tenant_id == tenant_id, c.id == run_id)).scalar_one()  # type: ignore[no-any-return]


def abandoned(session: Session, table: Table, stale_before: datetime) -> list[tuple[int, int, str, str | None]]:
    """Every tenant's runs a worker took and stopped making progress on before ``stale_before``
    (it was killed), that the worker can read again: (tenant id, run id, upload, encoding)."""
    c = table.c
    rows = session.execute(
        select(c.tenant_id, c.id, c.upload, c.encoding)
        .where(c.status == ImportStatus.RUNNING.value, c.upload.is_not(None), c.progress_at < stale_before)
        .order_by(c.id)
    ).all()
    return [(row.tenant_id, row.id, row.upload, row.encoding) for row in rows]
