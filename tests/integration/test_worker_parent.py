"""``siyu serve --worker`` killed with SIGKILL cannot stop its worker child: the worker must
notice it is orphaned and stop by itself, or it goes on running periodic tasks unseen."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from siyu.adapters.db import migrate
from siyu.config import Settings

LINUX_PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    found = []
    for entry in LINUX_PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = (LINUX_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has stopped: only its exit status is left to reap


def _wait(condition, what: str, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:.0f} s for {what}"
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_worker_of_a_killed_server_stops_by_itself(tmp_path):
    assert LINUX_PROC.is_dir(), "this test reads /proc to find the server's worker (Linux)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(SIYU_ENV="dev", SIYU_DATA_DIR=str(tmp_path), SIYU_LOG_JSON="true", SIYU_DEMO_SIMULATOR="false")
    migrate.upgrade(Settings(env="dev", data_dir=tmp_path).resolved_database_url)
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "siyu", "serve", "--port", str(_free_port()), "--worker"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    workers: list[int] = []
    try:
        def worker_started() -> bool:
            workers[:] = _children(server.pid)
            return bool(workers)
        _wait(worker_started, "serve to start its worker")
        (worker,) = workers
        time.sleep(1.5)  # past the worker's start-up: its parent watch is running
        assert _running(worker)

        server.send_signal(signal.SIGKILL)  # no chance to stop the child
        server.wait()
        _wait(lambda: not _running(worker), "the orphaned worker to stop")
    finally:
        for pid in [server.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
