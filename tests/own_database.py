"""A database of a test's own, for tests that need writes to really commit on more than one
connection (the usual fixture's rolled-back transaction is one connection): a migrated SQLite
file, or a fresh PostgreSQL schema dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from siyu import bootstrap
from siyu.adapters.db import migrate
from siyu.adapters.db.engine import make_engine
from siyu.adapters.queue import make_huey
from tests.conftest import PG_URL, settings_for


@contextmanager
def own_database(backend: str, tmp_path: Path, name: str) -> Iterator[bootstrap.Context]:
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
    else:
        schema = f"siyu_{name}_{uuid.uuid4().hex[:10]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    migrate.upgrade(url)
    engine = make_engine(url)
    ctx = bootstrap.build(settings_for(tmp_path), engine=engine, session_factory=sessionmaker(bind=engine, expire_on_commit=False),
                          huey=make_huey("memory://"))
    try:
        yield ctx
    finally:
        ctx.close_channels()
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
