"""Shared fixtures.

The integration and API tiers take the ``context`` fixture, which is parametrised over the
database backends: SQLite always, PostgreSQL when ``SIYU_TEST_DATABASE_URL`` is set (CI sets
it and fails when the server is unreachable). The schema comes from the real migrations, built
once per backend and test process; each test then runs inside a transaction that is rolled
back afterwards (services' commits become savepoints), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from siyu import bootstrap
from siyu.adapters.db import migrate
from siyu.adapters.db.engine import make_engine
from siyu.adapters.queue import make_huey
from siyu.config import Settings

PG_URL = os.environ.get("SIYU_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def settings_for(tmp_path: Path) -> Settings:
    return Settings(
        env="test", secret_key="t" * 40, data_dir=tmp_path, queue_url="memory://", log_json=True, password_hashing="fast"
    )


@pytest.fixture(scope="session")
def migrated_engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'siyu.db'}"
    migrate.upgrade(sqlite_url)
    engines["sqlite"] = make_engine(sqlite_url)
    schema = None
    if PG_URL:
        schema = f"siyu_test_{uuid.uuid4().hex[:10]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in PG_URL else "?"
        pg_url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
        migrate.upgrade(pg_url)
        engines["postgresql"] = make_engine(pg_url)
    yield engines
    for engine in engines.values():
        engine.dispose()
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def context(backend: str, migrated_engines: dict[str, Engine], tmp_path: Path) -> Iterator[bootstrap.Context]:
    engine = migrated_engines[backend]
    connection = engine.connect()
    outer = connection.begin()
    session_factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    ctx = bootstrap.build(settings_for(tmp_path), engine=engine, session_factory=session_factory, huey=make_huey("memory://"))
    try:
        yield ctx
    finally:
        ctx.close_channels()
        outer.rollback()
        connection.close()
