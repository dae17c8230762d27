"""The product's processes, started as a user starts them."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from siyu import bootstrap
from siyu.config import Settings
from siyu.tasks import last_heartbeat
from tests.e2e.conftest import siyu_env


def test_demo_prints_working_logins_and_is_safe_to_rerun(demo_server):
    assert "login: admin@demo.siyu" in demo_server.demo_output
    again = subprocess.run([sys.executable, "-m", "siyu", "demo"], env=demo_server.env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "already loaded" in again.stdout


def test_server_is_healthy_and_ready(demo_server):
    assert httpx.get(f"{demo_server.url}/healthz").json()["status"] == "ok"
    ready = httpx.get(f"{demo_server.url}/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


def test_the_worker_started_beside_the_server_runs_queued_tasks(demo_server):
    # Enqueue through the same SQLite queue the server's worker consumes.
    settings = Settings(env="dev", data_dir=demo_server.data_dir, log_json=True)
    context = bootstrap.build(settings)
    try:
        context.tasks["heartbeat"]()
        deadline = time.monotonic() + 30
        while last_heartbeat(context) is None:
            assert time.monotonic() < deadline, "the worker did not run the queued task within 30 s"
            time.sleep(0.2)
    finally:
        context.close()


def test_cli_creates_a_tenant_and_a_user(tmp_path):
    env = siyu_env(tmp_path)
    run = lambda *args, **kw: subprocess.run([sys.executable, "-m", "siyu", *args], env=env, capture_output=True, text=True, timeout=120, **kw)  # noqa: E731
    assert run("db", "upgrade").returncode == 0
    assert run("db", "check").returncode == 0
    assert run("tenant", "create", "--slug", "acme", "--name", "顶点").returncode == 0
    env["SIYU_NEW_PASSWORD"] = "a-strong-pass-1"
    made = run("user", "create", "--tenant", "acme", "--login", "boss@acme.cn", "--name", "老板")
    assert made.returncode == 0, made.stderr
    assert "boss@acme.cn (admin) created in acme" in made.stdout
    env["SIYU_NEW_PASSWORD"] = "short"
    refused = run("user", "create", "--tenant", "acme", "--login", "x@acme.cn", "--name", "x")
    assert refused.returncode == 1 and "error (password)" in refused.stderr


def test_cli_refuses_the_default_secret_outside_dev(tmp_path):
    env = siyu_env(tmp_path)
    env["SIYU_ENV"] = "prod"
    result = subprocess.run([sys.executable, "-m", "siyu", "tenant", "create", "--slug", "x1", "--name", "x"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "SIYU_SECRET_KEY" in result.stderr
