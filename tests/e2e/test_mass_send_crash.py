"""Crash safety of mass sends, with a REAL worker process (``siyu worker``) over the SQLite
queue and database, and the fake WeCom over HTTP in this process counting add_msg_template.

The worker is killed with SIGKILL while a WeCom call is in flight (the fake stalls each
add_msg_template, and still carries it out after the worker is gone), then started again:
every customer must be in exactly one WeCom task, every task created once, and every
customer recorded as sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, select

from siyu import bootstrap
from siyu.adapters.db import migrate
from siyu.adapters.db.tables import mass_send_targets, mass_send_tasks
from siyu.config import Settings
from siyu.domain.mass_sends import MassSendDraft, SendStatus
from siyu.services import mass_sends
from siyu.testing.fake_wecom import FakeWeCom
from tests.e2e.conftest import siyu_env
from tests.mass_send_setup import T0, brand, customer

EC = "/cgi-bin/externalcontact"
STAFF = 6
PER_STAFF = 5


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "siyu", "worker", "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _wait(condition, what: str, seconds: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:.0f} s for {what}"
        time.sleep(0.05)


def test_a_worker_killed_mid_send_and_restarted_sends_each_customer_exactly_once(tmp_path):
    env = siyu_env(tmp_path)
    env.update(SIYU_DEMO_SIMULATOR="false", SIYU_MASS_SEND_RECONCILE_SECONDS="1", SIYU_PASSWORD_HASHING="fast")
    settings = Settings(env="dev", data_dir=tmp_path, log_json=True, password_hashing="fast", demo_simulator=False)
    migrate.upgrade(settings.resolved_database_url)
    context = bootstrap.build(settings)
    worker = None
    with FakeWeCom() as fake:
        try:
            fake.corp.mass_confirm_seconds = 0  # each staff member confirms at once: results final on the first poll
            b = brand(context, fake, staff_count=STAFF)
            for person in b.staff:
                for _ in range(PER_STAFF):
                    customer(context, fake, b, follows=[(person, T0 - timedelta(days=1))])
            send = mass_sends.create_mass_send(context.uow(), b.admin, MassSendDraft.parse(
                name="崩溃测试", text="{staff_name}：春季新品", customer_ids=b.customer_ids))
            fake.corp.faults.slow(0.8, times=10_000)  # every WeCom call stalls (the token fetch is spared)

            worker = _worker(env)
            context.tasks["advance_mass_send"](b.tenant_id, send.id)
            _wait(lambda: fake.corp.count(f"{EC}/add_msg_template") >= 3, "the third add_msg_template")
            os.killpg(worker.pid, signal.SIGKILL)  # mid-call: WeCom will make this task, the worker never hears of it
            worker.wait()
            _wait(lambda: len(fake.corp.mass_messages) == fake.corp.count(f"{EC}/add_msg_template"), "the fake to finish")
            made_before = len(fake.corp.mass_messages)
            assert 3 <= made_before < STAFF, "killed mid-send"
            with context.uow() as uow:
                states = dict(uow.session.execute(select(mass_send_tasks.c.state, func.count())
                                                  .group_by(mass_send_tasks.c.state)).all())
            # In flight: WeCom made the message, the plan does not know. Two worker threads (and the minute sweep) may
            # each have had one task in flight when the process died.
            assert states.get("submitting", 0) >= 1, states
            known = states.get("submitted", 0) + states.get("final", 0)  # answered before the kill
            assert known < made_before <= known + states["submitting"], (states, made_before)

            fake.corp.faults.slow(0.0, times=0)
            worker = _worker(env)
            context.tasks["advance_mass_send"](b.tenant_id, send.id)  # what the minute sweep would do

            def done() -> bool:
                if mass_sends.get_mass_send(context.uow(), b.admin, send.id).status is SendStatus.DONE:
                    return True
                context.tasks["advance_mass_send"](b.tenant_id, send.id)  # the sweep, sooner than once a minute
                time.sleep(0.5)
                return False

            _wait(done, "the send to finish after the restart")
        finally:
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGINT)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
            context.close()

        assert fake.corp.count(f"{EC}/add_msg_template") == STAFF  # one per staff member: none repeated
        assert fake.corp.count(f"{EC}/get_groupmsg_list_v2") >= 1  # the in-flight one was looked up, not resubmitted
        received = [external for m in fake.corp.mass_messages.values() for external in m["customers"]]
        assert sorted(received) == sorted(b.external.values())  # every customer, exactly once
        assert {m["sender"] for m in fake.corp.mass_messages.values()} == {p.wecom_userid for p in b.staff}
        context = bootstrap.build(settings)
        try:
            with context.uow() as uow:
                statuses = dict(uow.session.execute(select(mass_send_targets.c.status, func.count())
                                                    .group_by(mass_send_targets.c.status)).all())
                msgids = list(uow.session.execute(select(mass_send_tasks.c.msgid)).scalars())
        finally:
            context.close()
        assert statuses == {"sent": STAFF * PER_STAFF}
        assert sorted(msgids) == sorted(fake.corp.mass_messages)  # each task knows its WeCom msgid
