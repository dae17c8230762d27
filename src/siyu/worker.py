"""The background worker: a Huey consumer running the tasks of :mod:`siyu.tasks`."""

from __future__ import annotations

import structlog

from siyu.bootstrap import Context


def run_worker(context: Context, *, workers: int = 2) -> None:
    log = structlog.get_logger("siyu.worker")
    log.info("worker starting", queue=context.settings.resolved_queue_url.split("@")[-1], workers=workers)
    consumer = context.huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True)
    consumer.run()
