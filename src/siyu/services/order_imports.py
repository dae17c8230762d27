"""Importing orders from a CSV or XLSX file (Permission ``orders.manage``).

The file's rows become orders as :mod:`siyu.domain.order_columns` says (one row per line, the
rows of an order together), and go through the same :func:`siyu.services.orders.write_orders`
as the batch API: importing a file twice changes nothing, a changed order is updated (the
source's order id is the key), refunds are added once, orders that match no customer are kept
and counted as unmatched. Like the customer import (:mod:`siyu.services.imports`), each import
is a stored run (:mod:`siyu.domain.order_imports`): good orders go in, every bad row is stored
with its row number as Excel shows it (the header is row 1), the column and the reason, and a
dry run does all the work and saves nothing but the report.

The file is read as a stream, ``batch_size`` orders per transaction; each batch commits its
orders, its bad rows and the run's counts together, with the row it ended on (``rows_done``).
Running a run again (the worker crashed half way) reads on from that row: nothing is written,
reported or counted twice. A finished run is left as it is.

One worker at a time is on a run (:mod:`siyu.services.import_leases`); the worker's sweep
queues a run whose worker was killed again (:func:`abandoned`).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from siyu.adapters.db.repositories.order_imports import OrderImportRepository
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.files.sheets import open_sheet
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import DomainError, InvalidInput, NotFound
from siyu.domain.imports import CellError, ImportStatus
from siyu.domain.order_columns import ORDER_COLUMNS, OrderColumns, OrderRows
from siyu.domain.order_imports import REPORT_HEADER, OrderImportCounts, OrderImportRun
from siyu.domain.orders import OrderOutcome, OrderResult
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label
from siyu.services.import_leases import LEASE, AbandonedRun, RunLost, abandoned_runs, read_to_the_end
from siyu.services.orders import parse_orders, write_orders

BATCH_SIZE = 1000
SPOOL_LIMIT = 8 << 20  # reports larger than this go to a temporary file
CHUNK = 1 << 18


def import_orders(
    uow: SqlUnitOfWork, actor: Actor, path: Path, *, filename: str | None = None, dry_run: bool = False,
    source: str | None = None, encoding: str | None = None, batch_size: int = BATCH_SIZE,
) -> OrderImportRun:
    """Check, record and run an import of ``path`` at once (the CLI). ``source`` is the orders'
    source when the file has no source column. Raises InvalidInput, recording nothing, for a
    file that cannot be read or lacks a needed column."""
    expected = check_file(uow, actor, path, encoding=encoding, source=source)
    import_id = start_import(uow, actor, filename=filename or path.name, dry_run=dry_run, source=source, rows_expected=expected)
    return run_import(uow, actor, import_id, path, encoding=encoding, batch_size=batch_size)


def check_file(uow: SqlUnitOfWork, actor: Actor, path: Path, *, encoding: str | None = None, source: str | None = None) -> int | None:
    """Refuse a file that cannot be imported at all before a run is recorded for it: not CSV or
    XLSX, not in its encoding, empty, or without a needed column (InvalidInput). Returns the
    estimated number of data rows."""
    actor.require(Permission.ORDERS_MANAGE)
    with open_sheet(path, encoding=encoding) as sheet:
        _columns(sheet.header, source)
        return sheet.total


def _columns(header: list[str], source: str | None) -> OrderColumns:
    columns = OrderColumns.read(header)
    missing = columns.missing(has_source=bool(source))
    if missing:
        raise InvalidInput("order_import.missing_columns", "the file has no %(columns)s column", field="file", columns=", ".join(missing))
    return columns


def start_import(uow: SqlUnitOfWork, actor: Actor, *, filename: str, dry_run: bool, source: str | None = None,
                 rows_expected: int | None = None, upload: Path | None = None, encoding: str | None = None) -> int:
    """Record a run before its file is read, so a person can watch the worker run it; ``upload``
    (and its ``encoding``) is the stored file the worker reads, kept so the sweep can queue the
    run again."""
    actor.require(Permission.ORDERS_MANAGE)
    if source is not None and not source.strip():
        source = None
    with uow:
        import_id = OrderImportRepository(uow.session).add(
            actor.tenant_id, filename=filename, dry_run=dry_run, source=source and source.strip()[:20], actor=actor_label(actor),
            now=utcnow(), rows_expected=rows_expected, upload=upload and str(upload), encoding=encoding,
        )
        uow.commit()
    return import_id


def run_import(uow: SqlUnitOfWork, actor: Actor, import_id: int, path: Path, *, encoding: str | None = None,
               batch_size: int = BATCH_SIZE) -> OrderImportRun:
    """Read the run's file from where it got to (the start, for a new run) to the end. A run
    another worker is on (its last progress newer than :data:`LEASE`) is returned as it is."""
    actor.require(Permission.ORDERS_MANAGE)
    if batch_size < 1:
        raise InvalidInput("import.invalid_batch_size", "batch_size is at least 1", field="batch_size")
    run = get_import(uow, actor, import_id)
    if run.status is not ImportStatus.RUNNING:
        return run
    with uow:
        now = utcnow()
        attempt = OrderImportRepository(uow.session).claim(actor.tenant_id, import_id, now=now, stale_before=now - LEASE)
        uow.commit()
    if attempt is None:
        return get_import(uow, actor, import_id)
    importer = _Importer(uow, actor, get_import(uow, actor, import_id), attempt)  # as the last worker left it

    def read() -> None:
        with open_sheet(path, encoding=encoding) as sheet:
            importer.read(_columns(sheet.header, run.source), sheet.rows, batch_size)

    read_to_the_end(importer, read)
    return get_import(uow, actor, import_id)


def abandoned(uow: SqlUnitOfWork, *, now: datetime | None = None) -> list[AbandonedRun]:
    """Every tenant's runs of an upload whose worker stopped making progress :data:`LEASE` ago
    (the worker's sweep; no actor: the sweep queues each again under its tenant's system actor)."""
    with uow:
        return abandoned_runs(OrderImportRepository(uow.session).abandoned((now or utcnow()) - LEASE))


class _Importer:
    def __init__(self, uow: SqlUnitOfWork, actor: Actor, run: OrderImportRun, attempt: int) -> None:
        self.uow = uow
        self.actor = actor
        self.run = run
        self.attempt = attempt
        self.counts = replace(run.counts)

    def read(self, columns: OrderColumns, rows: Iterator[tuple[int, list[str]]], batch_size: int) -> None:
        resume_after = self.counts.rows_done
        pending: list[CellError] = [] if resume_after else [CellError(1, name, None, "unknown column, ignored")
                                                            for name in columns.unknown]
        batch: list[OrderRows] = []
        for group in _orders(columns, (row for row in rows if row[0] > resume_after), self.run.source, pending):
            batch.append(group)
            if len(batch) >= batch_size:  # whole orders: a later row's error is of an order not yet in a batch
                self._write(columns, batch, pending)
                batch = []
                pending.clear()  # in place: the reader appends to this list
        if batch or pending:
            self._write(columns, batch, pending)

    def _write(self, columns: OrderColumns, batch: list[OrderRows], errors: list[CellError]) -> None:
        now = utcnow()
        counts = replace(self.counts)
        bad_rows = {i for i, group in enumerate(batch) if group.order.pop("_bad_rows", 0)}
        parsed, rejected = parse_orders([group.order for group in batch], now=now)
        parsed = [(i, draft) for i, draft in parsed if i not in bad_rows]
        with self.uow as uow:
            results = write_orders(uow, self.actor.tenant_id, parsed, actor=actor_label(self.actor), now=now)
            refused = {r.index for r in rejected}
            for index in sorted(bad_rows - refused):  # its rows' errors are reported already
                group = batch[index]
                results.append(OrderResult(index, group.key[0], group.key[1], OrderOutcome.REJECTED, field="", reason=""))
            for result in results + rejected:
                _count(counts, errors, result, batch[result.index], columns)
            if batch:
                counts.rows_done = max(batch[-1].rows)
            errors.sort(key=lambda e: e.row)
            if not self.run.dry_run:
                self._record(uow, errors, counts)
                uow.commit()
        if self.run.dry_run:
            self._store(errors, counts)
        self.counts = counts

    def _record(self, uow: SqlUnitOfWork, errors: list[CellError], counts: OrderImportCounts) -> None:
        runs = OrderImportRepository(uow.session)
        if not runs.record(self.actor.tenant_id, self.run.id, counts, attempt=self.attempt, now=utcnow()):
            raise RunLost  # the batch's orders roll back with it
        runs.add_errors(self.actor.tenant_id, self.run.id, errors)

    def _store(self, errors: list[CellError], counts: OrderImportCounts) -> None:
        with self.uow as uow:
            self._record(uow, errors, counts)
            uow.commit()

    def finish(self, status: ImportStatus, failure: DomainError | None) -> None:
        _finish(self.uow, self.actor, self.run.id, self.counts, status, failure, attempt=self.attempt)


def _finish(uow: SqlUnitOfWork, actor: Actor, import_id: int, counts: OrderImportCounts, status: ImportStatus,
            failure: DomainError | None, *, attempt: int | None = None) -> None:
    """Close the run (with ``attempt``: only while that attempt holds it)."""
    with uow:
        now = utcnow()
        OrderImportRepository(uow.session).record(
            actor.tenant_id, import_id, counts, status=status, finished_at=now,
            message=failure.message if failure else None, message_code=failure.code if failure else None,
            message_params=dict(failure.params) if failure else None, attempt=attempt, now=now,
        )
        uow.commit()


def fail_import(uow: SqlUnitOfWork, actor: Actor, import_id: int, failure: DomainError) -> OrderImportRun:
    """Mark a run that will never be read as failed (its upload could not be queued), with why."""
    actor.require(Permission.ORDERS_MANAGE)
    run = get_import(uow, actor, import_id)
    _finish(uow, actor, import_id, run.counts, ImportStatus.FAILED, failure)
    return get_import(uow, actor, import_id)


def get_import(uow: SqlUnitOfWork, actor: Actor, import_id: int) -> OrderImportRun:
    actor.require(Permission.ORDERS_MANAGE)
    with uow:
        found = OrderImportRepository(uow.session).get(actor.tenant_id, import_id)
    if found is None:
        raise NotFound("order_import.not_found", "no such order import")
    return found


def list_imports(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[OrderImportRun]:
    actor.require(Permission.ORDERS_MANAGE)
    with uow:
        return OrderImportRepository(uow.session).list(actor.tenant_id, request)


def list_import_errors(uow: SqlUnitOfWork, actor: Actor, import_id: int,
                       request: PageRequest = PageRequest()) -> Page[CellError]:
    """The run's bad rows and columns, by row number."""
    get_import(uow, actor, import_id)
    with uow:
        return OrderImportRepository(uow.session).errors(actor.tenant_id, import_id, request)


def report_csv(uow: SqlUnitOfWork, actor: Actor, import_id: int,
               reason: Callable[[CellError], str] = lambda error: error.reason) -> Iterator[bytes]:
    """Every bad row of the run as a CSV file (UTF-8 with BOM, for Excel): row, column, value and
    reason, ``reason`` saying it in the reader's language. Written at once (NotFound is raised
    here, not while streaming) to a spooled file read a chunk at a time, so a report of a
    million rows stays small in memory; the iterator closes the file."""
    get_import(uow, actor, import_id)
    buffer = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT, mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
    try:
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(REPORT_HEADER)
        with uow.reading():
            for error in OrderImportRepository(uow.session).all_errors(actor.tenant_id, import_id):
                writer.writerow((error.row, error.column or "", error.value or "", reason(error)))
    except BaseException:
        buffer.close()
        raise
    buffer.seek(0)
    return _read(buffer)


def _read(buffer: IO[str]) -> Iterator[bytes]:
    try:
        while chunk := buffer.read(CHUNK):
            yield chunk.encode()
    finally:
        buffer.close()


def _orders(columns: OrderColumns, rows: Iterator[tuple[int, list[str]]], source: str | None,
            errors: list[CellError]) -> Iterator[OrderRows]:
    current: OrderRows | None = None
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        key = ((columns.cell(cells, "order", "source") or source or "").lower(), columns.cell(cells, "order", "order_id"))
        if current is None or current.key != key:
            if current is not None:
                yield current
            current = _start(columns, cells, number, key, source)
        else:
            if not _continue(columns, cells, number, current, errors):
                current.rows.append(number)
                current.order["_bad_rows"] = current.order.get("_bad_rows", 0) + 1
                continue
        current.rows.append(number)
        _add_parts(columns, cells, number, current)
    if current is not None:
        yield current


def _start(columns: OrderColumns, cells: list[str], number: int, key: tuple[str, str], source: str | None) -> OrderRows:
    order: dict[str, Any] = {name: columns.cell(cells, "order", name) or None for name in ORDER_COLUMNS}
    order["source"] = order["source"] or source
    order["identities"] = {kind: value for (group, kind), _ in columns.index.items()
                           if group == "identity" and (value := columns.cell(cells, group, kind))}
    order["lines"], order["refunds"] = [], []
    return OrderRows(key, number, order)


def _continue(columns: OrderColumns, cells: list[str], number: int, current: OrderRows, errors: list[CellError]) -> bool:
    """A further row of the same order: its order columns must agree with the first row's."""
    ok = True
    for name in ORDER_COLUMNS:
        value = columns.cell(cells, "order", name)
        if value and name != "source" and value != (current.order.get(name) or ""):
            errors.append(CellError(number, columns.title("order", name), value,
                                           f"differs from row {current.first_row} of the same order"))
            ok = False
    return ok


def _add_parts(columns: OrderColumns, cells: list[str], number: int, current: OrderRows) -> None:
    line = {name: columns.cell(cells, "line", name) for name in ("sku", "name", "quantity", "amount")}
    if any(line.values()):
        current.order["lines"].append({**line, "quantity": line["quantity"] or "1"})
        current.line_rows.append(number)
    refund = {name: columns.cell(cells, "refund", name) for name in ("refund_id", "amount", "refunded_at", "reason")}
    if any(refund.values()):
        current.order["refunds"].append({k: v or None for k, v in refund.items()})
        current.refund_rows.append(number)


def _count(counts: OrderImportCounts, errors: list[CellError], result: OrderResult, group: OrderRows, columns: OrderColumns) -> None:
    counts.rows_total += len(group.rows)
    if result.outcome is OrderOutcome.REJECTED:
        counts.orders_rejected += 1
        counts.rows_bad += len(group.rows)
        if result.reason:  # "" : its rows' errors are reported already
            row, column = group.locate(columns, result.field)
            errors.append(CellError(row, column, group.value(result.field), result.reason, result.code, result.params))
        return
    counts.rows_good += len(group.rows)
    counts.refunds_added += result.refunds_added
    counts.orders_unmatched += result.customer_id is None
    if result.outcome is OrderOutcome.CREATED:
        counts.orders_created += 1
    elif result.outcome is OrderOutcome.UPDATED:
        counts.orders_updated += 1
    else:
        counts.orders_unchanged += 1
