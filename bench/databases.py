"""Where the benchmarks run: a fresh SQLite file, and a fresh PostgreSQL schema when
SIYU_BENCH_DATABASE_URL is set."""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_SCHEMA = "siyu_bench"


@dataclass(frozen=True)
class Backend:
    name: str  # sqlite | postgresql
    data_dir: Path
    schema: str

    @classmethod
    def named(cls, name: str, data_dir: Path, schema: str) -> Backend:
        return cls(name, data_dir.resolve(), schema)

    def sibling(self, suffix: str) -> Backend:
        return Backend(self.name, self.data_dir.with_name(f"{self.data_dir.name}-{suffix}"), f"{self.schema}_{suffix}")

    @property
    def url(self) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{self.data_dir / 'siyu.db'}"
        base = os.environ["SIYU_BENCH_DATABASE_URL"]
        return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{self.schema}"

    def fresh_context(self):  # type: ignore[no-untyped-def]
        """Empty database, migrated; the Siyu context on it."""
        self.drop()
        if self.name == "postgresql":
            with _admin().begin() as connection:
                from sqlalchemy import text

                connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        return self.context(migrate=True)

    def context(self, *, migrate: bool = False):  # type: ignore[no-untyped-def]
        from siyu import bootstrap
        from siyu.adapters.db import migrate as migrations
        from siyu.config import Settings

        if migrate:
            migrations.upgrade(self.url)
        settings = Settings(env="dev", data_dir=self.data_dir, database_url=self.url, queue_url="memory://", log_json=True)
        return bootstrap.build(settings)

    def drop(self) -> None:
        if self.name == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                (self.data_dir / f"siyu.db{suffix}").unlink(missing_ok=True)
            return
        from sqlalchemy import text

        with _admin().begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))


def _admin():  # type: ignore[no-untyped-def]
    from siyu.adapters.db.engine import make_engine

    return make_engine(os.environ["SIYU_BENCH_DATABASE_URL"])


def backends(data_dir: Path, schema: str) -> list[Backend]:
    found = [Backend.named("sqlite", data_dir, schema)]
    if os.environ.get("SIYU_BENCH_DATABASE_URL"):
        found.append(Backend.named("postgresql", data_dir, schema))
    return found


def naive_load(engine, csv_path: Path, *, table: str) -> float:  # type: ignore[no-untyped-def]
    """The CSV (header skipped) -> one DB-API executemany into a bare text table, in one
    transaction: the floor for any loader, the benchmarks' same-run baseline. Seconds."""
    with open(csv_path, encoding="utf-8", newline="") as handle:
        width = len(next(csv.reader(handle)))
    columns = ", ".join(f"c{i} TEXT" for i in range(width))
    marks = ", ".join(["?" if engine.dialect.name == "sqlite" else "%s"] * width)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"CREATE TABLE {table} ({columns})")
        raw.commit()
        started = time.perf_counter()
        with open(csv_path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", list(reader))
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()
