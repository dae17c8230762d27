"""Time from an add callback received to the welcome message sent, against WeCom's 20 s.

    .venv/bin/python bench/welcome_latency.py
    SIYU_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/welcome_latency.py

A tenant linked to the fake WeCom over real HTTP on 127.0.0.1 (the welcome's own calls:
gettoken once, ``externalcontact/get`` for the customer's name, ``send_welcome_msg``, the
remark, ``update_contact_way`` for the re-bind). Sealed ``add_external_contact`` callbacks
are POSTed to the app (FastAPI's TestClient, in-process), each a new customer through a
two-staff contact way with a default welcome message (names + a link). The figure is what
Siyu records per send (``welcome_sends.latency_ms``: callback received -> WeCom's answer):

- ``inline``: the high-priority ``send_welcome`` task runs right after the callback's commit
  (Huey immediate mode): the path itself, with no queue wait.
- ``queued``: Huey on SQLite with a 2-thread consumer, as ``siyu worker`` runs it: the queue
  hop included, callbacks arriving back to back.

Baseline in the same process: the bare ``send_welcome_msg`` call to the fake (a welcome code
issued, sent at once); the ratio says how much of the path is Siyu's own work.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from statistics import median, quantiles

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import BENCH_SCHEMA, backends  # noqa: E402

TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
BUDGET_MS = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adds", type=int, default=300)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-welcome"))
    parser.add_argument("--schema", default=f"{BENCH_SCHEMA}_welcome")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for backend in backends(args.data_dir, args.schema):
        if args.only in (None, backend.name):
            for mode in ("inline", "queued"):
                bench(backend, mode, args.adds)


def _p(values: list[float]) -> tuple[float, float]:
    return median(values), quantiles(values, n=100)[98]


def bench(backend, mode: str, adds: int) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from siyu import bootstrap
    from siyu.adapters.channels.models import WelcomeMessage
    from siyu.adapters.channels.wecom import RetryPolicy
    from siyu.adapters.channels.wecom.crypto import CallbackCrypto
    from siyu.adapters.db.tables import welcome_sends
    from siyu.adapters.queue import make_huey
    from siyu.app import create_app
    from siyu.config import Settings
    from siyu.domain.access import Role
    from siyu.domain.channels import ChannelDraft
    from siyu.domain.contact_ways import ContactWayDraft, StaffRule
    from siyu.domain.organisation import StaffDraft
    from siyu.domain.welcome import MaterialDraft, WelcomeDraft
    from siyu.domain.wecom import WeComSettingsDraft
    from siyu.services import channels, contact_ways, staff, tenants, welcome, wecom_settings
    from siyu.services.auth import system_actor
    from siyu.testing.fake_wecom import FakeWeCom, event_xml, sealed

    backend.fresh_context().close()
    queue = backend.data_dir / "queue.db"
    queue.unlink(missing_ok=True)
    settings = Settings(env="dev", data_dir=backend.data_dir, database_url=backend.url, log_json=True, log_level="WARNING",
                        demo_simulator=False)
    huey = make_huey("memory://") if mode == "inline" else make_huey(f"sqlite:///{queue}")
    context = bootstrap.build(settings, huey=huey)
    context.wecom_retry = RetryPolicy(timeout=5.0)
    with FakeWeCom() as fake:
        tenant = tenants.create_tenant(context.uow(), slug="bench-welcome", name="欢迎语压测")
        admin = system_actor(tenant.id)
        members = [staff.create_staff(context.uow(), admin, StaffDraft.parse(
            wecom_userid=f"guide{i}", name=f"导购{i}", mobile=None, store_id=None, role=Role.OPERATOR)) for i in range(2)]
        for member in members:
            fake.corp.add_user(member.wecom_userid)
        wecom_settings.save_wecom_settings(context.uow(), context.secret_box, admin, WeComSettingsDraft.parse(
            corp_id=fake.corp.corp_id, api_base_url=fake.url, contact_secret=fake.corp.secret, callback_token=TOKEN,
            encoding_aes_key=AES_KEY))
        channel = channels.create_channel(context.uow(), admin, ChannelDraft.parse(name="门店海报", state="ch-poster"))
        way = contact_ways.create_contact_way(context.uow(), context.secret_box, context.wecom_channel, admin, ContactWayDraft.parse(
            channel_id=channel.id, name="门店海报", state="ch-poster", staff=[StaffRule(m.id) for m in members],
            remark_template="{channel_name}{customer_name}"))
        gift = welcome.create_material(context.uow(), admin, MaterialDraft.parse(kind="link", title="新人券", url="https://x.cn/g"))
        welcome.save_welcome_message(context.uow(), admin, WelcomeDraft.parse(
            scope="default", text="{customer_name}您好，我是{staff_name}", material_ids=[gift.id]))
        crypto = CallbackCrypto(TOKEN, AES_KEY, fake.corp.corp_id)
        consumer = None
        if mode == "queued":
            consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False, check_worker_health=False)
            consumer.start()

        # baseline: the bare call, same process, same fake
        with context.uow() as uow:
            secrets = wecom_settings.load_secrets(uow, context.secret_box, tenant.id)
        bare = context.wecom_channel(secrets)
        base_ms = []
        for i in range(adds):
            code = fake.corp.issue_welcome_code(members[0].wecom_userid, f"wmbase{i}")
            started = time.perf_counter()
            bare.send_welcome_message(code, WelcomeMessage(text="你好"))
            base_ms.append((time.perf_counter() - started) * 1000)

        with TestClient(create_app(context)) as client:
            started = time.perf_counter()
            for i in range(adds):
                external = f"wmbench{i:06d}"
                userid = fake.corp.contact_ways[way.config_id]["user"][0]
                fake.corp.add_contact(external, name=f"客户{i}", follows={userid: {"state": way.state}})
                code = fake.corp.issue_welcome_code(userid, external)
                xml = event_xml(fake.corp.corp_id, "change_external_contact", "add_external_contact", UserID=userid,
                                ExternalUserID=external, State=way.state, WelcomeCode=code)
                params, body = sealed(crypto, xml)
                assert client.post(f"/callbacks/wecom/{tenant.slug}", params=params, content=body).text == "success"
            elapsed = time.perf_counter() - started
        if consumer is not None:
            deadline = time.time() + 120
            while time.time() < deadline and huey.pending_count():
                time.sleep(0.1)
            time.sleep(1.0)  # the last tasks in flight
            consumer.stop(graceful=True)
        with context.engine.connect() as connection:
            rows = connection.execute(select(welcome_sends.c.status, welcome_sends.c.latency_ms)).all()
    context.close()
    latencies = [float(r.latency_ms) for r in rows if r.latency_ms is not None]
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    p50, p99 = _p(latencies)
    b50, b99 = _p(base_ms)
    print(f"\n{backend.name}, {mode}: {adds:,} adds in {elapsed:.1f} s; sends {statuses}")
    print("| | p50 ms | p99 ms | max ms | p99 / WeCom's 20 s |")
    print("|---|---:|---:|---:|---:|")
    print(f"| callback received -> welcome sent | {p50:.1f} | {p99:.1f} | {max(latencies):.1f} | {p99 / BUDGET_MS:.2%} |")
    print(f"| baseline: bare send_welcome_msg to the fake | {b50:.1f} | {b99:.1f} | {max(base_ms):.1f} | {b99 / BUDGET_MS:.2%} |")
    print(f"ratio p50 path / bare call: {p50 / b50:.1f}x")


if __name__ == "__main__":
    main()
