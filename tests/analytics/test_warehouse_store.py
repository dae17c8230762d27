"""The warehouse adapter: URLs, and a DuckDB file another process is using."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from siyu.adapters.warehouse import connect, open_warehouse
from siyu.domain.errors import Unavailable


def test_a_busy_duckdb_file_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(Unavailable):
            with open_warehouse(f"duckdb:///{path}", wait_seconds=0.5):
                pass
    finally:
        holder.communicate("")  # end of stdin: the holder exits and lets go
    with open_warehouse(f"duckdb:///{path}") as wh:  # free again
        assert "orders" in wh.backend.list_tables()


def test_unknown_warehouse_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported warehouse"):
        connect("mysql://somewhere/db")
