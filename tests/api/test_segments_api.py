"""The segments API: saved rules, the live count of a rule being edited (every problem of a bad
rule at once), a segment's count, members (paged) and export, on the warehouse, per scope."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from siyu.analytics.segments import SegmentCountQuery, SegmentMembersQuery
from siyu.domain.access import Role
from siyu.domain.errors import PermissionDenied
from siyu.services import exports, segments, tokens, warehouse_sync
from tests import factories as f
from tests.analytics import segment_history
from tests.api.conftest import Tenantside, client  # noqa: F401  (the client fixture)


def tags_rule(*tag_ids: int) -> dict:
    return {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": list(tag_ids)}]}]}


def _tenant(context):
    hs = segment_history.build(context)
    issued = tokens.create_api_token(context.uow(), hs.admin, name=f"t{f.uid()}", role=Role.ADMIN)
    return hs, Tenantside(actor=hs.admin, headers={"Authorization": f"Bearer {issued.secret}"})


def _sync(context, tenant_id: int) -> None:
    with context.warehouse() as wh:
        warehouse_sync.sync_tenant(context.uow(), wh, tenant_id)


def test_segments_are_created_listed_paged_changed_and_deleted(context, client) -> None:  # noqa: F811
    hs, a = _tenant(context)
    made = client.post("/api/v1/segments", json={"name": "有t2", "description": "两个标签之一", "rule": tags_rule(hs.tags["t2"])},
                       headers=a.headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["name"], body["description"], body["rule"]) == ("有t2", "两个标签之一", tags_rule(hs.tags["t2"]))
    first = client.get("/api/v1/segments", params={"page_size": 1}, headers=a.headers).json()
    second = client.get("/api/v1/segments", params={"page_size": 1, "page": 2}, headers=a.headers).json()
    assert (first["total"], first["pages"]) == (2, 2)
    assert {first["items"][0]["name"], second["items"][0]["name"]} == {"有t1", "有t2"}
    changed = client.patch(f"/api/v1/segments/{body['id']}", json={"name": "有t2或t3", "rule": tags_rule(hs.tags["t2"], hs.tags["t3"])},
                           headers=a.headers).json()
    assert changed["name"] == "有t2或t3" and changed["description"] == "两个标签之一"
    assert client.get(f"/api/v1/segments/{body['id']}", headers=a.headers).json()["rule"] == tags_rule(hs.tags["t2"], hs.tags["t3"])
    taken = client.post("/api/v1/segments", json={"name": "有t1", "rule": tags_rule(hs.tags["t1"])}, headers=a.headers)
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "segment.name_taken")
    assert client.delete(f"/api/v1/segments/{body['id']}", headers=a.headers).status_code == 204
    gone = client.get(f"/api/v1/segments/{body['id']}", headers=a.headers)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "segment.not_found")


def test_a_bad_rule_on_save_names_its_condition(context, client) -> None:  # noqa: F811
    hs, a = _tenant(context)
    bad = client.post("/api/v1/segments", json={"name": "坏", "rule": tags_rule(987654321)}, headers=a.headers)
    assert bad.status_code == 422
    assert (bad.json()["error"]["code"], bad.json()["error"]["field"]) == ("segment.unknown_reference", "groups[0].conditions[0]")


def test_preview_counts_a_rule_on_the_warehouse_with_its_last_sync(context, client) -> None:  # noqa: F811
    hs, a = _tenant(context)
    rule = tags_rule(hs.tags["t1"])
    before = client.post("/api/v1/segments/preview", json={"rule": rule}, headers=a.headers).json()
    assert before == {"customers": 0, "last_synced_at": None, "sync_version": 0, "scoped": False}
    _sync(context, hs.tenant_id)
    after = client.post("/api/v1/segments/preview", json={"rule": rule}, headers=a.headers).json()
    # A, B and F have t1 (G's t1 is F's, G merged into F): three live customers
    assert after["customers"] == 3 and after["sync_version"] == 1 and after["last_synced_at"] is not None
    either = {"groups": [rule["groups"][0], {"conditions": [{"kind": "stage", "op": "in", "value": [hs.stages["s1"]]}]}]}
    assert client.post("/api/v1/segments/preview", json={"rule": either}, headers=a.headers).json()["customers"] == 4  # + C
    saved = client.get(f"/api/v1/segments/{hs.segments['S1']}/count", headers=a.headers).json()
    assert (saved["customers"], saved["scoped"]) == (3, False)


def test_preview_of_a_bad_rule_is_a_422_with_every_problem_by_condition(context, client) -> None:  # noqa: F811
    hs, a = _tenant(context)
    rule = {"groups": [
        {"conditions": [{"kind": "colour", "op": "eq"}, {"kind": "tags", "op": "any", "value": [hs.tags["t1"]]},
                        {"kind": "orders", "attribute": "gmv", "op": "gte", "value": "lots"}]},
        {"conditions": []},
        {"conditions": [{"kind": "stage", "op": "in", "value": [987654321]}]},
    ]}
    answer = client.post("/api/v1/segments/preview", json={"rule": rule}, headers=a.headers)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["kind"], error["params"], error["field"]) == ("segment.rule_problems", "invalid", {"count": 4}, "groups")
    assert [(p["code"], p["field"]) for p in error["problems"]] == [
        ("segment.unknown_kind", "groups[0].conditions[0]"), ("segment.bad_number", "groups[0].conditions[2]"),
        ("segment.empty_group", "groups[1]"), ("segment.unknown_reference", "groups[2].conditions[0]")]
    assert error["problems"][3]["params"] == {"where": "groups[2].conditions[0]", "kind": "stage", "id": 987654321}
    shape = client.post("/api/v1/segments/preview", json={"rule": {"groups": []}}, headers=a.headers).json()["error"]
    assert [p["code"] for p in shape["problems"]] == ["segment.no_groups"]
    # a rule reaching the segment being edited is a problem of the preview too
    loop = client.post("/api/v1/segments/preview", json={"rule": {"groups": [{"conditions": [
        {"kind": "segment", "op": "in", "value": hs.segments["S1"]}]}]}, "segment_id": hs.segments["S1"]}, headers=a.headers)
    assert [p["code"] for p in loop.json()["error"]["problems"]] == ["segment.self_reference"]


def test_members_page_through_the_segment_with_owner_and_phone(context, client) -> None:  # noqa: F811
    hs, a = _tenant(context)
    _sync(context, hs.tenant_id)
    url = f"/api/v1/segments/{hs.segments['S1']}/members"
    one = client.get(url, params={"page_size": 2}, headers=a.headers).json()
    two = client.get(url, params={"page_size": 2, "page": 2}, headers=a.headers).json()
    assert (one["total"], one["pages"], one["page"], two["page"]) == (3, 2, 1, 2)
    assert [m["customer_id"] for m in one["items"] + two["items"]] == sorted([hs.ids["A"], hs.ids["B"], hs.ids["F"]])
    member = one["items"][0]
    assert member["name"] in ("王小明", "李雷", "赵六") and member["phone"].startswith("139") and "*" not in member["phone"]
    assert one["last_synced_at"] is not None and set(member) >= {"owner_staff_id", "owner_name", "identities", "tag_ids"}
    assert client.get("/api/v1/segments/987654321/members", headers=a.headers).status_code == 404


def test_export_writes_the_members_as_csv_and_xlsx(context, client) -> None:  # noqa: F811
    hs, a = _tenant(context)
    _sync(context, hs.tenant_id)
    url = f"/api/v1/segments/{hs.segments['S1']}/export"
    response = client.get(url, headers=a.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="segment-' in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:11] == exports.HEADER
    assert [int(r[0]) for r in table[1:]] == sorted([hs.ids["A"], hs.ids["B"], hs.ids["F"]])
    assert {r[1] for r in table[1:]} == {"王小明", "李雷", "赵六"}
    assert "t1" in table[1][7]  # the tags column names the tag
    book = openpyxl.load_workbook(io.BytesIO(client.get(url, params={"format": "xlsx"}, headers=a.headers).content), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 4 and list(rows[0][:11]) == exports.HEADER
    assert client.get(url, params={"format": "pdf"}, headers=a.headers).status_code == 422


def test_a_guide_counts_lists_and_exports_only_the_customers_they_follow(context) -> None:
    hs = segment_history.build(context)
    _sync(context, hs.tenant_id)
    guide = f.user_actor(context, hs.admin, role=Role.GUIDE, staff_id=hs.staff["g1"], store_id=None)
    manager = f.user_actor(context, hs.admin, role=Role.STORE_MANAGER, staff_id=hs.staff["g3"], store_id=hs.stores["Y"])
    ready = segments.evaluable_segment(context.uow(), guide, hs.segments["S1"])
    query = SegmentCountQuery(tenant_id=hs.tenant_id, rule=ready.rule, fields=ready.fields, saved=ready.saved)
    members = SegmentMembersQuery(tenant_id=hs.tenant_id, rule=ready.rule, fields=ready.fields, saved=ready.saved)
    with context.warehouse() as wh:
        # t1: A, B, F. g1 follows A (active); its relations with C and F ended. Store Y's g3 follows F.
        assert query.answer(guide, wh).result == 1
        assert members.answer(guide, wh).result.items == [hs.ids["A"]]
        assert members.answer(manager, wh).result.items == [hs.ids["F"]]
        assert query.answer(hs.admin, wh).result == 3
    out = io.BytesIO()
    assert exports.export_listed(context.uow(), manager, [hs.ids["A"], hs.ids["F"]], out, fmt=exports.SheetFormat.CSV) == 1
    (row,) = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))[1:]
    assert int(row[0]) == hs.ids["F"] and "****" in row[5]  # a store manager sees phones masked


def test_guides_may_look_but_not_change_segments(context) -> None:
    hs = segment_history.build(context)
    guide = f.user_actor(context, hs.admin, role=Role.GUIDE, staff_id=hs.staff["g1"])
    assert segments.get_segment(context.uow(), guide, hs.segments["S1"]).name == "有t1"
    with pytest.raises(PermissionDenied):
        segments.create_segment(context.uow(), guide, name="导购的", rule=tags_rule(hs.tags["t1"]))
    with pytest.raises(PermissionDenied):
        segments.delete_segment(context.uow(), guide, hs.segments["S1"])
