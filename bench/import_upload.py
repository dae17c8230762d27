"""The request side of an import upload: how long the console or API holds the request.

    .venv/bin/python bench/import_upload.py                  # the 1,000,000-row CSV of import_customers.py
    .venv/bin/python bench/import_upload.py --rows 100000

Times ``siyu.tasks.queue_customer_import`` — store the upload (streamed), check it (encoding,
header, identity column, row estimate), record the run, enqueue it — on SQLite with a queue that
only stores the task (nobody runs it here). The baseline is a plain copy of the same file in the
same process (what any upload costs). Prints figures; nothing passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from import_customers import generate  # noqa: E402 (the same generated file as the import bench)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    from huey import MemoryHuey

    from siyu import bootstrap
    from siyu.adapters.db import migrate
    from siyu.config import Settings
    from siyu.services import tenants
    from siyu.services.auth import system_actor
    from siyu.tasks import queue_customer_import

    with tempfile.TemporaryDirectory(prefix="siyu-bench-upload-") as work:
        folder = Path(work)
        csv_path = folder / "customers.csv"
        generate(csv_path, args.rows, args.seed)
        url = f"sqlite:///{folder / 'siyu.db'}"
        migrate.upgrade(url)
        context = bootstrap.build(Settings(env="test", secret_key="b" * 40, data_dir=folder, database_url=url),
                                  huey=MemoryHuey("bench-upload"))
        actor = system_actor(tenants.create_tenant(context.uow(), slug="bench-upload", name="Bench").id)

        started = time.perf_counter()
        with csv_path.open("rb") as source, (folder / "copy.csv").open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        with csv_path.open("rb") as upload:
            run = queue_customer_import(context, actor, upload, filename="customers.csv", dry_run=False, encoding=None)
        answered = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert run.status.value == "running" and context.huey.pending_count() == 1
        size_mb = csv_path.stat().st_size / 1e6
        print(f"rows={args.rows:,} file={size_mb:.1f} MB rows_expected={run.rows_expected:,}")
        print(f"answered in {answered:.2f} s ({size_mb / answered:.0f} MB/s), peak RSS {peak:.0f} MB, "
              f"plain copy {baseline:.2f} s, ratio {answered / baseline:.1f}x, load {os.getloadavg()[0]:.1f}")
        context.close()


if __name__ == "__main__":
    main()
