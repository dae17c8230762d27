"""Typed rows over an Arrow table, each row object built only when it is asked for.

An analysis that answers one row per customer (RFM, lifetime value: 580,000 rows at a brand of a
million people) used to turn every Arrow row into a frozen dataclass before answering, which cost
4-10x the SQL itself (bench/README.md, "Analytics warehouse"). :class:`TypedRows` keeps the Arrow
table the warehouse returned and is a read-only sequence of the typed rows: indexing, slicing (a
page) and iterating build the rows they touch, nothing else; a dashboard that only counts per
segment or sums a column reads the columns (:meth:`TypedRows.column`, :meth:`TypedRows.counts`,
:meth:`TypedRows.where`) and never builds one object.

``make`` is called with a row's values in the table's column order (Arrow's own Python values:
``int``, ``float``, ``Decimal``, ``date``, ``str``) and returns the row object.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

import pyarrow as pa
import pyarrow.compute as pc

T = TypeVar("T")
BATCH = 8_192  # rows converted per step while iterating: a whole column's Python values never at once


class TypedRows(Sequence[T], Generic[T]):
    __slots__ = ("_make", "table")

    def __init__(self, table: pa.Table, make: Callable[..., T]) -> None:
        self.table = table
        self._make = make

    def _build(self, part: pa.Table) -> list[T]:
        columns = [column.to_pylist() for column in part.columns]
        return [self._make(*values) for values in zip(*columns, strict=True)] if columns else []

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> TypedRows[T]: ...

    def __getitem__(self, index: int | slice) -> T | TypedRows[T]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return TypedRows(self.table.slice(start, max(0, stop - start)), self._make)
            return TypedRows(self.table.take(pa.array(range(start, stop, step), type=pa.int64())), self._make)
        i = operator.index(index)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("row index out of range")
        return self._build(self.table.slice(i, 1))[0]

    def __iter__(self) -> Iterator[T]:
        for start in range(0, len(self), BATCH):
            yield from self._build(self.table.slice(start, BATCH))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TypedRows) and other._make is self._make and other.table.equals(self.table):
            return True
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal to any sequence of the same rows, as a tuple is

    def __repr__(self) -> str:
        return f"TypedRows({len(self):,} rows: {', '.join(self.table.column_names)})"

    # column access: no row objects

    def column(self, name: str) -> pa.ChunkedArray:
        return self.table.column(name)

    def where(self, mask: pa.ChunkedArray | pa.Array) -> TypedRows[T]:
        """The rows where the boolean ``mask`` (one value per row, e.g. ``pc.equal(rows.column(...), x)``) holds."""
        return TypedRows(self.table.filter(mask), self._make)

    def ordered(self, keys: Sequence[tuple[str, str]]) -> TypedRows[T]:
        """The rows sorted by ``keys`` (``(column, "ascending" | "descending")`` pairs); stable."""
        return TypedRows(self.table.sort_by(list(keys)), self._make)

    def find(self, column: str, value: Any) -> T | None:
        """The first row whose ``column`` equals ``value``, or None."""
        at = pc.index(self.table.column(column), value).as_py()
        return None if at is None or at < 0 else self[at]

    def counts(self, *columns: str) -> dict[tuple[Any, ...], int]:
        """How many rows hold each combination of the ``columns``' values (combinations absent are absent)."""
        if not len(self):
            return {}
        grouped = self.table.select(list(columns)).group_by(list(columns)).aggregate([([], "count_all")])
        keys = zip(*(grouped.column(c).to_pylist() for c in columns), strict=True)
        return dict(zip(keys, grouped.column("count_all").to_pylist(), strict=True))
