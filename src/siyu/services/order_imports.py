"""Importing orders from a CSV or XLSX file (Permission ``orders.manage``).

The file's rows become orders as :mod:`siyu.domain.order_columns` says (one row per line, the
rows of an order together), and go through the same :func:`siyu.services.orders.write_orders`
as the batch API: importing a file twice changes nothing, a changed order is updated, refunds
are added once. Like the customer import, good orders go in, and every bad one is reported
with the row number as Excel shows it (the header is row 1), the column and the reason; a dry
run does all the work and saves nothing. The file is read as a stream and written
``batch_size`` orders per transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siyu.adapters.files.sheets import open_sheet
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import InvalidInput
from siyu.domain.imports import CellError
from siyu.domain.order_columns import ORDER_COLUMNS, OrderColumns, OrderRows
from siyu.domain.orders import OrderOutcome, OrderResult
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label
from siyu.services.orders import parse_orders, write_orders

BATCH_SIZE = 1000
Progress = Callable[[int], None]


@dataclass
class OrderImportReport:
    filename: str
    dry_run: bool
    rows_total: int = 0
    rows_good: int = 0
    rows_bad: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    orders_rejected: int = 0
    orders_unmatched: int = 0  # written (or, in a dry run, would be) with no customer yet
    refunds_added: int = 0
    errors: list[CellError] = field(default_factory=list)


def import_orders(
    uow: SqlUnitOfWork, actor: Actor, path: Path, *, filename: str | None = None, dry_run: bool = False,
    source: str | None = None, encoding: str | None = None, batch_size: int = BATCH_SIZE, progress: Progress | None = None,
) -> OrderImportReport:
    """Import ``path``. ``source`` is the orders' source when the file has no source column.
    Raises InvalidInput for a file that cannot be read or lacks a needed column."""
    actor.require(Permission.ORDERS_MANAGE)
    if batch_size < 1:
        raise InvalidInput("import.invalid_batch_size", "batch_size is at least 1", field="batch_size")
    report = OrderImportReport(filename or path.name, dry_run)
    with open_sheet(path, encoding=encoding) as sheet:
        columns = OrderColumns.read(sheet.header)
        missing = columns.missing(has_source=bool(source))
        if missing:
            raise InvalidInput("order_import.missing_columns", "the file has no %(columns)s column", field="file", columns=", ".join(missing))
        report.errors += [CellError(1, name, None, "unknown column, ignored") for name in columns.unknown]
        batch: list[OrderRows] = []
        for group in _orders(columns, sheet.rows, source, report):
            batch.append(group)
            if len(batch) >= batch_size:
                _write(uow, actor, columns, batch, report)
                batch = []
                if progress is not None:
                    progress(report.rows_total)
        if batch:
            _write(uow, actor, columns, batch, report)
    if progress is not None:
        progress(report.rows_total)
    report.errors.sort(key=lambda e: e.row)
    return report


def _orders(columns: OrderColumns, rows: Iterator[tuple[int, list[str]]], source: str | None,
            report: OrderImportReport) -> Iterator[OrderRows]:
    current: OrderRows | None = None
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        report.rows_total += 1
        key = ((columns.cell(cells, "order", "source") or source or "").lower(), columns.cell(cells, "order", "order_id"))
        if current is None or current.key != key:
            if current is not None:
                yield current
            current = _start(columns, cells, number, key, source)
        else:
            if not _continue(columns, cells, number, current, report):
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


def _continue(columns: OrderColumns, cells: list[str], number: int, current: OrderRows, report: OrderImportReport) -> bool:
    """A further row of the same order: its order columns must agree with the first row's."""
    ok = True
    for name in ORDER_COLUMNS:
        value = columns.cell(cells, "order", name)
        if value and name != "source" and value != (current.order.get(name) or ""):
            report.errors.append(CellError(number, columns.title("order", name), value,
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


def _write(uow: SqlUnitOfWork, actor: Actor, columns: OrderColumns, batch: list[OrderRows], report: OrderImportReport) -> None:
    now = utcnow()
    bad_rows = {i for i, group in enumerate(batch) if group.order.pop("_bad_rows", 0)}
    parsed, rejected = parse_orders([group.order for group in batch], now=now)
    parsed = [(i, draft) for i, draft in parsed if i not in bad_rows]
    with uow:
        results = write_orders(uow, actor.tenant_id, parsed, actor=actor_label(actor), now=now)
        if not report.dry_run:
            uow.commit()
    refused = {r.index for r in rejected}
    for index in sorted(bad_rows - refused):  # its rows' errors are reported already
        group = batch[index]
        results.append(OrderResult(index, group.key[0], group.key[1], OrderOutcome.REJECTED, field="", reason=""))
    for result in results + rejected:
        group = batch[result.index]
        _count(report, result, group, columns)


def _count(report: OrderImportReport, result: OrderResult, group: OrderRows, columns: OrderColumns) -> None:
    if result.outcome is OrderOutcome.REJECTED:
        report.orders_rejected += 1
        report.rows_bad += len(group.rows)
        if result.reason:  # "" : its rows' errors are reported already
            row, column = group.locate(columns, result.field)
            report.errors.append(CellError(row, column, None, result.reason, result.code, result.params))
        return
    report.rows_good += len(group.rows)
    report.refunds_added += result.refunds_added
    report.orders_unmatched += result.customer_id is None
    if result.outcome is OrderOutcome.CREATED:
        report.orders_created += 1
    elif result.outcome is OrderOutcome.UPDATED:
        report.orders_updated += 1
    else:
        report.orders_unchanged += 1
