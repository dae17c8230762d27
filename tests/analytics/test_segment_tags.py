"""Customer scores after each sync, and segments kept as smart tags: the one smart-tag engine.

Every test runs on each operational backend (SQLite, PostgreSQL when configured) and each
warehouse (DuckDB, PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from typer.testing import CliRunner

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.lifetime_value import LtvQuery
from siyu.analytics.rfm import RfmQuery
from siyu.analytics.segments import SegmentCountQuery
from siyu.analytics.smart_tags import RFM_GROUP, RFM_TAGS
from siyu.bootstrap import Context
from siyu.cli import warehouse as warehouse_cli
from siyu.cli.main import app
from siyu.domain.access import Actor, Role
from siyu.domain.errors import PermissionDenied
from siyu.domain.paging import PageRequest
from siyu.domain.rfm import RfmSegment
from siyu.domain.segments import SegmentRule
from siyu.services import segments, tags, warehouse_sync
from siyu.services.segment_matching import matching_customers
from siyu.services.tags import ensure_tag
from siyu.tasks import refresh_segments, refresh_smart_tags
from tests import factories
from tests.analytics import history as h
from tests.analytics.test_lifetime_value import AS_OF as LTV_AS_OF
from tests.analytics.test_lifetime_value import ltv_history

AS_OF = date(2026, 3, 31)


def one(kind: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    condition = {"kind": kind, "op": op, **extra}
    if value is not None:
        condition["value"] = value
    return {"groups": [{"conditions": [condition]}]}


def _scores(context: Context, tenant_id: int) -> dict[int, tuple[Any, ...]]:
    with context.uow() as uow:
        return uow.segments.scores(tenant_id)


def _holders(context: Context, tenant_id: int, tag_id: int) -> set[int]:
    with context.uow() as uow:
        return set(uow.tags.holders(tenant_id, [tag_id]))


def _sources(context: Context, tenant_id: int, customer_id: int) -> dict[int, str]:
    with context.uow() as uow:
        return {a.tag.id: a.source for a in uow.tags.applied(tenant_id, customer_id)}


def _tag_events(context: Context, tenant_id: int, customer_id: int) -> list[tuple[str, str, str]]:
    with context.uow() as uow:
        page = uow.timeline.for_customer(tenant_id, customer_id, PageRequest(page=1, page_size=100))
    return [(e.kind.value, e.data["tag"], e.data["source"]) for e in page.items if e.kind.value in ("tagged", "untagged")]


def _both_sides(context: Context, warehouse: Warehouse, tenant_id: int, raw: dict[str, Any], today: date) -> tuple[int, set[int]]:
    rule = SegmentRule.parse(raw)
    count = SegmentCountQuery(tenant_id=tenant_id, rule=rule, as_of=today).run(warehouse)
    with context.uow() as uow:
        found = matching_customers(uow, tenant_id, rule, today=today)
    return count, found


# -- scores -------------------------------------------------------------------------------------
def test_scores_without_a_fit_have_the_rfm_segment_only(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    t = tenant.id
    a, b, c, d = factories.customers_of(context, admin, 4)
    # as in test_smart_tags: A (R 4, F 4) loyal; B (2, 2) and C (1, 1) hibernating. D never bought.
    # Only A bought twice: BG/NBD cannot fit one repeat buyer, so every ltv measure is unset.
    h.order(context, t, a.id, h.sh(2026, 3, 31), "10.00")
    h.order(context, t, a.id, h.sh(2026, 3, 20), "10.00")
    h.order(context, t, b.id, h.sh(2026, 3, 30), "10.00")
    c_order = h.order(context, t, c.id, h.sh(2026, 1, 1), "10.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    report = refresh_smart_tags(context.uow(), warehouse, t, as_of=AS_OF)
    empty = (None,) * 5
    assert _scores(context, t) == {a.id: ("loyal", *empty), b.id: ("hibernating", *empty), c.id: ("hibernating", *empty)}
    assert report.scores is not None and (report.scores.customers, report.scores.written, report.scores.removed) == (3, 3, 0)
    # the scores reached the warehouse in the same refresh: both sides give the same members
    assert _both_sides(context, warehouse, t, one("rfm", "in", ["loyal"]), AS_OF) == (1, {a.id})
    assert _both_sides(context, warehouse, t, one("rfm", "not_in", ["loyal"]), AS_OF) == (3, {b.id, c.id, d.id})
    assert _both_sides(context, warehouse, t, one("ltv", "gte", 0, attribute="p_alive"), AS_OF) == (0, set())

    # nothing changed: nothing written, scored_at kept
    again = refresh_smart_tags(context.uow(), warehouse, t, as_of=AS_OF)
    assert again.scores is not None and (again.scores.written, again.scores.removed) == (0, 0)

    # C's only order is refunded in full: C is no longer scored, their row goes
    h.refund(context, t, c_order, "10.00", "refunded")
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    moved = refresh_smart_tags(context.uow(), warehouse, t, as_of=AS_OF)
    assert moved.scores is not None and moved.scores.removed == 1 and c.id not in _scores(context, t)
    assert _both_sides(context, warehouse, t, one("rfm", "in", ["hibernating"]), AS_OF)[1] == \
        {cid for cid, row in _scores(context, t).items() if row[0] == "hibernating"}


def test_scores_with_a_fit_are_the_analyses_answers(context: Context, warehouse: Warehouse) -> None:
    t, ids = ltv_history(context)
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    ltv = LtvQuery(tenant_id=t, as_of=LTV_AS_OF).run(warehouse)
    rfm = RfmQuery(tenant_id=t, as_of=LTV_AS_OF).run(warehouse)

    refresh_smart_tags(context.uow(), warehouse, t, as_of=LTV_AS_OF)
    stored = _scores(context, t)
    # six live buyers (D and E merged: one row, the survivor's); G buys after as_of; nobody else
    assert set(stored) == {c.customer_id for c in ltv.customers} and len(stored) == 6
    assert ids["g"] not in stored
    for c in ltv.customers:
        assert stored[c.customer_id] == (
            rfm.of(c.customer_id).segment.value,  # type: ignore[union-attr]
            round(c.probability_alive, 6), round(c.purchases_90d, 6), round(c.purchases_365d, 6),
            float(c.value_90d), float(c.value_365d))
    # B bought once: BG/NBD's P(alive) is exactly 1 for a one-time buyer
    assert stored[ids["b"]][1] == 1.0
    # an ltv rule on both sides: P(alive) under the middle value
    middle = sorted(row[1] for row in stored.values())[3]
    lower = {cid for cid, row in stored.items() if row[1] < middle}
    assert _both_sides(context, warehouse, t, one("ltv", "lt", middle, attribute="p_alive"), LTV_AS_OF) == (len(lower), lower)
    assert _both_sides(context, warehouse, t, one("ltv", "gte", 0, attribute="predicted_value_365"), LTV_AS_OF) == \
        (6, set(stored))


# -- segments kept as tags ----------------------------------------------------------------------
def test_a_kept_segment_adds_members_removes_the_rest_and_is_idempotent(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    t = tenant.id
    a, b, c, d = factories.customers_of(context, admin, 4)
    vip = tags.create_tag(context.uow(), admin, group="价值", name="VIP").id
    kept = tags.create_tag(context.uow(), admin, group="人群", name="高价值").id
    tags.apply_tags(context.uow(), admin, [a.id, b.id], [vip])
    tags.apply_tags(context.uow(), admin, [c.id], [kept])  # put by hand on a non-member: the refresh takes it off
    segment = segments.create_segment(context.uow(), admin, name="VIP 人群", rule=one("tags", "any", [vip]),
                                      materialise_as_tag_id=kept)
    assert segment.last_refresh is None
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    (first,) = refresh_segments(context.uow(), warehouse, admin)
    assert (first.segment_id, first.tag_id, first.members, first.added, first.removed) == (segment.id, kept, 2, 2, 1)
    assert _holders(context, t, kept) == {a.id, b.id}
    assert _sources(context, t, a.id)[kept] == "rule"
    stored = segments.get_segment(context.uow(), admin, segment.id).last_refresh
    assert stored is not None and (stored.members, stored.added, stored.removed) == (2, 2, 1)
    assert stored.refreshed_at == first.refreshed_at
    assert _tag_events(context, t, a.id) == [("tagged", "人群/高价值", "rule"), ("tagged", "价值/VIP", "manual")]
    assert _tag_events(context, t, c.id)[0] == ("untagged", "人群/高价值", "rule")

    # nothing changed: nothing written, no timeline entry, the report says so
    (again,) = refresh_segments(context.uow(), warehouse, admin)
    assert (again.members, again.added, again.removed) == (2, 0, 0)
    assert len(_tag_events(context, t, a.id)) == 2

    # B loses VIP, D gains it: after the next sync D is tagged and B untagged
    tags.remove_tags(context.uow(), admin, [b.id], [vip])
    tags.apply_tags(context.uow(), admin, [d.id], [vip])
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    report = refresh_smart_tags(context.uow(), warehouse, t, as_of=AS_OF)
    (moved,) = report.segments
    assert (moved.members, moved.added, moved.removed) == (2, 1, 1)
    assert _holders(context, t, kept) == {a.id, d.id}
    assert (report.added, report.removed) == (1, 1)  # no purchases: the RFM and churn rules want nothing
    last = segments.get_segment(context.uow(), admin, segment.id).last_refresh
    assert last is not None and (last.members, last.added, last.removed) == (2, 1, 1)

    # the segment stops keeping the tag: the tag is left as it is
    segments.update_segment(context.uow(), admin, segment.id, materialise_as_tag_id=None)
    assert refresh_segments(context.uow(), warehouse, admin) == []
    assert _holders(context, t, kept) == {a.id, d.id}


def test_segments_are_refreshed_after_those_they_depend_on(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    t = tenant.id
    a, b, c = factories.customers_of(context, admin, 3)
    vip = tags.create_tag(context.uow(), admin, group="价值", name="VIP").id
    k1, k2, k3 = (tags.create_tag(context.uow(), admin, group="人群", name=n).id for n in ("一", "二", "三"))
    tags.apply_tags(context.uow(), admin, [a.id, b.id], [vip])
    # made first (the lowest id) yet it reads the tag the later one keeps: it must wait for it
    reads_tag = segments.create_segment(context.uow(), admin, name="读标签", rule=one("tags", "any", [k1]),
                                        materialise_as_tag_id=k2)
    base = segments.create_segment(context.uow(), admin, name="基础", rule=one("tags", "any", [vip]),
                                   materialise_as_tag_id=k1)
    # refers to the second through a segment condition (inlined), and to the base one
    nested = segments.create_segment(context.uow(), admin, name="嵌套", rule={"groups": [
        {"conditions": [{"kind": "segment", "op": "in", "value": reads_tag.id},
                        {"kind": "segment", "op": "in", "value": base.id}]}]}, materialise_as_tag_id=k3)
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    reports = refresh_segments(context.uow(), warehouse, admin)
    assert [r.segment_id for r in reports] == [base.id, reads_tag.id, nested.id]
    # one refresh is enough: the second segment saw the tag the first had just written
    assert _holders(context, t, k1) == _holders(context, t, k2) == _holders(context, t, k3) == {a.id, b.id}
    assert [(r.added, r.removed) for r in reports] == [(2, 0), (2, 0), (2, 0)]
    assert c.id not in _holders(context, t, k2)


def test_rfm_rules_and_segments_in_one_refresh(context: Context, warehouse: Warehouse) -> None:
    """A segment on the RFM segment, and one on an RFM smart tag, are right after the first
    refresh: the scores and the tags reach the warehouse before the segments are computed."""
    tenant, admin = factories.tenant(context)
    t = tenant.id
    a, b = factories.customers_of(context, admin, 2)
    h.order(context, t, a.id, h.sh(2026, 3, 31), "10.00")
    h.order(context, t, a.id, h.sh(2026, 3, 20), "10.00")
    h.order(context, t, b.id, h.sh(2026, 1, 1), "10.00")  # n = 2: A (R 3, F 3) need attention, B (1, 1) hibernating
    loyal_kept = tags.create_tag(context.uow(), admin, group="人群", name="需关注").id
    via_tag = tags.create_tag(context.uow(), admin, group="人群", name="沉睡的").id
    with context.uow() as uow:
        sleeping = ensure_tag(uow, t, RFM_GROUP, RFM_TAGS[RfmSegment.HIBERNATING]).id
        uow.commit()
    on_scores = segments.create_segment(context.uow(), admin, name="按RFM", rule=one("rfm", "in", ["need_attention"]),
                                        materialise_as_tag_id=loyal_kept)
    on_tag = segments.create_segment(context.uow(), admin, name="按标签", rule=one("tags", "any", [sleeping]),
                                     materialise_as_tag_id=via_tag)
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    report = refresh_smart_tags(context.uow(), warehouse, t, as_of=AS_OF)
    assert _holders(context, t, loyal_kept) == {a.id}
    assert _holders(context, t, sleeping) == _holders(context, t, via_tag) == {b.id}
    assert [(r.segment_id, r.members) for r in report.segments] == [(on_scores.id, 1), (on_tag.id, 1)]
    assert (report.added, report.removed) == (4, 0)  # A and B's RFM tags, and one member in each segment


def test_refreshing_on_demand_needs_the_right_to_manage_customers(context: Context, warehouse: Warehouse) -> None:
    tenant, _ = factories.tenant(context)
    guide = Actor(tenant_id=tenant.id, role=Role.GUIDE, name="导购")
    with pytest.raises(PermissionDenied):
        refresh_segments(context.uow(), warehouse, guide)


def test_the_sync_task_refreshes_kept_segments(context: Context) -> None:
    tenant, admin = factories.tenant(context)
    (a,) = factories.customers_of(context, admin, 1)
    vip = tags.create_tag(context.uow(), admin, group="价值", name="VIP").id
    kept = tags.create_tag(context.uow(), admin, group="人群", name="VIP客户").id
    tags.apply_tags(context.uow(), admin, [a.id], [vip])
    segments.create_segment(context.uow(), admin, name="VIP", rule=one("tags", "any", [vip]), materialise_as_tag_id=kept)
    assert context.tasks["sync_tenant_warehouse"].call_local(tenant.id) > 0
    assert _holders(context, tenant.id, kept) == {a.id}


# -- the command line ---------------------------------------------------------------------------
@pytest.fixture
def cli(context: Context, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    from siyu.observability import configure_logging

    configure_logging(context.settings)
    monkeypatch.setattr(warehouse_cli, "_context", lambda: context)
    return CliRunner()


def test_segments_refresh_from_the_command_line(context: Context, cli: CliRunner) -> None:
    tenant, admin = factories.tenant(context)
    a, b = factories.customers_of(context, admin, 2)
    vip = tags.create_tag(context.uow(), admin, group="价值", name="VIP").id
    kept = tags.create_tag(context.uow(), admin, group="人群", name="VIP客户").id
    tags.apply_tags(context.uow(), admin, [a.id], [vip])
    segment = segments.create_segment(context.uow(), admin, name="VIP", rule=one("tags", "any", [vip]),
                                      materialise_as_tag_id=kept)

    done = cli.invoke(app, ["segments", "refresh", "--tenant", tenant.slug])  # syncs first by default
    assert done.exit_code == 0, done.output
    (answer,) = json.loads(done.stdout)
    assert answer["tenant_id"] == tenant.id
    assert [(s["segment_id"], s["members"], s["added"], s["removed"]) for s in answer["segments"]] == [(segment.id, 1, 1, 0)]
    assert _holders(context, tenant.id, kept) == {a.id}

    # --no-sync reads the warehouse as it stands: B's new VIP tag is not there yet
    tags.apply_tags(context.uow(), admin, [b.id], [vip])
    stale = json.loads(cli.invoke(app, ["segments", "refresh", "--tenant", tenant.slug, "--no-sync"]).stdout)
    assert [(s["members"], s["added"]) for s in stale[0]["segments"]] == [(1, 0)]
    # every tenant when none is named
    everyone = json.loads(cli.invoke(app, ["segments", "refresh"]).stdout)
    mine = next(x for x in everyone if x["tenant_id"] == tenant.id)
    assert [(s["members"], s["added"]) for s in mine["segments"]] == [(2, 1)]
    assert _holders(context, tenant.id, kept) == {a.id, b.id}

    missing = cli.invoke(app, ["segments", "refresh", "--tenant", "no-such-brand"])
    assert missing.exit_code == 1 and "no tenant" in missing.output


def test_a_segment_that_cannot_be_evaluated_does_not_stop_the_others(context: Context) -> None:
    from siyu.domain.errors import InvalidInput
    from siyu.services import smart_tags

    tenant, admin = factories.tenant(context)
    a, b = factories.customers_of(context, admin, 2)
    vip = tags.create_tag(context.uow(), admin, group="价值", name="VIP").id
    k1, k2 = (tags.create_tag(context.uow(), admin, group="人群", name=n).id for n in ("一", "二"))
    broken = segments.create_segment(context.uow(), admin, name="坏", rule=one("tags", "none", [vip]), materialise_as_tag_id=k1)
    fine = segments.create_segment(context.uow(), admin, name="好", rule=one("tags", "any", [vip]), materialise_as_tag_id=k2)

    def members(rule: SegmentRule, saved: Any, fields: Any) -> list[int]:  # a member source standing in for the warehouse
        if rule == broken.rule:
            raise InvalidInput("analytics.unavailable_here", "cannot evaluate")
        return [a.id, b.id]

    reports = smart_tags.refresh_segment_tags(context.uow(), tenant.id, members)
    assert [(r.segment_id, r.added) for r in reports] == [(fine.id, 2)]
    assert _holders(context, tenant.id, k2) == {a.id, b.id} and _holders(context, tenant.id, k1) == set()
    assert segments.get_segment(context.uow(), admin, broken.id).last_refresh is None
