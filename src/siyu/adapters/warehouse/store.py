"""The warehouse store: an Ibis connection plus the few writes the sync needs.

Ibis (``ibis-framework``) is the one API over every engine: the analytics are Ibis
expressions and run unchanged on DuckDB (the default: one embedded file, nothing to run) and
on PostgreSQL (and, through Ibis, on ClickHouse, Spark, BigQuery ... later). Writes are plain
SQL ``DELETE`` by tenant and key plus Ibis ``insert`` of Arrow tables, which both engines
load in bulk.

A DuckDB file takes one process at a time, so a :class:`Warehouse` is opened for one job (a
sync, a query) and closed after it (:func:`open_warehouse` is a context manager); opening
waits up to ``wait_seconds`` for another process's job to finish, then says ``Unavailable``
(HTTP 503) rather than failing obscurely.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ibis
import pyarrow as pa

from siyu.adapters.warehouse.schema import TABLES
from siyu.domain.errors import Unavailable

DELETE_CHUNK = 2_000


def _duckdb_file(path: str, wait_seconds: float) -> ibis.BaseBackend:
    """Open a DuckDB file, waiting while another process (a sync) holds its lock."""
    import duckdb

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return ibis.duckdb.connect(path)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise Unavailable("warehouse.busy", "the analytics warehouse is busy (another process is using it); try again shortly") from exc
            time.sleep(0.2)


def connect(url: str, *, wait_seconds: float = 10.0) -> ibis.BaseBackend:
    """An Ibis backend for ``duckdb:///path`` (or ``duckdb://`` in memory) or
    ``postgresql://user:pw@host:port/database[/schema]``."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "duckdb":
        # SQLAlchemy's convention: duckdb:///relative/file, duckdb:////absolute/file, duckdb:// in memory
        path = url.split("://", 1)[1].removeprefix("/")
        if path in ("", ":memory:"):
            return ibis.duckdb.connect()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return _duckdb_file(path, wait_seconds)
    if scheme in ("postgres", "postgresql"):
        database, _, schema = parts.path.lstrip("/").partition("/")
        kwargs: dict[str, Any] = {"host": parts.hostname or "127.0.0.1", "database": database or "postgres"}
        if parts.port:
            kwargs["port"] = parts.port
        if parts.username:
            kwargs["user"] = parts.username
        if parts.password:
            kwargs["password"] = parts.password
        if schema:
            kwargs["schema"] = schema
        return ibis.postgres.connect(**kwargs)
    raise ValueError(f"SIYU_WAREHOUSE_URL: unsupported warehouse {scheme!r} (use duckdb:/// or postgresql://)")


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """An expression compiled once: its SQL for this warehouse's engine and its result schema.

    Building and compiling an analysis's expression costs 100-800 ms of Python whatever the
    data size (bench/README.md, "Analytics warehouse"); the SQL depends only on the question,
    not on the data, so it is kept across syncs and only executed again."""

    sql: str
    schema: ibis.Schema


class Warehouse:
    """An open warehouse: read tables as Ibis expressions, write what the sync copies.

    ``url`` names the warehouse (the compiled-query cache keys on it: another warehouse, other
    SQL)."""

    def __init__(self, backend: ibis.BaseBackend, url: str = "") -> None:
        self.backend = backend
        self.url = url

    @property
    def name(self) -> str:
        return str(self.backend.name)

    def ensure_schema(self) -> None:
        existing = set(self.backend.list_tables())
        for name, schema in TABLES.items():
            if name in existing and self.backend.table(name).schema().names != schema.names:
                # a table of an older Siyu: made again, and its blocks forgotten so the next sync fills it
                self.backend.drop_table(name)
                existing.discard(name)
                if "sync_blocks" in existing:
                    self.execute(f"DELETE FROM sync_blocks WHERE source = '{name}'")
                if "sync_tokens" in existing:  # ... and its change marks no longer trusted: re-checked whole
                    self.execute(f"DELETE FROM sync_tokens WHERE source = '{name}'")
                if "sync_marks" in existing:  # a table copied by watermark (or derived) is read again from the start
                    self.execute(f"DELETE FROM sync_marks WHERE source = '{name}'")
            if name not in existing:
                self.backend.create_table(name, schema=schema)

    def table(self, name: str) -> ibis.Table:
        return self.backend.table(name)

    def execute(self, sql: str) -> None:
        cursor = self.backend.raw_sql(sql)
        if self.backend.name == "postgres":  # a psycopg cursor; DuckDB hands back its connection
            cursor.close()

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a plain SQL query (the sync's bookkeeping reads: no Ibis compile per call)."""
        cursor = self.backend.raw_sql(sql)
        try:
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            if self.backend.name == "postgres":
                cursor.close()

    def delete_keys(self, name: str, tenant_id: int, column: str, keys: Iterable[int]) -> None:
        ordered = sorted({int(k) for k in keys})
        for i in range(0, len(ordered), DELETE_CHUNK):
            chunk = ",".join(str(k) for k in ordered[i : i + DELETE_CHUNK])
            self.execute(f"DELETE FROM {name} WHERE tenant_id = {int(tenant_id)} AND {column} IN ({chunk})")

    def delete_ranges(self, name: str, tenant_id: int, column: str, ranges: Sequence[tuple[int, int]]) -> None:
        """Delete rows whose ``column`` falls in any of the inclusive ``ranges``."""
        for i in range(0, len(ranges), 200):
            where = " OR ".join(f"{column} BETWEEN {int(lo)} AND {int(hi)}" for lo, hi in ranges[i : i + 200])
            self.execute(f"DELETE FROM {name} WHERE tenant_id = {int(tenant_id)} AND ({where})")

    def delete_tenant(self, name: str, tenant_id: int, where: str = "") -> None:
        self.execute(f"DELETE FROM {name} WHERE tenant_id = {int(tenant_id)}" + (f" AND ({where})" if where else ""))

    def insert(self, name: str, rows: Sequence[Sequence[Any]]) -> int:
        """Append ``rows`` (tuples in the schema's column order) to table ``name``."""
        if not rows:
            return 0
        schema = TABLES[name]
        columns = list(zip(*rows, strict=True))
        arrays = {col: pa.array(values, type=schema[col].to_pyarrow()) for col, values in zip(schema.names, columns, strict=True)}
        self.backend.insert(name, pa.table(arrays))
        return len(rows)

    def rows(self, expr: ibis.Table) -> list[dict[str, Any]]:
        return expr.to_pyarrow().to_pylist()  # type: ignore[no-any-return]

    def compile(self, expr: ibis.Table) -> CompiledQuery:
        return CompiledQuery(sql=str(self.backend.compile(expr)), schema=expr.schema())

    def compiled_table(self, query: CompiledQuery) -> pa.Table:
        """The answer of a compiled query as one Arrow table, typed as ``expr.to_pyarrow()`` would
        type it: what an analysis with one row per customer reads column by column."""
        if self.backend.name == "duckdb":
            # what Ibis's DuckDB backend does after compiling (Backend.to_pyarrow), minus the compile
            from ibis.backends.duckdb.converter import DuckDBPyArrowData

            table = self.backend.con.sql(query.sql).to_arrow_table()  # type: ignore[attr-defined]
            return DuckDBPyArrowData.convert_table(table, query.schema)
        # other engines: Ibis's own path for ready SQL, with the schema given so nothing is inferred
        return self.backend.sql(query.sql, schema=query.schema).to_pyarrow()

    def compiled_rows(self, query: CompiledQuery) -> list[dict[str, Any]]:
        """The rows of a compiled query, typed as ``expr.to_pyarrow()`` would type them."""
        return self.compiled_table(query).to_pylist()  # type: ignore[no-any-return]

    def last_run(self, tenant_id: int) -> dict[str, Any] | None:
        """The tenant's latest sync (version, started_at, finished_at, rows_changed), or None."""
        rows = self.fetch(f"SELECT version, started_at, finished_at, rows_changed FROM sync_runs WHERE tenant_id = {int(tenant_id)} "
                          "ORDER BY version DESC, finished_at DESC LIMIT 1")
        return dict(zip(("version", "started_at", "finished_at", "rows_changed"), rows[0], strict=True)) if rows else None

    def sync_version(self, tenant_id: int) -> int:
        """Raised by every sync that changed the tenant's data: analytics caches key on it."""
        run = self.last_run(tenant_id)
        return 0 if run is None else int(run["version"])

    def close(self) -> None:
        disconnect = getattr(self.backend, "disconnect", None)
        if disconnect is not None:
            disconnect()


def naive_utc(value: datetime | None) -> datetime | None:
    """The warehouse keeps UTC as naive timestamps (the same on every engine)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


@contextmanager
def open_warehouse(url: str, *, wait_seconds: float = 10.0) -> Iterator[Warehouse]:
    warehouse = Warehouse(connect(url, wait_seconds=wait_seconds), url=url)
    try:
        warehouse.ensure_schema()
        yield warehouse
    finally:
        warehouse.close()
