"""`siyu analytics funnel|staff|ltv|smart-tags`, their --store/--region/--channel scope, and smart
tags refreshed by the worker's sync task."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from siyu.analytics.smart_tags import RFM_GROUP, RFM_TAGS
from siyu.analytics.rfm import Segment
from siyu.cli.main import app
from tests import factories as f
from tests.analytics import history as h
from tests.analytics.test_lifetime_value import ltv_history
from tests.analytics.test_warehouse_commands import cli  # noqa: F401  (the cli fixture)


def test_funnel_staff_ltv_and_smart_tags_commands(context, cli) -> None:  # noqa: F811
    tenant, admin = f.tenant(context)
    shop = f.store(context, admin)
    guide = f.member(context, admin, store_id=shop.id)
    t, ids = ltv_history(context, admin)
    # one more customer for the funnel and staff: aware 03-02, adds the guide 03-03, buys 03-04 (credited)
    (one,) = f.customers_of(context, admin, 1)
    h.event(context, t, one.id, h.sh(2026, 3, 2), "page_view")
    h.follow(context, t, one.id, guide.id, h.sh(2026, 3, 3))
    h.order(context, t, one.id, h.sh(2026, 3, 4), "88.00", staff_id=guide.id)
    assert cli.invoke(app, ["warehouse", "sync", "--tenant", tenant.slug]).exit_code == 0

    funnel = json.loads(cli.invoke(app, ["analytics", "funnel", "--tenant", tenant.slug, "--start", "2026-03-01",
                                         "--end", "2026-03-31", "--window-days", "7", "--by", "staff"]).stdout)
    assert [(g["key_id"], g["awareness"], g["interest"], g["purchase"]) for g in funnel["groups"]] == [(guide.id, 1, 1, 1)]
    staff = json.loads(cli.invoke(app, ["analytics", "staff", "--tenant", tenant.slug, "--start", "2026-03-01",
                                        "--end", "2026-03-31", "--level", "store"]).stdout)
    assert [(r["key_id"], r["adds"], r["gmv"], r["repurchase_rate"]) for r in staff] == [(shop.id, 1, "88.00", 0.0)]
    bad = cli.invoke(app, ["analytics", "staff", "--tenant", tenant.slug, "--start", "2026-03-01", "--end", "2026-03-31",
                           "--level", "planet"])
    assert bad.exit_code == 2 and "planet" in bad.output

    ltv = json.loads(cli.invoke(app, ["analytics", "ltv", "--tenant", tenant.slug, "--as-of", "2026-06-30"]).stdout)
    # the six buyers of ltv_history and the funnel's one (bought once on 03-04)
    assert ltv["fit"]["customers"] == 7 and ltv["fit"]["repeat_customers"] == 5
    assert {c["customer_id"] for c in ltv["customers"]} == {v for k, v in ids.items() if k != "g"} | {one.id}

    tagged = json.loads(cli.invoke(app, ["analytics", "smart-tags", "--tenant", tenant.slug, "--as-of", "2026-06-30"]).stdout)
    assert tagged["groups"][RFM_GROUP] == 7 and tagged["added"] >= 7 and tagged["removed"] == 0
    again = json.loads(cli.invoke(app, ["analytics", "smart-tags", "--tenant", tenant.slug, "--as-of", "2026-06-30"]).stdout)
    assert (again["added"], again["removed"]) == (0, 0)
    wrong = cli.invoke(app, ["analytics", "smart-tags", "--tenant", tenant.slug, "--churn-threshold", "1.5"])
    assert wrong.exit_code == 1 and "probability" in wrong.output


def _strict_json(text: str) -> Any:
    """The answer as JSON proper: NaN or Infinity (which json.loads lets through) fail."""
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_store_region_and_channel_narrow_the_answers(context, cli) -> None:  # noqa: F811
    tenant, admin = f.tenant(context)
    t = tenant.id
    north = f.region(context, admin)
    east, west = f.store(context, admin, region_id=north.id), f.store(context, admin)
    g_east, g_west = f.member(context, admin, store_id=east.id), f.member(context, admin, store_id=west.id)
    gzh = h.channel(context, t, "公众号", "gzh")
    h.cost(context, t, gzh, date(2026, 3, 1), date(2026, 3, 31), "300.00")  # all 31 days inside March
    one, two, three = f.customers_of(context, admin, 3)
    h.follow(context, t, one.id, g_east.id, h.sh(2026, 3, 2), "gzh")
    h.order(context, t, one.id, h.sh(2026, 3, 3), "100.00", channel_id=gzh, staff_id=g_east.id)
    h.follow(context, t, two.id, g_west.id, h.sh(2026, 3, 4), "gzh")
    h.order(context, t, two.id, h.sh(2026, 3, 5), "50.00", channel_id=gzh, staff_id=g_west.id)
    h.follow(context, t, three.id, g_east.id, h.sh(2026, 3, 6))  # through no channel; buys twice in the east
    h.order(context, t, three.id, h.sh(2026, 3, 7), "20.00", staff_id=g_east.id)
    h.order(context, t, three.id, h.sh(2026, 3, 20), "30.00", staff_id=g_east.id)
    assert cli.invoke(app, ["warehouse", "sync", "--tenant", tenant.slug]).exit_code == 0
    march = ["--tenant", tenant.slug, "--start", "2026-03-01", "--end", "2026-03-31"]

    def channels(*scope: str) -> list[tuple[Any, ...]]:
        answer = cli.invoke(app, ["analytics", "channels", *march, "--as-of", "2026-04-30", *scope])
        assert answer.exit_code == 0, answer.output
        return [(c["channel_id"], c["adds"], c["buyers"], c["gmv"], c["cost"], c["cac"], c["roi"]) for c in _strict_json(answer.stdout)]

    # everything: adds one and two, their gzh orders 100 + 50; cost 300, CAC 300 / 2 = 150, ROI 150 / 300
    assert channels() == [(gzh, 2, 2, "150.00", "300.00", "150.00", 0.5)]
    # the east store (and its region): one's add with g_east and one's order credited to g_east;
    # costs are per channel, so cost, CAC and ROI are null, and still JSON
    assert channels("--store", str(east.id)) == [(gzh, 1, 1, "100.00", None, None, None)]
    assert channels("--region", str(north.id)) == [(gzh, 1, 1, "100.00", None, None, None)]

    def staff(level: str, *scope: str) -> list[tuple[Any, ...]]:
        answer = cli.invoke(app, ["analytics", "staff", *march, "--level", level, *scope])
        assert answer.exit_code == 0, answer.output
        return [(r["key_id"], r["adds"], r["buyers"], r["gmv"], r["repurchase_rate"], r["rank"]) for r in _strict_json(answer.stdout)]

    # the north region's stores: east only — adds one and three, GMV 100 + 20 + 30, three bought
    # twice (1 of 2 buyers), first in the nation (west has 50)
    assert staff("store", "--region", str(north.id)) == [(east.id, 2, 2, "150.00", 0.5, 1)]
    # through gzh only: each guide's gzh add and gzh order; three's orders had no channel
    assert staff("staff", "--channel", str(gzh)) == [(g_east.id, 1, 1, "100.00", 0.0, 1), (g_west.id, 1, 1, "50.00", 0.0, 2)]
    assert staff("staff", "--store", str(west.id), "--channel", str(gzh)) == [(g_west.id, 1, 1, "50.00", 0.0, 2)]
    # the other commands take the scope too: the east store's customers are one and three
    rfm = _strict_json(cli.invoke(app, ["analytics", "rfm", "--tenant", tenant.slug, "--as-of", "2026-03-31", "--store", str(east.id)]).stdout)
    assert sorted(c["customer_id"] for c in rfm["customers"]) == sorted([one.id, three.id])
    cohorts = _strict_json(cli.invoke(app, ["analytics", "cohorts", "--tenant", tenant.slug, "--since", "2026-03-01", "--until",
                                            "2026-03-31", "--months", "0", "--as-of", "2026-03-31", "--store", str(east.id)]).stdout)
    # March's east cohorts by channel: one through gzh, three through none
    assert sorted(((c["channel_id"] or 0), c["size"]) for c in cohorts["cohorts"]) == sorted([(gzh, 1), (0, 1)])


def test_an_unknown_or_foreign_scope_id_is_refused(context, cli) -> None:  # noqa: F811
    tenant, admin = f.tenant(context)
    _, other = f.tenant(context)
    theirs = f.store(context, other)
    their_channel = h.channel(context, other.tenant_id, "抖音", "dy")
    march = ["--tenant", tenant.slug, "--start", "2026-03-01", "--end", "2026-03-31"]
    for command, option, value in (("funnel", "--store", theirs.id), ("staff", "--region", 987654), ("channels", "--channel", their_channel)):
        refused = cli.invoke(app, ["analytics", command, *march, option, str(value)])
        assert refused.exit_code == 2, refused.output
        assert f"error ({option}): tenant “{tenant.slug}” has no {option[2:]} {value}" in refused.output
        assert refused.stdout == ""
    not_an_id = cli.invoke(app, ["analytics", "ltv", "--tenant", tenant.slug, "--store", "east"])
    assert not_an_id.exit_code == 2 and "--store" in not_an_id.output


def test_the_sync_task_refreshes_smart_tags(context) -> None:
    tenant, admin = f.tenant(context)
    (a,) = f.customers_of(context, admin, 1)
    h.order(context, tenant.id, a.id, h.sh(2026, 3, 1), "10.00")
    context.tasks["sync_warehouse"].call_local()
    # one buyer: n = 1, R = F = 1 -> hibernating, as of any day after the purchase
    with context.uow() as uow:
        applied = [(x.tag.group_name, x.tag.name, x.source) for x in uow.tags.applied(tenant.id, a.id)]
    assert applied == [(RFM_GROUP, RFM_TAGS[Segment.HIBERNATING], "rule")]


def test_a_tenant_without_buyers_gets_no_smart_tag_groups(context) -> None:
    tenant, admin = f.tenant(context)
    f.customers_of(context, admin, 1)
    context.tasks["sync_warehouse"].call_local()
    with context.uow() as uow:
        assert uow.tags.all(tenant.id) == []
