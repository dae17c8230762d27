"""The background worker: a Huey consumer running the tasks of :mod:`siyu.tasks`.

Started by ``siyu serve --worker``, the worker is given its parent's pid and stops (gracefully,
as on Ctrl-C) when that parent is gone, however it died: a server killed with SIGKILL cannot
stop its child, and an orphaned worker would go on running the periodic tasks unseen. A
parent-pid watch works on every platform (Linux's PR_SET_PDEATHSIG would not on macOS).
"""

from __future__ import annotations

import os
import signal
import threading

import structlog

from siyu.bootstrap import Context

log = structlog.get_logger("siyu.worker")

#: How often the worker looks whether its parent is still there.
PARENT_CHECK_SECONDS = 1.0


def run_worker(context: Context, *, workers: int = 2, parent_pid: int | None = None) -> None:
    log.info("worker starting", queue=context.settings.resolved_queue_url.split("@")[-1], workers=workers)
    consumer = context.huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True)
    if parent_pid is not None:
        threading.Thread(target=_stop_when_orphaned, args=(parent_pid,), name="parent-watch", daemon=True).start()
    consumer.run()


def _stop_when_orphaned(parent_pid: int, *, every: float = PARENT_CHECK_SECONDS) -> None:
    """When the parent dies the worker is re-parented, so ``getppid`` no longer names it; then
    send ourselves SIGINT, the consumer's graceful stop (running tasks finish, nothing new starts)."""
    stopped = threading.Event()
    while not stopped.wait(every):
        if os.getppid() != parent_pid:
            log.warning("worker's parent is gone, stopping", parent_pid=parent_pid)
            os.kill(os.getpid(), signal.SIGINT)
            return
