"""Transactions -> (frequency, recency, T, monetary_value), lifetimes' convention with a day period."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from siyu.analytics.ltv.summary import business_day, summarise_transactions, summary_from_columns
from siyu.domain.errors import InvalidInput
from tests.unit import cdnow


def _rows(summary):
    return {
        str(c): (f, r, t, m)
        for c, f, r, t, m in zip(summary.customers, summary.frequency, summary.recency, summary.T, summary.monetary_value, strict=True)
    }


def test_a_small_history_summarised_by_hand():
    transactions = [
        ("A", "2024-01-01", 100.0),
        ("A", "2024-01-01", 50.0),  # same day as the first: one purchase of 150
        ("A", "2024-01-05", 30.0),
        ("A", "2024-01-10", 60.0),
        ("B", "2024-01-20", 80.0),
        ("C", "2024-01-15", 10.0),
        ("C", "2024-02-03", 99.0),  # after the observation end: left out
        ("D", "2024-02-05", 20.0),  # first purchase after the end: D is not a customer yet
    ]
    customers, dates, amounts = zip(*transactions, strict=True)
    summary = summarise_transactions(customers, dates, amounts, observation_end=date(2024, 1, 31))
    # A: purchase days Jan 1, 5, 10 -> 2 repeat days; last - first = 9 days; Jan 31 - Jan 1 = 30 days;
    #    repeat days' totals 30 and 60 -> mean 45 (the first day's 150 is not counted)
    # B: one day -> 0, 0, Jan 31 - Jan 20 = 11, 0;   C: Jan 15 only (Feb 3 is after the end) -> 0, 0, 16, 0
    assert _rows(summary) == {"A": (2, 9, 30, 45), "B": (0, 0, 11, 0), "C": (0, 0, 16, 0)}
    assert summary.observation_end == date(2024, 1, 31)
    assert (summary.transactions, summary.after_observation_end) == (6, 2)
    assert list(summary.repeat_buyers) == [True, False, False]


def test_the_observation_end_defaults_to_the_last_purchase_day():
    summary = summarise_transactions(["A", "A", "B"], ["2024-03-01", "2024-03-04", "2024-03-10"], [1, 2, 3])
    assert summary.observation_end == date(2024, 3, 10)
    assert _rows(summary) == {"A": (1, 3, 9, 2), "B": (0, 0, 0, 0)}


def test_the_business_day_of_an_aware_timestamp_is_its_date_in_shanghai():
    utc = timezone.utc
    summary = summarise_transactions(
        ["late", "late", "same", "same", "naive"],
        [
            datetime(2024, 1, 1, 15, 0, tzinfo=utc),  # 23:00 in Shanghai, Jan 1
            datetime(2024, 1, 1, 16, 30, tzinfo=utc),  # 00:30 in Shanghai, Jan 2: another day
            "2023-12-31T16:30:00+00:00",  # 00:30 on Jan 1 in Shanghai
            "2024-01-01T10:00:00+08:00",  # the same business day
            "2024-01-01 23:59:00",  # no zone: the date as written
        ],
        [10, 20, 5, 7, 1],
        observation_end="2024-01-03",
    )
    assert _rows(summary) == {"late": (1, 1, 2, 20), "same": (0, 0, 2, 0), "naive": (0, 0, 2, 0)}
    assert business_day(datetime(2024, 6, 30, 20, 0, tzinfo=timezone(timedelta(hours=-4)))) == date(2024, 7, 1)


def test_numpy_days_from_a_warehouse_need_no_conversion_per_row():
    days = np.array(["2024-05-01", "2024-05-03", "2024-05-03", "2024-05-02"], dtype="datetime64[D]")
    summary = summarise_transactions(np.array([7, 7, 7, 8]), days, np.array([5.0, 2.0, 4.0, 9.0]))
    assert _rows(summary) == {"7": (1, 2, 2, 6), "8": (0, 0, 1, 0)}


def test_the_cdnow_sample_rebuilds_the_published_summary():
    customers, dates, amounts = cdnow.transactions()
    summary = summarise_transactions(customers, dates, amounts, observation_end=date(1997, 9, 30))
    published = cdnow.summary()
    assert [int(c) for c in summary.customers] == [int(c) for c in published.customers]
    assert np.array_equal(summary.frequency, published.x)
    # the published times are in weeks, rounded to 2 decimals; ours are whole days
    assert np.max(np.abs(summary.recency / 7 - published.t_x)) <= 0.005 + 1e-9
    assert np.max(np.abs(summary.T / 7 - published.T)) <= 0.005 + 1e-9
    assert np.max(np.abs(summary.monetary_value - published.zbar)) <= 0.005 + 1e-9


@pytest.mark.parametrize(
    ("customers", "dates", "amounts", "message"),
    [
        (["A"], ["2024-01-01"], [-5.0], "row 1: amount is negative; net refunds into their order before summarising"),
        (["A", "B"], ["2024-01-01", "yesterday"], [1, 2], "transaction 2: “yesterday” is not a date"),
        (["A"], ["2024-01-01"], [float("nan")], "row 1: the amount is not a number"),
        (["A", "B"], ["2024-01-01"], [1, 2], "2 customers, 1 dates and 2 amounts"),
        ([], [], [], "there are no transactions"),
        (np.array(["A", 7], dtype=object), ["2024-01-01", "2024-01-02"], [1, 2], "customer ids must all be of one kind"),
    ],
)
def test_bad_transactions_are_refused_with_the_reason(customers, dates, amounts, message):
    with pytest.raises(InvalidInput, match=message):
        summarise_transactions(customers, dates, amounts)


def test_an_observation_end_before_every_purchase_is_refused():
    with pytest.raises(InvalidInput, match="every transaction is after the observation end"):
        summarise_transactions(["A"], ["2024-01-05"], [1], observation_end="2024-01-01")


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, -1], [2, 0], [5, 5], "row 2: frequency is negative"),
        ([1, 2], [6, 3], [5, 5], "row 1: recency is after T"),
        ([0], [3], [5], "row 1: recency must be 0 when frequency is 0"),
        ([1.5], [3], [5], "row 1: frequency counts repeat purchases, so it is a whole number"),
        ([1, 1, 1], [1, float("nan"), 1], [2, 2, 2], "row 2: recency is not a number"),
        ([1, 2], [1], [2, 2], "recency has 1 values for 2 customers"),
    ],
)
def test_a_bad_summary_is_refused_naming_the_first_bad_row(frequency, recency, T, message):
    with pytest.raises(InvalidInput, match=message):
        summary_from_columns(frequency, recency, T)


def test_a_summary_names_rows_as_its_file_numbers_them():
    with pytest.raises(InvalidInput, match=r"row 7: monetary_value is negative \(rows with this problem: 2\)"):
        summary_from_columns([1, 1, 1], [1, 1, 1], [2, 2, 2], monetary_value=[1, -1, -2], rows=np.array([5, 7, 9]))


def test_summary_arrays_are_read_only():
    summary = summary_from_columns([1], [1], [2], monetary_value=[3])
    with pytest.raises(ValueError, match="read-only"):
        summary.frequency[0] = 5
