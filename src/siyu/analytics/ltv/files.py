"""Reading the two CSV shapes an analyst brings to ``siyu analytics fit-ltv``.

- transactions: ``customer,date,amount`` (one row per purchase; dates as in ``summary.business_day``)
- summary: ``customer,frequency,recency,T,monetary_value`` (one row per customer, times in days)

Headers are matched without regard to case or surrounding spaces (``customer_id`` and
``monetary`` are accepted too); a UTF-8 byte-order mark is ignored. Bad rows are collected and
reported together, by row number as a spreadsheet shows it (the header is row 1), and nothing
is fitted until the file is clean. The standard library's ``csv`` reads the file: the columns
are few and plain, and this keeps pandas out of the runtime dependencies.
"""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import numpy as np

from siyu.analytics.ltv.summary import CustomerSummary, business_day, summarise_transactions, summary_from_columns
from siyu.domain.errors import InvalidInput

ALIASES = {
    "customer": ("customer", "customer_id"),
    "date": ("date",),
    "amount": ("amount",),
    "frequency": ("frequency",),
    "recency": ("recency",),
    "T": ("t",),
    "monetary_value": ("monetary_value", "monetary"),
}
SHOWN_PROBLEMS = 10


def read_transactions(path: Path, *, observation_end: date | None = None) -> CustomerSummary:
    """The summary of a transactions CSV (``customer,date,amount``)."""
    customers: list[str] = []
    days: list[date] = []
    amounts: list[float] = []
    problems: list[str] = []
    for row_number, row in _rows(path, ("customer", "date", "amount")):
        try:
            day = business_day(row["date"])
        except InvalidInput as exc:
            problems.append(f"row {row_number}, date: {exc.message}")
            continue
        amount = _number(row["amount"], "amount", row_number, problems)
        if amount is None:
            continue
        if amount < 0:
            problems.append(f"row {row_number}, amount: {row['amount']} is negative (net refunds into their order first)")
            continue
        if not row["customer"]:
            problems.append(f"row {row_number}, customer: empty")
            continue
        customers.append(row["customer"])
        days.append(day)
        amounts.append(amount)
    _raise_if(problems, path)
    if not customers:
        raise InvalidInput("ltv.file_no_transactions", "%(file)s has no transactions", field="file", file=path.name)
    return summarise_transactions(
        np.array(customers, dtype=object), np.array(days, dtype="datetime64[D]"), np.array(amounts), observation_end=observation_end
    )


def read_summary(path: Path) -> CustomerSummary:
    """A summary CSV (``customer,frequency,recency,T,monetary_value``), checked."""
    columns: dict[str, list[float]] = {name: [] for name in ("frequency", "recency", "T", "monetary_value")}
    customers: list[str] = []
    row_numbers: list[int] = []
    first_seen: dict[str, int] = {}
    problems: list[str] = []
    for row_number, row in _rows(path, ("customer", "frequency", "recency", "T", "monetary_value")):
        values = {name: _number(row[name], name, row_number, problems) for name in columns}
        if not row["customer"]:
            problems.append(f"row {row_number}, customer: empty")
        elif row["customer"] in first_seen:
            problems.append(f"row {row_number}, customer: “{row['customer']}” is on row {first_seen[row['customer']]} already")
        else:
            first_seen[row["customer"]] = row_number
        if any(v is None for v in values.values()) or problems:
            continue
        customers.append(row["customer"])
        row_numbers.append(row_number)
        for name, value in values.items():
            columns[name].append(value)  # type: ignore[arg-type]
    _raise_if(problems, path)
    if not customers:
        raise InvalidInput("ltv.file_no_customers", "%(file)s has no customers", field="file", file=path.name)
    return summary_from_columns(customers=np.array(customers, dtype=object), rows=np.array(row_numbers), **columns)


def _rows(path: Path, wanted: tuple[str, ...]):  # type: ignore[no-untyped-def]
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput("ltv.file_unreadable", "cannot read %(path)s: %(reason)s", field="file", path=str(path), reason=str(exc.strerror)) from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise InvalidInput("ltv.file_empty", "%(file)s is empty", field="file", file=path.name) from None
        except UnicodeDecodeError:
            raise InvalidInput("ltv.file_not_utf8", "%(file)s is not UTF-8 text", field="file", file=path.name) from None
        index = _columns(header, wanted, path)
        try:
            for row_number, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                yield row_number, {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        except UnicodeDecodeError:
            raise InvalidInput("ltv.file_not_utf8", "%(file)s is not UTF-8 text", field="file", file=path.name) from None


def _columns(header: list[str], wanted: tuple[str, ...], path: Path) -> dict[str, int]:
    found = {cell.strip().lower(): i for i, cell in enumerate(header)}
    index: dict[str, int] = {}
    for name in wanted:
        matches = [found[alias] for alias in ALIASES[name] if alias in found]
        if not matches:
            raise InvalidInput(
                "ltv.file_missing_column", "%(file)s has no “%(column)s” column (its header is: %(header)s); expected %(expected)s",
                field="file", file=path.name, column=name, header=", ".join(header), expected=",".join(wanted),
            )
        index[name] = matches[0]
    return index


def _number(text: str, name: str, row_number: int, problems: list[str]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.append(f"row {row_number}, {name}: “{text}” is not a number")
        return None
    if not math.isfinite(value):
        problems.append(f"row {row_number}, {name}: “{text}” is not a number")
        return None
    return value


def _raise_if(problems: list[str], path: Path) -> None:
    if problems:
        shown = "; ".join(problems[:SHOWN_PROBLEMS])
        more = f" (and {len(problems) - SHOWN_PROBLEMS:,} more)" if len(problems) > SHOWN_PROBLEMS else ""
        raise InvalidInput("ltv.file_bad_values", "%(file)s: %(count)s bad values: %(shown)s%(more)s", field="file",
                           file=path.name, count=f"{len(problems):,}", shown=shown, more=more)

