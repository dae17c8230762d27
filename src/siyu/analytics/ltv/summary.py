"""From a list of purchases to the per-customer summary the models read: frequency, recency,
T and monetary_value, in the convention of ``lifetimes.utils.summary_data_from_transaction_data``
with one day as the period:

- the business day of each purchase is its date in Asia/Shanghai when the timestamp carries a
  time zone, and the date as written when it does not;
- purchases on the same day collapse into one (their amounts add up);
- frequency is the number of days with a purchase after the first one (repeat purchases);
- recency is the days from the first purchase to the last; T the days from the first purchase
  to the observation end (the last purchase in the data unless given); purchases after the
  observation end are left out, and so are customers whose first purchase is after it;
- monetary_value is the mean of the repeat days' totals: the first day is left out, as it is
  from frequency, and it is 0 for a customer who never bought again.

Checked against the CDNOW sample: these rules rebuild the published summary exactly
(tests/unit/test_ltv_summary.py). Everything is vectorised with numpy, so a warehouse query
can hand over a million rows as arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np

from siyu.domain.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, eq=False)
class CustomerSummary:
    """One row per customer; the arrays are read-only and aligned with ``customers``."""

    customers: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray
    observation_end: date | None = None
    transactions: int | None = None  # summarised, when built from transactions
    after_observation_end: int = 0  # transactions left out because they came after the end

    def __len__(self) -> int:
        return len(self.customers)

    @property
    def repeat_buyers(self) -> np.ndarray:
        """A mask of the customers who bought on more than one day (those Gamma-Gamma is fitted on)."""
        return self.frequency > 0


def summary_from_columns(
    frequency: object,
    recency: object,
    T: object,
    monetary_value: object | None = None,
    customers: object | None = None,
    observation_end: date | None = None,
    rows: np.ndarray | None = None,
) -> CustomerSummary:
    """A checked summary from ready-made columns (a summary CSV, or a warehouse query).
    ``rows`` numbers the rows in errors (a file's line numbers); 1, 2, 3 ... by default."""
    x, t_x, big_t = check_summary(frequency, recency, T, rows=rows)
    if monetary_value is None:
        money = np.zeros_like(x)
    else:
        money = _column(monetary_value, "monetary_value", len(x), rows)
        _no_negatives(money, "monetary_value", rows=rows)
    ids = np.arange(len(x)) if customers is None else np.asarray(customers)
    if len(ids) != len(x):
        raise InvalidInput("ltv.ids_differ", "%(ids)s customer ids for %(rows)s rows", field="customer", ids=len(ids), rows=len(x))
    return _freeze(CustomerSummary(ids, x, t_x, big_t, money, observation_end))


def summarise_transactions(
    customers: Sequence[object] | np.ndarray,
    dates: Sequence[object] | np.ndarray,
    amounts: Sequence[float] | np.ndarray,
    *,
    observation_end: date | str | None = None,
) -> CustomerSummary:
    """The summary of a transaction list (customer, when, amount); see the module docstring."""
    ids = np.asarray(customers)
    days = business_days(dates)
    money = np.asarray(amounts, dtype=np.float64).reshape(-1)
    if not (len(ids) == len(days) == len(money)):
        raise InvalidInput("ltv.transaction_columns_differ", "%(customers)s customers, %(dates)s dates and %(amounts)s amounts: the columns must line up",
                           field="amount", customers=len(ids), dates=len(days), amounts=len(money))
    if len(ids) == 0:
        raise InvalidInput("ltv.no_transactions", "there are no transactions", field="date")
    if not np.all(np.isfinite(money)):
        raise InvalidInput("ltv.amount_not_number", "row %(row)s: the amount is not a number (rows with this problem: %(count)s)", field="amount",
                           **_first(~np.isfinite(money)))
    if np.any(money < 0):
        raise InvalidInput("ltv.amount_negative", "row %(row)s: amount is negative; net refunds into their order before summarising "
                           "(rows with this problem: %(count)s)", field="amount", **_first(money < 0))
    end = int(days.max()) if observation_end is None else _day_number(business_day(observation_end))
    kept = days <= end
    if not np.any(kept):
        raise InvalidInput("ltv.all_after_end", "every transaction is after the observation end", field="observation_end")
    ids, days, money = ids[kept], days[kept], money[kept]

    try:
        names, customer = np.unique(ids, return_inverse=True)
    except TypeError:
        raise InvalidInput("ltv.mixed_ids", "customer ids must all be of one kind (all text or all numbers)", field="customer") from None
    customer = customer.reshape(-1)
    first_day = int(days.min())
    span = int(days.max()) - first_day + 1
    key = customer.astype(np.int64) * span + (days - first_day)
    keys, day_of_row = np.unique(key, return_inverse=True)
    totals = np.bincount(day_of_row.reshape(-1), weights=money, minlength=len(keys))
    owner, day = keys // span, keys % span + first_day
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])  # keys are sorted by customer, then day
    counts = np.diff(np.r_[starts, len(keys)])
    last = starts + counts - 1
    frequency = (counts - 1).astype(np.float64)
    repeat_total = np.add.reduceat(totals, starts) - totals[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_total / frequency, 0.0)
    summary = CustomerSummary(
        customers=names[owner[starts]],
        frequency=frequency,
        recency=(day[last] - day[starts]).astype(np.float64),
        T=(end - day[starts]).astype(np.float64),
        monetary_value=monetary,
        observation_end=EPOCH.fromordinal(EPOCH.toordinal() + end),
        transactions=int(kept.sum()),
        after_observation_end=int((~kept).sum()),
    )
    return _freeze(summary)


def business_day(value: object) -> date:
    """The business day of one timestamp: aware datetimes in Asia/Shanghai, naive ones as written.
    Strings are ISO 8601 (``2024-03-01``, ``20240301``, ``2024-03-01T23:30:00+00:00``)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if len(text) > 10 or "-" in text else date.fromisoformat(text)
        except ValueError:
            raise InvalidInput("ltv.not_a_date", "“%(value)s” is not a date (use YYYY-MM-DD, or an ISO 8601 timestamp)", field="date", value=text) from None
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).date() if value.tzinfo is not None else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return date.fromisoformat(str(value.astype("datetime64[D]")))
    raise InvalidInput("ltv.not_a_date", "“%(value)s” is not a date (use YYYY-MM-DD, or an ISO 8601 timestamp)", field="date", value=str(value))


def business_days(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of each value's business day. numpy datetime64 arrays
    carry no time zone and are read as local (business) time, without a conversion per element."""
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.datetime64):
        if np.any(np.isnat(array)):
            raise InvalidInput("ltv.date_missing", "row %(row)s: the date is missing (rows with this problem: %(count)s)", field="date", **_first(np.isnat(array)))
        return array.astype("datetime64[D]").astype(np.int64)
    numbers = np.empty(len(array), dtype=np.int64)
    for i, value in enumerate(array.tolist() if array.dtype != object else array):
        try:
            numbers[i] = _day_number(business_day(value))
        except InvalidInput:
            raise InvalidInput("ltv.transaction_date", "transaction %(number)s: “%(value)s” is not a date (use YYYY-MM-DD, or an ISO 8601 timestamp)",
                               field="date", number=i + 1, value=str(value)) from None
    return numbers


def check_summary(
    frequency: object, recency: object, T: object, *, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three columns as float arrays, or ``InvalidInput`` saying which rule the first bad row breaks."""
    x = _column(frequency, "frequency", None, rows)
    t_x = _column(recency, "recency", len(x), rows)
    big_t = _column(T, "T", len(x), rows)
    if len(x) == 0:
        raise InvalidInput("ltv.no_customers", "there are no customers", field="frequency")
    for values, name in ((x, "frequency"), (t_x, "recency"), (big_t, "T")):
        _no_negatives(values, name, rows=rows)
    if np.any(x != np.floor(x)):
        raise InvalidInput("ltv.frequency_whole", "row %(row)s: frequency counts repeat purchases, so it is a whole number (rows with this problem: %(count)s)",
                           field="frequency", **_first(x != np.floor(x), rows))
    if np.any(t_x > big_t):
        raise InvalidInput("ltv.recency_after_t", "row %(row)s: recency is after T, the last purchase after the observation end (rows with this problem: %(count)s)",
                           field="recency", **_first(t_x > big_t, rows))
    if np.any((x == 0) & (t_x != 0)):
        raise InvalidInput("ltv.recency_without_repeat", "row %(row)s: recency must be 0 when frequency is 0 (rows with this problem: %(count)s)",
                           field="recency", **_first((x == 0) & (t_x != 0), rows))
    if not np.any(big_t > 0):
        raise InvalidInput("ltv.all_t_zero", "every T is 0: the observation ends on every customer's first day", field="T")
    return x, t_x, big_t


def check_weights(weights: object | None, size: int) -> np.ndarray:
    if weights is None:
        return np.ones(size)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if len(w) != size:
        raise InvalidInput("ltv.weights_differ", "%(weights)s weights for %(customers)s customers", field="weights", weights=len(w), customers=size)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        raise InvalidInput("ltv.weights", "weights count customers: each is 0 or more, and not all are 0", field="weights")
    return w


def _column(values: object, name: str, size: int | None = None, rows: np.ndarray | None = None) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidInput("ltv.column_not_numbers", "%(column)s must be numbers", field=name, column=name) from None
    if size is not None and len(array) != size:
        raise InvalidInput("ltv.column_size", "%(column)s has %(values)s values for %(customers)s customers", field=name,
                           column=name, values=len(array), customers=size)
    if not np.all(np.isfinite(array)):
        raise InvalidInput("ltv.column_not_number", "row %(row)s: %(column)s is not a number (rows with this problem: %(count)s)", field=name,
                           column=name, **_first(~np.isfinite(array), rows))
    return array


def _no_negatives(values: np.ndarray, name: str, rows: np.ndarray | None = None) -> None:
    if np.any(values < 0):
        raise InvalidInput("ltv.negative", "row %(row)s: %(column)s is negative (rows with this problem: %(count)s)", field=name,
                           column=name, **_first(values < 0, rows))


def _first(mask: np.ndarray, rows: np.ndarray | None = None) -> dict[str, str | int]:
    """The error params for the first row where ``mask`` holds (``row``, counting from 1 unless
    ``rows`` numbers them) and how many rows it holds for (``count``)."""
    bad = np.flatnonzero(mask)
    number = int(rows[bad[0]]) if rows is not None else int(bad[0]) + 1
    return {"row": number, "count": f"{len(bad):,}"}


def _day_number(day: date) -> int:
    return day.toordinal() - EPOCH.toordinal()


def _freeze(summary: CustomerSummary) -> CustomerSummary:
    for array in (summary.customers, summary.frequency, summary.recency, summary.T, summary.monetary_value):
        array.setflags(write=False)
    return summary
