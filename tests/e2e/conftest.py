"""A real Siyu server, as `make demo` starts it: `siyu demo` then `siyu serve --worker`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


@dataclass
class Server:
    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    demo_output: str


ADMIN_LOGIN, ADMIN_PASSWORD = "admin@demo.siyu", "siyu-demo-2026"  # what `siyu demo` prints


def sign_in_as_admin(page, server: Server, path: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in to the demo console as its admin through the login form, landing on ``path``."""
    page.goto(f"{server.url}/login?next={path}")
    page.fill("input[name=login]", ADMIN_LOGIN)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{server.url}{path}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def siyu_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(SIYU_ENV="dev", SIYU_DATA_DIR=str(data_dir), SIYU_LOG_JSON="true")
    return env


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("demo")
    env = siyu_env(data_dir)
    demo = subprocess.run([sys.executable, "-m", "siyu", "demo"], env=env, capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    port = _free_port()
    log = (data_dir / "serve.log").open("wb")  # read it when an e2e test fails
    process = subprocess.Popen(
        [sys.executable, "-m", "siyu", "serve", "--port", str(port), "--worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, "siyu serve exited during start-up"
        assert time.monotonic() < deadline, "siyu serve did not answer /healthz within 60 s"
        time.sleep(0.2)
    try:
        yield Server(url=url, data_dir=data_dir, env=env, process=process, demo_output=demo.stdout)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
