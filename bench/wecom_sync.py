"""A full WeCom sync of 100,000 customers through the fake WeCom over HTTP: customers/s, peak memory.

    .venv/bin/python bench/wecom_sync.py
    SIYU_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/wecom_sync.py

The fake WeCom (siyu.testing.fake_wecom, a threading HTTP server on 127.0.0.1 in this same
process) holds --staff staff with --customers customers between them, a tenth of them
tagged with a corp tag, half with a unionid. Measured, in one process:

- the baseline: the same pages fetched through ``WeComChannel`` (batch/get_by_user, 100
  staff per call, every cursor) and thrown away — the cost of WeCom's side and the HTTP;
- the full sync (``siyu wecom sync --full``): OneID per customer, relation, tags, groups,
  ending, a commit per page of 100;
- an incremental sync straight after (nothing changed: every relation skipped by fingerprint).

Peak memory is the process's peak RSS (ru_maxrss) after each phase, the fake's corp included.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import BENCH_SCHEMA, backends  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seed(fake, staff: int, customers: int) -> list[str]:  # type: ignore[no-untyped-def]
    corp = fake.corp
    userids = [f"guide{i:04d}" for i in range(staff)]
    for userid in userids:
        corp.add_user(userid)
    corp.tag_groups["etG1"] = {"group_id": "etG1", "group_name": "兴趣", "order": 0, "create_time": 0, "deleted": False,
                               "tag": [{"id": "etT1", "name": "咖啡", "order": 0, "create_time": 0, "deleted": False}]}
    for i in range(customers):
        corp.add_contact(f"wmBench{i:07d}", name=f"客户{i}", unionid=f"o-bench-{i}" if i % 2 == 0 else "", gender=1 + i % 2,
                         follows={userids[i % staff]: {"state": "bench", "add_way": 1, "remark": f"备注{i % 1000}",
                                                      "createtime": 1_700_000_000 + i, "tag_ids": ["etT1"] if i % 10 == 0 else []}})
    return userids


def run(backend, args) -> None:  # type: ignore[no-untyped-def]
    from siyu.adapters.channels.wecom import WeComChannel, WeComClient, WeComConnection
    from siyu.domain.access import Role
    from siyu.domain.organisation import StaffDraft
    from siyu.domain.wecom import WeComSettingsDraft
    from siyu.services import staff, tenants, wecom_settings, wecom_sync
    from siyu.services.auth import system_actor
    from siyu.testing.fake_wecom import FakeWeCom

    context = backend.fresh_context()
    with FakeWeCom() as fake:
        userids = _seed(fake, args.staff, args.customers)
        tenant = tenants.create_tenant(context.uow(), slug="bench-sync", name="压测品牌")
        admin = system_actor(tenant.id)
        for userid in userids:
            staff.create_staff(context.uow(), admin, StaffDraft.parse(wecom_userid=userid, name=f"导购{userid[-4:]}", mobile=None,
                                                                      store_id=None, role=Role.OPERATOR))
        wecom_settings.save_wecom_settings(context.uow(), context.secret_box, admin, WeComSettingsDraft.parse(
            corp_id=fake.corp.corp_id, api_base_url=fake.url, contact_secret=fake.corp.secret))
        rss_seeded = _rss_mb()

        channel = WeComChannel(WeComClient(WeComConnection(fake.corp.corp_id, fake.corp.secret, base_url=fake.url)))
        started = time.perf_counter()
        fetched = sum(1 for _ in channel.iter_contacts_by_user(userids))
        fetch_s = time.perf_counter() - started
        channel.close()

        def timed(full: bool):  # type: ignore[no-untyped-def]
            begun = time.perf_counter()
            made = wecom_sync.start_sync(context.uow(), admin, full=full)
            done = wecom_sync.run_sync(context.uow(), context.secret_box, context.wecom_channel, tenant.id, made.id)
            return done, time.perf_counter() - begun

        full_run, full_s = timed(True)
        rss_full = _rss_mb()
        incremental, incremental_s = timed(False)
    context.close()

    assert full_run.status.value == "done" and full_run.count("customers_created") == args.customers, full_run
    assert incremental.count("relations_unchanged") == args.customers, incremental.counts
    print(f"[{backend.name}] {args.customers:,} customers, {args.staff} staff, {fake.corp.count('/cgi-bin/externalcontact/batch/get_by_user')} "
          f"batch calls in all")
    print(f"  baseline, pages fetched only : {fetched / fetch_s:>9,.0f} customers/s ({fetch_s:.1f} s)")
    print(f"  full sync                    : {args.customers / full_s:>9,.0f} customers/s ({full_s:.1f} s), "
          f"{fetch_s / full_s:.2f}x the baseline's rate")
    print(f"  incremental, nothing changed : {args.customers / incremental_s:>9,.0f} customers/s ({incremental_s:.1f} s)")
    print(f"  peak RSS: {rss_seeded:,.0f} MB seeded (fake corp + app), {rss_full:,.0f} MB after the full sync "
          f"(+{rss_full - rss_seeded:,.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-wecom-sync"))
    parser.add_argument("--schema", default=f"{BENCH_SCHEMA}_wecom_sync")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    for backend in backends(args.data_dir, args.schema):
        if args.only in (None, backend.name):
            run(backend, args)


if __name__ == "__main__":
    main()
