"""Typed rows over Arrow: built only when read, the same rows a tuple would hold; money in fen exact."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from siyu.analytics.lifetime_value import _money, _yuan, fen_of, float_column
from siyu.analytics.typed_rows import BATCH, TypedRows


@dataclass(frozen=True)
class Row:
    id: int
    group: str
    amount: Decimal


def _rows(n: int) -> tuple[TypedRows[Row], list[int]]:
    built: list[int] = []

    def make(id: int, group: str, amount: Decimal) -> Row:
        built.append(id)
        return Row(id, group, amount)

    table = pa.table({"id": pa.array(range(n), pa.int64()), "group": [("a", "b", "c")[i % 3] for i in range(n)],
                      "amount": pa.array([Decimal(i).scaleb(-2) for i in range(n)], pa.decimal128(18, 2))})
    return TypedRows(table, make), built


def test_typed_rows_build_only_the_rows_read() -> None:
    rows, built = _rows(10_000)
    assert len(rows) == 10_000 and built == []
    assert rows.counts("group") == {("a",): 3334, ("b",): 3333, ("c",): 3333} and built == []
    b_rows = rows.where(pc.equal(rows.column("group"), "b"))
    assert len(b_rows) == 3333 and built == []
    page = tuple(b_rows[20:23])
    assert page == (Row(61, "b", Decimal("0.61")), Row(64, "b", Decimal("0.64")), Row(67, "b", Decimal("0.67")))
    assert built == [61, 64, 67]
    assert rows[-1] == Row(9999, "a", Decimal("99.99")) and rows.find("id", 42) == Row(42, "a", Decimal("0.42"))
    assert rows.find("id", 10_000) is None
    assert built == [61, 64, 67, 9999, 42]


def test_typed_rows_are_the_sequence_a_tuple_would_be() -> None:
    rows, _ = _rows(BATCH + 5)  # iteration crosses a batch boundary
    expected = tuple(Row(i, ("a", "b", "c")[i % 3], Decimal(i).scaleb(-2)) for i in range(BATCH + 5))
    assert tuple(rows) == expected and rows == expected and list(rows[::1000]) == list(expected[::1000])
    assert rows[3:1] == () and len(rows[BATCH:]) == 5 and rows[BATCH + 4] == expected[-1]
    assert tuple(rows.ordered((("group", "descending"), ("id", "ascending")))[:2]) == (expected[2], expected[5])
    with pytest.raises(IndexError):
        rows[BATCH + 5]
    empty, _ = _rows(0)
    assert tuple(empty) == () and empty.counts("group") == {} and empty.find("id", 1) is None


def test_fen_of_rounds_half_a_fen_away_from_zero_as_the_decimal_path_does() -> None:
    rng = np.random.default_rng(11)
    halves = np.array([2.675, 1.005, 0.125, 0.005, 0.015, 0.345, 123456789.125, -2.675, 0.0, 1e16, 7.994999999999999])
    values = np.concatenate([halves, rng.random(20_000) * 1_000, rng.integers(0, 10**7, 20_000) / 1000])
    got = fen_of(values)
    want = [_money(v) for v in values.tolist()]
    assert [str(_yuan(int(f))) for f in got] == [str(w) for w in want]


def test_decimal_columns_become_the_floats_float_of_decimal_gives() -> None:
    values = [Decimal(int(v)).scaleb(-2) for v in np.random.default_rng(5).integers(-10**12, 10**12, 5_000)] + [Decimal("0.10")]
    column = pa.chunked_array([pa.array(values, pa.decimal128(38, 2))])
    got: Any = float_column(column)
    assert got.tolist() == [float(v) for v in values]
