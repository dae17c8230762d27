from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.repositories import run_leases
from siyu.adapters.db.tables import import_errors, imports
from siyu.domain.imports import CellError, ImportCounts, ImportRun, ImportStatus
from siyu.domain.paging import Page, PageRequest


def _run(row: Any, errors: int) -> ImportRun:
    return ImportRun(
        id=row.id, filename=row.filename, dry_run=row.dry_run, status=ImportStatus(row.status), rows_total=row.rows_total,
        rows_good=row.rows_good, rows_bad=row.rows_bad, customers_created=row.customers_created,
        customers_updated=row.customers_updated, customers_merged=row.customers_merged, errors=errors, message=row.message,
        actor=row.actor, created_at=row.created_at, finished_at=row.finished_at,
        rows_expected=row.rows_expected, message_code=row.message_code, message_params=row.message_params, rows_done=row.rows_done,
    )


def _error(row: Any) -> CellError:
    return CellError(row=row.row_number, column=row.column, value=row.value, reason=row.reason, code=row.code, params=row.params)


class ImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, filename: str, dry_run: bool, actor: str, now: datetime,
            rows_expected: int | None = None, upload: str | None = None, encoding: str | None = None) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(imports).values(
                tenant_id=tenant_id, filename=filename[:200], dry_run=dry_run, status=ImportStatus.RUNNING.value, actor=actor,
                created_at=now, rows_expected=rows_expected, upload=upload, encoding=encoding, attempt=0, rows_done=0,
            )
        ).inserted_primary_key[0]

    def record(self, tenant_id: int, import_id: int, counts: ImportCounts, *, status: ImportStatus = ImportStatus.RUNNING,
               message: str | None = None, message_code: str | None = None, message_params: dict[str, Any] | None = None,
               finished_at: datetime | None = None, attempt: int | None = None, now: datetime | None = None) -> bool:
        """Write the run's counts (and status); with ``attempt``, only while that attempt still holds
        the run (:func:`run_leases.fenced`). False when it no longer does (nothing written)."""
        i = imports.c
        values: dict[str, Any] = {
            "rows_total": counts.rows_total, "rows_good": counts.rows_good, "rows_bad": counts.rows_bad,
            "customers_created": counts.customers_created, "customers_updated": counts.customers_updated,
            "customers_merged": counts.customers_merged, "rows_done": counts.rows_done, "status": status.value,
            "finished_at": finished_at,
        }
        if message is not None:
            values.update(message=message, message_code=message_code, message_params=message_params)
        query = run_leases.fenced(update(imports).where(i.tenant_id == tenant_id, i.id == import_id), imports, attempt, now)
        return self.session.execute(query.values(**values)).rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def claim(self, tenant_id: int, import_id: int, *, now: datetime, stale_before: datetime) -> int | None:
        return run_leases.claim(self.session, imports, tenant_id, import_id, now=now, stale_before=stale_before)

    def abandoned(self, stale_before: datetime) -> list[tuple[int, int, str, str | None]]:
        return run_leases.abandoned(self.session, imports, stale_before)

    def add_errors(self, tenant_id: int, import_id: int, errors: list[CellError]) -> None:
        if errors:
            self.session.execute(
                insert(import_errors),
                [{"tenant_id": tenant_id, "import_id": import_id, "row_number": e.row, "column": e.column, "value": e.value,
                  "reason": e.reason, "code": e.code, "params": dict(e.params) if e.params else None}
                 for e in (error.stored() for error in errors)],
            )

    def get(self, tenant_id: int, import_id: int) -> ImportRun | None:
        i = imports.c
        row = self.session.execute(select(imports).where(i.tenant_id == tenant_id, i.id == import_id)).one_or_none()
        return _run(row, self._error_count(tenant_id, import_id)) if row else None

    def list(self, tenant_id: int, request: PageRequest) -> Page[ImportRun]:
        i, e = imports.c, import_errors.c
        errors = (
            select(func.count()).where(e.tenant_id == i.tenant_id, e.import_id == i.id).scalar_subquery().label("error_count")
        )
        query = select(imports, errors).where(i.tenant_id == tenant_id).order_by(i.id.desc())
        return fetch_page(self.session, query, request, lambda row: _run(row, row.error_count))

    def errors(self, tenant_id: int, import_id: int, request: PageRequest) -> Page[CellError]:
        e = import_errors.c
        query = select(import_errors).where(e.tenant_id == tenant_id, e.import_id == import_id).order_by(e.row_number, e.id)
        return fetch_page(self.session, query, request, _error)

    def _error_count(self, tenant_id: int, import_id: int) -> int:
        e = import_errors.c
        return self.session.execute(  # type: ignore[no-any-return]
            select(func.count()).select_from(import_errors).where(e.tenant_id == tenant_id, e.import_id == import_id)
        ).scalar_one()
