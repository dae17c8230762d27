"""`siyu analytics funnel|staff|ltv|smart-tags`, and smart tags refreshed by the worker's sync task."""

from __future__ import annotations

import json

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
