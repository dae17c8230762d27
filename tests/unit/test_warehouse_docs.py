"""docs/warehouse.md documents every warehouse table and column the code creates."""

from __future__ import annotations

import re
from pathlib import Path

from siyu.adapters.warehouse.schema import TABLES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "warehouse.md").read_text(encoding="utf-8")


def _documented() -> dict[str, set[str]]:
    """Each `### `table`` heading (several tables may share one) -> the `column`s of its table."""
    found: dict[str, set[str]] = {}
    for section in re.split(r"^### ", DOC, flags=re.M)[1:]:
        heading, _, body = section.partition("\n")
        columns = set(re.findall(r"^\| `(\w+)` \|", body, flags=re.M))
        for table in re.findall(r"`(\w+)`", heading):
            found[table] = columns
    return found


def test_every_table_and_column_is_documented() -> None:
    documented = _documented()
    for table, schema in TABLES.items():
        assert table in documented, f"docs/warehouse.md has no section for {table}"
        missing = set(schema.names) - documented[table]
        assert not missing, f"{table}: undocumented columns {sorted(missing)}"


def test_no_documented_column_is_made_up() -> None:
    for table, columns in _documented().items():
        assert table in TABLES, f"docs/warehouse.md documents a table the warehouse lacks: {table}"
        if table.startswith("sync_"):  # the bookkeeping tables share one column list
            real = set().union(*(TABLES[t].names for t in TABLES if t.startswith("sync_")))
        else:
            real = set(TABLES[table].names)
        assert columns <= real, f"{table}: documented but not real {sorted(columns - real)}"
