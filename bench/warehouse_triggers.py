"""What the warehouse's change capture (migration 0031) costs the writers on SQLite: N
``customer_tags`` rows inserted (one executemany), updated and deleted (one statement each), each
in one transaction, on a freshly migrated database with the triggers and with them dropped,
twice each, alternating (WAL, synchronous NORMAL and the bulk loader's 256 MB page cache). Prints a Markdown table; nothing passes or fails on time.

    .venv/bin/python bench/warehouse_triggers.py --rows 500000
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path


def _run(base: Path, work: Path, rows: int, triggers: bool) -> list[float]:
    shutil.copy(base, work)
    c = sqlite3.connect(work, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "cache_size = -262144"):  # as the app and its bulk loads set them
        c.execute(f"PRAGMA {pragma}")
    if not triggers:
        for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'siyu_wh_%'").fetchall():
            c.execute(f"DROP TRIGGER {name}")
    values = [(1, i // 3, i % 3, "manual", "2026-01-01 00:00:00") for i in range(rows)]
    steps = (("INSERT INTO customer_tags (tenant_id, customer_id, tag_id, source, applied_at) VALUES (?, ?, ?, ?, ?)", values),
             ("UPDATE customer_tags SET source = 'rule'", None), ("DELETE FROM customer_tags", None))
    out = []
    for sql, args in steps:
        c.execute("BEGIN")
        start = time.perf_counter()
        if args:
            c.executemany(sql, args)
        else:
            c.execute(sql)
        c.execute("COMMIT")
        out.append(time.perf_counter() - start)
    c.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    from siyu.adapters.db import migrate

    with tempfile.TemporaryDirectory() as tmp:
        base, work = Path(tmp) / "base.db", Path(tmp) / "work.db"
        migrate.upgrade(f"sqlite:///{base}")
        print(f"| {args.rows:,} customer_tags rows | insert | update | delete |")
        print("|---|---:|---:|---:|")
        for triggers in (True, False, True, False):
            times = _run(base, work, args.rows, triggers)
            print(f"| {'with the triggers' if triggers else 'triggers dropped'} | " + " | ".join(f"{t:.2f} s" for t in times) + " |",
                  flush=True)


if __name__ == "__main__":
    main()
