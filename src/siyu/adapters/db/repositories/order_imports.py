"""Order import runs and their bad rows (``order_imports``, ``order_import_errors``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy import tuple_ as sa_tuple
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.repositories import run_leases
from siyu.adapters.db.tables import order_import_errors, order_imports
from siyu.domain.imports import CellError, ImportStatus
from siyu.domain.order_imports import OrderImportCounts, OrderImportRun
from siyu.domain.paging import Page, PageRequest

COUNTS = tuple(f.name for f in fields(OrderImportCounts))
REPORT_CHUNK = 5000


def _run(row: Any, errors: int) -> OrderImportRun:
    return OrderImportRun(
        id=row.id, filename=row.filename, dry_run=row.dry_run, source=row.source, status=ImportStatus(row.status),
        counts=OrderImportCounts(**{name: getattr(row, name) for name in COUNTS}), errors=errors, message=row.message,
        actor=row.actor, created_at=row.created_at, finished_at=row.finished_at, rows_expected=row.rows_expected,
        message_code=row.message_code, message_params=row.message_params,
    )


def _error(row: Any) -> CellError:
    return CellError(row=row.row_number, column=row.column, value=row.value, reason=row.reason, code=row.code, params=row.params)


class OrderImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, filename: str, dry_run: bool, source: str | None, actor: str, now: datetime,
            rows_expected: int | None, upload: str | None = None, encoding: str | None = None) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(order_imports).values(
                tenant_id=tenant_id, filename=filename[:200], dry_run=dry_run, source=source, status=ImportStatus.RUNNING.value,
                actor=actor, created_at=now, rows_expected=rows_expected, upload=upload, encoding=encoding, attempt=0,
                **dict.fromkeys(COUNTS, 0),
            )
        ).inserted_primary_key[0]

    def record(self, tenant_id: int, import_id: int, counts: OrderImportCounts, *, status: ImportStatus = ImportStatus.RUNNING,
               message: str | None = None, message_code: str | None = None, message_params: dict[str, Any] | None = None,
               finished_at: datetime | None = None, attempt: int | None = None, now: datetime | None = None) -> bool:
        """Write the run's counts (and status); with ``attempt``, only while that attempt still holds
        the run, stamping ``now`` as its progress. False when it no longer does (nothing written)."""
        o = order_imports.c
        values: dict[str, Any] = {**asdict(counts), "status": status.value, "finished_at": finished_at}
        if message is not None:
            values.update(message=message, message_code=message_code, message_params=message_params)
        query = run_leases.fenced(update(order_imports).where(o.tenant_id == tenant_id, o.id == import_id), order_imports, attempt, now)
        return self.session.execute(query.values(**values)).rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def claim(self, tenant_id: int, import_id: int, *, now: datetime, stale_before: datetime) -> int | None:
        return run_leases.claim(self.session, order_imports, tenant_id, import_id, now=now, stale_before=stale_before)

    def abandoned(self, stale_before: datetime) -> list[tuple[int, int, str, str | None]]:
        return run_leases.abandoned(self.session, order_imports, stale_before)

    def add_errors(self, tenant_id: int, import_id: int, errors: list[CellError]) -> None:
        if errors:
            self.session.execute(
                insert(order_import_errors),
                [{"tenant_id": tenant_id, "import_id": import_id, "row_number": e.row, "column": e.column, "value": e.value,
                  "reason": e.reason, "code": e.code, "params": dict(e.params) if e.params else None}
                 for e in (error.stored() for error in errors)],
            )

    def get(self, tenant_id: int, import_id: int) -> OrderImportRun | None:
        o = order_imports.c
        row = self.session.execute(select(order_imports).where(o.tenant_id == tenant_id, o.id == import_id)).one_or_none()
        return _run(row, self._error_count(tenant_id, import_id)) if row else None

    def list(self, tenant_id: int, request: PageRequest) -> Page[OrderImportRun]:
        o, e = order_imports.c, order_import_errors.c
        errors = (
            select(func.count()).where(e.tenant_id == o.tenant_id, e.import_id == o.id).scalar_subquery().label("error_count")
        )
        query = select(order_imports, errors).where(o.tenant_id == tenant_id).order_by(o.id.desc())
        return fetch_page(self.session, query, request, lambda row: _run(row, row.error_count))

    def errors(self, tenant_id: int, import_id: int, request: PageRequest) -> Page[CellError]:
        e = order_import_errors.c
        query = select(order_import_errors).where(e.tenant_id == tenant_id, e.import_id == import_id).order_by(e.row_number, e.id)
        return fetch_page(self.session, query, request, _error)

    def all_errors(self, tenant_id: int, import_id: int) -> Iterator[CellError]:
        """Every bad row of the run, by row number, read a chunk at a time (keyset on row, id)."""
        e = order_import_errors.c
        after: tuple[int, int] = (0, 0)
        while True:
            rows = self.session.execute(
                select(order_import_errors).where(e.tenant_id == tenant_id, e.import_id == import_id,
                                                  sa_tuple(e.row_number, e.id) > after)
                .order_by(e.row_number, e.id).limit(REPORT_CHUNK)
            ).all()
            yield from (_error(row) for row in rows)
            if len(rows) < REPORT_CHUNK:
                return
            after = (rows[-1].row_number, rows[-1].id)

    def _error_count(self, tenant_id: int, import_id: int) -> int:
        e = order_import_errors.c
        return self.session.execute(  # type: ignore[no-any-return]
            select(func.count()).select_from(order_import_errors).where(e.tenant_id == tenant_id, e.import_id == import_id)
        ).scalar_one()
