"""The warehouse fixture: every analytics test runs on DuckDB and, when
``SIYU_TEST_DATABASE_URL`` is set, on PostgreSQL too (a schema of its own per test), over
each operational backend of the ``context`` fixture."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from siyu.adapters.db.engine import make_engine
from siyu.adapters.warehouse import Warehouse, open_warehouse
from tests.conftest import PG_URL

WAREHOUSES = ["duckdb"] + (["postgres"] if PG_URL else [])


@pytest.fixture(params=WAREHOUSES)
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
        return
    schema = f"siyu_wh_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    parts = urlsplit(PG_URL)
    try:
        yield f"postgresql://{parts.netloc}{parts.path}/{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    with open_warehouse(warehouse_url) as wh:
        yield wh
