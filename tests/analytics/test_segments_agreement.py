"""Segment rules give the same, hand-worked customers on the warehouse (SegmentCountQuery,
SegmentMembersQuery) and on the operational store (matching_customers): every condition kind,
AND and OR, a rule matching nobody and one matching everybody. G is merged into F: never a member."""

from __future__ import annotations

from typing import Any

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.segments import SegmentCountQuery, SegmentMembersQuery
from siyu.bootstrap import Context
from siyu.services import segments, warehouse_sync
from siyu.services.segment_matching import matching_customers
from tests.analytics import segment_history
from tests.analytics.segment_history import TODAY, History


def one(kind: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    condition = {"kind": kind, "op": op, **extra}
    if value is not None:
        condition["value"] = value
    return {"groups": [{"conditions": [condition]}]}


def cases(hs: History) -> list[tuple[str, dict[str, Any], str]]:
    tag, st, ch, sf = hs.tags, hs.stages, hs.channels, hs.staff
    return [
        ("name contains", one("profile", "contains", "王", attribute="name"), "AE"),
        ("name eq", one("profile", "eq", "李雷", attribute="name"), "B"),
        ("region in", one("profile", "in", ["上海"], attribute="region"), "AD"),
        ("region not_in (needs a region)", one("profile", "not_in", ["上海"], attribute="region"), "BE"),
        ("region not_set", one("profile", "not_set", attribute="region"), "CF"),
        ("gender eq", one("profile", "eq", "female", attribute="gender"), "BC"),
        ("member level in", one("profile", "in", ["金卡"], attribute="member_level"), "AE"),
        ("member level not_set", one("profile", "not_set", attribute="member_level"), "CDF"),
        ("gender ne", one("profile", "ne", "male", attribute="gender"), "BCDF"),
        ("gender set", one("profile", "set", attribute="gender"), "ABCE"),
        ("birthday on", one("profile", "on", "1990-05-01", attribute="birthday"), "AF"),
        ("birthday before", one("profile", "before", "1990-01-01", attribute="birthday"), "B"),
        ("birthday not_set", one("profile", "not_set", attribute="birthday"), "CE"),
        ("added within 5 days", one("profile", "within_days", 5, attribute="added_at"), "BD"),
        ("added on a Shanghai day", one("profile", "on", "2025-12-31", attribute="added_at"), "C"),
        ("added between", one("profile", "between", ["2026-01-01", "2026-03-01"], attribute="added_at"), "AE"),
        ("added more than 100 days ago", one("profile", "more_than_days_ago", 100, attribute="added_at"), "ACE"),
        ("single eq", one("field", "eq", "gold", attribute="level"), "AE"),
        ("single ne (needs a value)", one("field", "ne", "gold", attribute="level"), "B"),
        ("single not_set", one("field", "not_set", attribute="level"), "CDF"),
        ("multi any", one("field", "any", ["read"], attribute="hobbies"), "AC"),
        ("multi all", one("field", "all", ["run", "read"], attribute="hobbies"), "A"),
        ("multi none", one("field", "none", ["run"], attribute="hobbies"), "BCDE"),
        ("multi set", one("field", "set", attribute="hobbies"), "ABCF"),
        ("number gte", one("field", "gte", 10, attribute="score"), "AE"),
        ("number between", one("field", "between", [5, 10], attribute="score"), "AB"),
        ("date after", one("field", "after", "2026-01-01", attribute="since"), "A"),
        ("date within", one("field", "within_days", 30, attribute="since"), "A"),
        ("text contains, any case", one("field", "contains", "vip", attribute="note"), "AC"),
        ("identity set", one("identity", "set", attribute="unionid"), "AC"),
        ("identity not_set", one("identity", "not_set", attribute="email"), "ACDEF"),
        ("tags any", one("tags", "any", [tag["t2"]]), "ACF"),
        ("tags all", one("tags", "all", [tag["t1"], tag["t2"]]), "AF"),
        ("tags none", one("tags", "none", [tag["t1"]]), "CDE"),
        ("stage in", one("stage", "in", [st["s1"]]), "AC"),
        ("stage not_in (no stage too)", one("stage", "not_in", [st["s1"]]), "BDEF"),
        ("channel in (any relation)", one("channel", "in", [ch["ch1"]]), "AC"),
        ("channel not_in", one("channel", "not_in", [ch["ch2"]]), "ACDE"),
        ("staff in (active only)", one("staff", "in", [sf["g1"]]), "A"),
        ("staff not_in", one("staff", "not_in", [sf["g3"]]), "ABDE"),
        ("store in", one("store", "in", [hs.stores["X"]]), "AB"),
        ("region in", one("region", "in", [hs.regions["R2"]]), "CF"),
        ("relation in", one("relation", "in", ["deleted_by_customer", "deleted_by_staff"]), "CD"),
        ("relation not_in", one("relation", "not_in", ["active"]), "DE"),
        ("orders count gte", one("orders", "gte", 1, attribute="count"), "ABCF"),
        ("orders count eq 0", one("orders", "eq", 0, attribute="count"), "DE"),
        ("gmv gt", one("orders", "gt", 100, attribute="gmv"), "AF"),
        ("gmv lt (non-buyers have 0)", one("orders", "lt", 100, attribute="gmv"), "BCDE"),
        ("count in the last 30 days", one("orders", "gte", 1, attribute="count", days=30), "AF"),
        ("aov eq", one("orders", "eq", 75, attribute="aov"), "A"),
        ("aov set", one("orders", "set", attribute="aov"), "ABCF"),
        ("first purchase before", one("orders", "before", "2026-01-01", attribute="first_purchase"), "C"),
        ("last purchase within", one("orders", "within_days", 10, attribute="last_purchase"), "AF"),
        ("never bought", one("orders", "not_set", attribute="last_purchase"), "DE"),
        ("gmv between in 365 days", one("orders", "between", [0, 60], attribute="gmv", days=365), "BCDE"),
        ("rfm in", one("rfm", "in", ["champions", "new"]), "AF"),
        ("rfm not_in (unscored too)", one("rfm", "not_in", ["champions"]), "BCDEF"),
        ("p_alive lt", one("ltv", "lt", 0.5, attribute="p_alive"), "B"),
        ("predicted value gte", one("ltv", "gte", 300, attribute="predicted_value_365"), "AF"),
        ("p_alive ne (needs a fit)", one("ltv", "ne", 0.9, attribute="p_alive"), "BCF"),
        ("event at least", one("event", "at_least", 2, attribute="page_view", days=7), "AE"),
        ("event not since", one("event", "not_since", attribute="page_view", days=7), "CDF"),
        ("other event", one("event", "at_least", 1, attribute="login", days=30), "C"),
        ("segment in", one("segment", "in", hs.segments["S1"]), "ABF"),
        ("segment not_in", one("segment", "not_in", hs.segments["S1"]), "CDE"),
        ("AND", {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [tag["t1"]]},
                                            {"kind": "profile", "attribute": "gender", "op": "eq", "value": "female"}]}]},
         "B"),
        ("OR", {"groups": [{"conditions": [{"kind": "stage", "op": "in", "value": [st["s1"]]}]},
                           {"conditions": [{"kind": "rfm", "op": "in", "value": ["new"]}]}]}, "ACF"),
        # order measures of one window in one group are tested on one aggregate: each keeps its meaning
        ("count and last purchase together", {"groups": [{"conditions": [
            {"kind": "orders", "attribute": "count", "op": "gte", "value": 2},
            {"kind": "orders", "attribute": "last_purchase", "op": "within_days", "value": 30}]}]}, "A"),
        ("count and aov together", {"groups": [{"conditions": [
            {"kind": "orders", "attribute": "count", "op": "gte", "value": 1},
            {"kind": "orders", "attribute": "aov", "op": "lt", "value": 100}]}]}, "ABC"),
        ("two measures that hold at 0 (non-buyers too)", {"groups": [{"conditions": [
            {"kind": "orders", "attribute": "count", "op": "lt", "value": 2},
            {"kind": "orders", "attribute": "gmv", "op": "lt", "value": 100}]}]}, "BCDE"),
        ("two windows", {"groups": [{"conditions": [
            {"kind": "orders", "attribute": "count", "op": "gte", "value": 1, "days": 30},
            {"kind": "orders", "attribute": "gmv", "op": "gte", "value": 150}]}]}, "AF"),
        ("nobody", {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [tag["t3"]]},
                                               {"kind": "tags", "op": "none", "value": [tag["t3"]]}]}]}, ""),
        ("everybody", one("profile", "set", attribute="added_at"), "ABCDEF"),
        ("everybody by OR", {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [tag["t1"]]}]},
                                        {"conditions": [{"kind": "tags", "op": "none", "value": [tag["t1"]]}]}]}, "ABCDEF"),
    ]


def test_every_condition_kind_agrees_on_the_warehouse_and_the_operational_store(context: Context, warehouse: Warehouse) -> None:
    hs = segment_history.build(context)
    warehouse_sync.sync_tenant(context.uow(), warehouse, hs.tenant_id)
    with context.uow() as uow:
        fields = tuple(sorted((k, f.kind) for k, f in uow.fields.all(hs.tenant_id).items()))
        saved = tuple(sorted(uow.segments.rules(hs.tenant_id).items()))
    wrong = []
    for name, raw, expected in cases(hs):
        with context.uow() as uow:
            rule = segments.check_rule(uow, hs.tenant_id, raw)
            operational = hs.letters(matching_customers(uow, hs.tenant_id, rule, today=TODAY))
        count = SegmentCountQuery(tenant_id=hs.tenant_id, rule=rule, fields=fields, saved=saved, as_of=TODAY).run(warehouse)
        page = SegmentMembersQuery(tenant_id=hs.tenant_id, rule=rule, fields=fields, saved=saved, as_of=TODAY,
                                   page_size=200).run(warehouse)
        on_warehouse = hs.letters(page.items)
        want = set(expected)
        if not (operational == on_warehouse == want and count == page.total == len(want)):
            wrong.append((name, "".join(sorted(want)), "".join(sorted(operational)), "".join(sorted(on_warehouse)), count))
    assert wrong == []


def test_matching_a_few_customers_checks_only_those(context: Context) -> None:
    hs = segment_history.build(context)
    rule = segments.validate_rule(context.uow(), hs.admin, one("tags", "any", [hs.tags["t1"]]))
    with context.uow() as uow:
        assert hs.letters(matching_customers(uow, hs.tenant_id, rule, {hs.ids["A"], hs.ids["C"], hs.ids["G"]},
                                             today=TODAY)) == {"A"}
        assert matching_customers(uow, hs.tenant_id, rule, set(), today=TODAY) == set()
