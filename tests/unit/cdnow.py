"""The CDNOW data in tests/data/cdnow (see its README): the published summary and the purchases."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow"
SUMMARY = DATA / "cdnow_customers_summary_with_transactions.csv"
TRANSACTIONS = DATA / "CDNOW_sample.txt"


@dataclass(frozen=True, eq=False)
class Summary:
    customers: np.ndarray
    x: np.ndarray
    t_x: np.ndarray  # weeks
    T: np.ndarray  # weeks
    zbar: np.ndarray


def summary() -> Summary:
    with SUMMARY.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    column = lambda name: np.array([float(row[name]) for row in rows])  # noqa: E731
    return Summary(np.array([row["ID"] for row in rows]), column("x"), column("t_x"), column("T"), column("zbar"))


def transactions() -> tuple[list[str], list[str], list[float]]:
    """(customer, YYYYMMDD, dollars) for every purchase in the sample."""
    customers, dates, amounts = [], [], []
    for line in TRANSACTIONS.read_text().splitlines():
        _master, customer, day, _cds, dollars = line.split()
        customers.append(customer)
        dates.append(day)
        amounts.append(float(dollars))
    return customers, dates, amounts
