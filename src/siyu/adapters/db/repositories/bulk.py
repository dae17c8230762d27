"""Bulk writes for loaders that produce rows by the hundred thousand (the demo brand, imports).

Rows go in as ``executemany`` in batches, through the unit of work's session and inside its
transaction. The statement is SQLAlchemy Core's ``insert(table)`` compiled for the dialect;
the rows' values are converted here, column by column, to exactly what the column types would
bind (naive UTC timestamps, ISO dates and JSON text on SQLite), because SQLAlchemy's per-row
parameter processing costs more than SQLite's own insert: Core's ``executemany`` writes customer
rows 1.7x slower than this (bench/demo_generation.py measures both).

Loaders that must know row ids before writing (a merge record names the identity rows it
moved) take them from :meth:`BulkRepository.new_id`:

- PostgreSQL: ids come from the table's own sequence, a block at a time
  (``nextval`` over ``generate_series``), so they never clash with anyone else's inserts.
- SQLite: one writer holds the database at a time, so ids continue from ``max(id)`` read
  inside the writing transaction. Call :meth:`release_ids` before rows are inserted without
  explicit ids, so the unused rest of a block is never handed out after them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Date, Dialect, Table, and_, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import UTCDateTime, customer_identities, customer_tags, customers, metadata, staff_relations
from siyu.domain.identities import IdentityKey, IdentityKind

BATCH_ROWS = 5_000
LOOKUP_CHUNK = 900  # bound parameters per IN list (SQLite's limit is 32,766 since 3.32)
ID_BLOCK = 10_000
ID_BLOCK_FIRST = 64
SQLITE_ROWS_PER_INSERT = 100
SQLITE_MAX_PARAMETERS = 999  # the lowest limit any SQLite build has (32,766 since 3.32)
SQLITE_BULK_CACHE_KIB = 256 * 1024  # a page cache big enough that index inserts stay in memory
CUSTOMER_VALUES = ("name", "gender", "avatar", "birthday", "region", "member_level", "stage_id", "owner_staff_id", "fields", "added_at",
                   "merged_into_id", "created_at", "updated_at")
_KIND_OF = {kind.value: kind for kind in IdentityKind}  # IdentityKind(value) costs a microsecond or two each


class JSONText(str):
    """A value for a JSON column that is serialised already (loaders cache repeated payloads)."""

    __slots__ = ()


class BulkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name
        self._blocks: dict[str, Iterator[int]] = {}
        self._next: dict[str, int] = {}  # SQLite: the next free id per table
        self._block_size: dict[str, int] = {}  # PostgreSQL: ids reserved at a time, per table
        self._saved_cache_size: int | None = None
        self._plans: dict[tuple[str, tuple[str, ...]], _InsertPlan] = {}

    # ids
    def new_id(self, table: str) -> int:
        if self._dialect == "sqlite":
            if table not in self._next:
                self._next[table] = self._max_id(table) + 1
            value = self._next[table]
            self._next[table] = value + 1
            return value
        block = self._blocks.get(table)
        value = next(block, None) if block is not None else None
        if value is None:
            if block is not None:  # a block ran out before release_ids(): reserve more at a time
                self._block_size[table] = min(ID_BLOCK, 2 * self._block_size.get(table, ID_BLOCK_FIRST))
            size = self._block_size.get(table, ID_BLOCK_FIRST)  # small batches reserve (and waste) few ids
            self._blocks[table] = block = iter(self._reserve_postgresql(table, size))
            value = next(block)
        return value

    def release_ids(self) -> None:
        """Forget reserved ids: SQLite re-reads ``max(id)`` next time; PostgreSQL leaves a gap."""
        self._blocks.clear()
        self._next.clear()

    def _max_id(self, table: str) -> int:
        target = metadata.tables[table]
        return int(self.session.execute(select(func.coalesce(func.max(target.c.id), 0))).scalar_one())

    def _reserve_postgresql(self, table: str, n: int) -> list[int]:
        rows = self.session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table, "n": n},
        )
        return sorted(r[0] for r in rows)

    # reads
    def customers_of(self, tenant_id: int, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Customers' stored values by id (gender as the stored int), without building domain objects."""
        c = customers.c
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(customer_ids), LOOKUP_CHUNK):
            rows = self.session.execute(
                select(c.id, *(c[name] for name in CUSTOMER_VALUES))
                .where(c.tenant_id == tenant_id, c.id.in_(customer_ids[start : start + LOOKUP_CHUNK]))
            )
            for customer_id, *values in rows:
                row = dict(zip(CUSTOMER_VALUES, values, strict=True))
                row["fields"] = dict(row["fields"] or {})
                found[customer_id] = row
        return found

    def identities_of(self, tenant_id: int, customer_ids: list[int]) -> dict[int, list[tuple[int, IdentityKey]]]:
        """Each customer's identities as (id, key), by kind and id."""
        i = customer_identities.c
        found: dict[int, list[tuple[int, IdentityKey]]] = {}
        for start in range(0, len(customer_ids), LOOKUP_CHUNK):
            rows = self.session.execute(
                select(i.customer_id, i.id, i.kind, i.value)
                .where(i.tenant_id == tenant_id, i.customer_id.in_(customer_ids[start : start + LOOKUP_CHUNK]))
                .order_by(i.kind, i.id)
            )
            for customer_id, identity_id, kind, value in rows:
                found.setdefault(customer_id, []).append((identity_id, IdentityKey(_KIND_OF[kind], value)))
        return found

    def relations_of(self, tenant_id: int, customer_ids: list[int]) -> dict[int, list[tuple[int, int, str, datetime]]]:
        """Each customer's staff relations as (id, staff_id, state, added_at), by added_at and id."""
        r = staff_relations.c
        found: dict[int, list[tuple[int, int, str, datetime]]] = {}
        for start in range(0, len(customer_ids), LOOKUP_CHUNK):
            rows = self.session.execute(
                select(r.customer_id, r.id, r.staff_id, r.state, r.added_at)
                .where(r.tenant_id == tenant_id, r.customer_id.in_(customer_ids[start : start + LOOKUP_CHUNK]))
                .order_by(r.added_at, r.id)
            )
            for customer_id, *relation in rows:
                found.setdefault(customer_id, []).append(tuple(relation))  # type: ignore[arg-type]
        return found

    def ids_by_customer(self, table: str, tenant_id: int, customer_ids: list[int]) -> dict[int, list[int]]:
        """The ids of each customer's rows in ``table`` (a table with ``customer_id``), ascending."""
        target = metadata.tables[table]
        found: dict[int, list[int]] = {}
        for start in range(0, len(customer_ids), LOOKUP_CHUNK):
            rows = self.session.execute(
                select(target.c.customer_id, target.c.id)
                .where(target.c.tenant_id == tenant_id, target.c.customer_id.in_(customer_ids[start : start + LOOKUP_CHUNK]))
                .order_by(target.c.customer_id, target.c.id)
            )
            for customer_id, row_id in rows:
                found.setdefault(customer_id, []).append(row_id)
        return found

    # writes
    def insert(self, table: str | Table, rows: list[dict[str, Any]]) -> int:
        """Insert rows that all give the same columns (every column with a default included)."""
        if not rows:
            return 0
        target = metadata.tables[table] if isinstance(table, str) else table
        columns = tuple(rows[0])
        plan = self._plans.get((target.name, columns))
        if plan is None:
            plan = self._plans[(target.name, columns)] = _InsertPlan(target, columns, self.session.get_bind().dialect)
        connection = self.session.connection()
        if self._dialect == "postgresql":
            # COPY: psycopg's executemany still runs one INSERT per row on the server.
            with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(plan.copy) as copy:  # type: ignore[union-attr]
                for chunk in _chunks(rows, BATCH_ROWS):
                    for values in plan.parameters(chunk, named=False):
                        copy.write_row(values)
            return len(rows)
        if self._dialect == "sqlite" and plan.positional:
            # Several rows per INSERT: a table with a trigger (the search index's notes) costs
            # SQLite a statement journal per statement, so per row with a one-row INSERT.
            values = plan.parameters(rows)
            per = max(1, min(SQLITE_ROWS_PER_INSERT, SQLITE_MAX_PARAMETERS // len(plan.order)))
            whole = len(values) - len(values) % per
            if whole:
                flat = [tuple(chain.from_iterable(values[i : i + per])) for i in range(0, whole, per)]
                connection.exec_driver_sql(plan.sql_for(per), flat)
            if whole < len(values):
                connection.exec_driver_sql(plan.sql_for(len(values) - whole), tuple(chain.from_iterable(values[whole:])))
            return len(rows)
        for chunk in _chunks(rows, BATCH_ROWS):
            connection.exec_driver_sql(plan.sql, plan.parameters(chunk))
        return len(rows)

    def update_by_id(self, table: str, tenant_id: int, rows: list[dict[str, Any]]) -> None:
        """Each row: ``id`` plus the columns to set. Rows setting the same columns share one
        statement, run as ``executemany``."""
        target = metadata.tables[table]
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            columns = tuple(sorted(k for k in row if k != "id"))
            groups.setdefault(columns, []).append({"_id": row["id"], **{f"_{k}": row[k] for k in columns}})
        for columns, params in groups.items():
            statement = (
                update(target)
                .where(target.c.tenant_id == tenant_id, target.c.id == bindparam("_id"))
                .values({c: bindparam(f"_{c}", type_=target.c[c].type) for c in columns})
            )
            for chunk in _chunks(params, BATCH_ROWS):
                self.session.execute(statement, chunk)

    def move_customer_tags(self, tenant_id: int, moves: list[tuple[int, int, int]]) -> None:
        """(from customer, to customer, tag) triples: the tag rows change hands."""
        if not moves:
            return
        t = customer_tags.c
        statement = (
            update(customer_tags)
            .where(and_(t.tenant_id == tenant_id, t.customer_id == bindparam("_from"), t.tag_id == bindparam("_tag")))
            .values(customer_id=bindparam("_to"))
        )
        for chunk in _chunks([{"_from": a, "_to": b, "_tag": tag} for a, b, tag in moves], BATCH_ROWS):
            self.session.execute(statement, chunk)

    def count(self, table: str, tenant_id: int, **equal: Any) -> int:
        """Rows of a tenant in ``table`` (optionally where columns equal values; None = IS NULL)."""
        target = metadata.tables[table]
        clauses = [target.c.tenant_id == tenant_id]
        clauses += [target.c[k].is_(None) if v is None else target.c[k] == v for k, v in equal.items()]
        return int(self.session.execute(select(func.count()).select_from(target).where(*clauses)).scalar_one())

    # the load as a whole
    def lock_for_writing(self, table: str) -> None:
        """SQLite: take the database's write lock now, before :meth:`new_id` reads ``max(id)``.
        A deferred transaction reads from a snapshot until its first write; another writer
        could add rows in between. ``UPDATE ... WHERE 0`` takes the lock and changes nothing."""
        if self._dialect == "sqlite":
            self.session.execute(text(f'UPDATE "{metadata.tables[table].name}" SET id = id WHERE 0'))

    def refresh_statistics(self, tables: Iterable[str]) -> None:
        """Let the query planner see the tables as they are after a bulk load, on every engine.
        Without statistics SQLite reads ``tenant_id = ? AND id IN (...)`` through a
        (tenant_id, ...) index, scanning the whole tenant; ``analysis_limit`` keeps SQLite's
        ANALYZE to milliseconds."""
        if self._dialect == "sqlite":
            self.session.execute(text("PRAGMA analysis_limit = 1000"))
        self.analyze(tables)

    def begin_load(self) -> None:
        """SQLite: a large page cache for the duration of the load (index pages stay hot)."""
        if self._dialect == "sqlite" and self._saved_cache_size is None:
            self._saved_cache_size = int(self.session.execute(text("PRAGMA cache_size")).scalar_one())
            self.session.execute(text(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}"))

    def grown(self, tables: Iterable[str]) -> None:
        """Tables grew inside this transaction. PostgreSQL plans by statistics that do not know
        (a table that was empty looks empty, so a lookup by key becomes a full scan): refresh
        them. ANALYZE counts the transaction's own new rows. SQLite plans by index regardless."""
        if self._dialect != "sqlite":
            self.analyze(tables)

    def analyze(self, tables: Iterable[str]) -> None:
        for name in sorted(set(tables)):
            self.session.execute(text(f'ANALYZE "{metadata.tables[name].name}"'))

    def end_load(self, tables: Iterable[str]) -> None:
        """Refresh the planner's statistics for the tables loaded, and restore the cache size."""
        self.analyze(tables)
        if self._dialect == "sqlite" and self._saved_cache_size is not None:
            self.session.execute(text(f"PRAGMA cache_size = {self._saved_cache_size}"))
            self._saved_cache_size = None


class _InsertPlan:
    """``insert(table)`` compiled for one dialect and one set of columns, with a converter per
    column that turns a Python value into what the column type binds."""

    def __init__(self, table: Table, columns: tuple[str, ...], dialect: Dialect) -> None:
        compiled = insert(table).inline().compile(dialect=dialect, column_keys=list(columns))
        missing = {b.key for b in compiled.binds.values()} - set(columns)
        if missing:
            raise ValueError(f"rows for {table.name} must give {', '.join(sorted(missing))}")
        self.sql = compiled.string
        self.positional = bool(dialect.positional) and compiled.string.rstrip().endswith(")")
        self.columns = columns
        self.named = not dialect.positional
        order = compiled.positiontup if dialect.positional else list(columns)
        assert order is not None and sorted(order) == sorted(columns)
        self.order = list(order)
        quote = dialect.identifier_preparer
        self.copy = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in self.order)}) FROM STDIN"
        self.converters = [
            (index, converter) for index, name in enumerate(self.order)
            if (converter := _converter(table.c[name].type, dialect)) is not None
        ]
        self.json = [isinstance(table.c[name].type, JSON) for name in self.order]

    def sql_for(self, n: int) -> str:
        """The INSERT with ``n`` rows of placeholders (SQLite, positional)."""
        head, _, _ = self.sql.rpartition(" VALUES ")
        one = "(" + ", ".join("?" * len(self.order)) + ")"
        return f"{head} VALUES {', '.join([one] * n)}"

    def parameters(self, rows: list[dict[str, Any]], *, named: bool | None = None) -> list[Any]:
        """Each row's converted values: a dict for named paramstyles, else a tuple in ``order``.

        Column by column: a value that repeats down a column (the batch's timestamp, a stage id)
        is converted once; JSON documents once per object (loaders share one dict between rows
        whose data is the same: every row stays alive meanwhile, so no id is reused)."""
        order = self.order
        values = list(map(itemgetter(*order), rows)) if len(order) > 1 else [(row[order[0]],) for row in rows]
        if self.converters:
            columns = list(zip(*values, strict=True))
            for index, convert in self.converters:
                column = columns[index]
                if self.json[index]:
                    columns[index] = _json_column(column, convert)
                else:
                    memo = {v: None if v is None else convert(v) for v in set(column)}
                    columns[index] = tuple(map(memo.__getitem__, column))
            values = list(zip(*columns, strict=True))
        if self.named if named is None else named:
            return [dict(zip(order, row_values, strict=True)) for row_values in values]
        return values


def _converter(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    sqlite = dialect.name == "sqlite"
    if isinstance(column_type, UTCDateTime):
        return _utc_text if sqlite else _utc_naive
    if isinstance(column_type, Date) and sqlite:
        return date.isoformat  # SQLAlchemy's SQLite DATE storage format
    if isinstance(column_type, JSON):
        return _json_text
    processor: Callable[[Any], Any] | None = column_type._cached_bind_processor(dialect)
    return processor


def _json_column(column: tuple[Any, ...], convert: Callable[[Any], Any]) -> tuple[Any, ...]:
    """A JSON column's documents, each distinct one serialised once: by object (loaders share
    one dict between rows whose data is the same) and, for small flat dicts (a customer's
    extended fields: a few repeated choices), by content too."""
    ids = tuple(map(id, column))
    by_content: dict[tuple[Any, ...], Any] = {}
    by_id: dict[int, Any] = {}
    for key, value in dict(zip(ids, column)).items():
        if value is None:
            by_id[key] = None
        elif type(value) is dict and len(value) <= _FLAT_KEYS and all(type(v) in _FLAT for v in value.values()):
            content = (*value.items(),)
            found = by_content.get(content)
            by_id[key] = found if found is not None else by_content.setdefault(content, convert(value))
        else:
            by_id[key] = convert(value)
    return tuple(map(by_id.__getitem__, ids))


_FLAT = frozenset({str, int, type(None)})  # no bool or float: True == 1 == 1.0 would share a key
_FLAT_KEYS = 8


def _json_text(value: Any) -> str:
    return value if type(value) is JSONText else json.dumps(value)  # SQLAlchemy's default JSON serializer


def _utc_naive(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.replace(tzinfo=None) if value.tzinfo is UTC else value.astimezone(UTC).replace(tzinfo=None)


@lru_cache(maxsize=1 << 16)  # a moment is written 2-4 times (a row and its timeline event, created/added_at)
def _utc_text(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME storage format: ``YYYY-MM-DD HH:MM:SS.ffffff`` (in UTC)."""
    if value.tzinfo is not UTC:
        value = _utc_naive(value).replace(tzinfo=UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
