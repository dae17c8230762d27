"""The console's segments: the list, the editor (groups and conditions as a form, pickers from
the tenant, the live count and each problem by its condition, in the viewer's language) and a
segment's page (count, last sync, members, export), per role."""

from __future__ import annotations

import csv
import io
import re

from siyu.domain.access import Role
from siyu.services import segments, tags, warehouse_sync

from .conftest import Browser, Org


def _sync(org: Org) -> None:
    with org.context.warehouse() as wh:
        warehouse_sync.sync_tenant(org.context.uow(), wh, org.tenant.id)


def _tagged(org: Org):  # type: ignore[no-untyped-def]
    """Two VIP customers (one followed by the guide), one without: the tag, the guide and the ids."""
    store = org.store("南京西路店")
    guide = org.member("王导购", store=store)
    vip = org.tag("VIP", group="会员等级")
    first = org.customer("张三", "13800138000", followed_by=guide)
    second = org.customer("李四", "13900139000", followed_by=org.member("赵导购", store=org.store()))
    org.customer("王五")
    tags.apply_tags(org.context.uow(), org.system, [first, second], [vip.id])
    return vip, guide, first, second


def _form(browser: Browser, **fields: str | list[str]) -> dict:
    return {"name": "", "description": "", "g0": "1", **fields}


def _count(html: str) -> int | None:
    found = re.search(r'data-count="(\d+)"', html)
    return int(found.group(1)) if found else None


def test_the_editor_offers_the_tenants_tags_and_every_kind_in_chinese(signed_in: Browser, org: Org) -> None:
    vip, *_ = _tagged(org)
    org.stage("意向")
    page = signed_in.get("/segments/new")
    assert page.status_code == 200 and "<h1>新建人群</h1>" in page.text
    assert 'name="g0c0_kind"' in page.text and ">标签<" in page.text and ">RFM 分层<" in page.text and ">行为事件<" in page.text
    assert f'name="g0c0_value" value="{vip.id}"' in page.text and "会员等级/VIP" in page.text  # tag picker of the tenant
    assert 'hx-post="/segments/preview"' in page.text and "delay:" in page.text  # the live count, debounced


def test_changing_the_kind_re_renders_the_condition_with_its_ops_and_picks(signed_in: Browser, org: Org) -> None:
    stage = org.stage("意向")
    signed_in.get("/segments/new")
    response = signed_in.post("/segments/editor", _form(signed_in, g0c0_kind="stage", g0c0_op="any"),
                              headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'name="g0c0_value" value="{stage.id}"' in response.text and ">意向<" in response.text
    assert 'value="in" selected' in response.text  # "any" is not a stage op: the first one it takes
    more = signed_in.post("/segments/editor", _form(signed_in, g0c0_kind="stage", g0c0_op="in", action="add_group"),
                          headers={"HX-Request": "true"})
    assert 'name="g1c0_kind"' in more.text and ">或<" in more.text
    fewer = signed_in.post("/segments/editor", _form(signed_in, g0c0_kind="stage", g0c0_op="in", g0c1_kind="tags",
                                                     g0c1_op="any", action="remove_condition:0:1"),
                           headers={"HX-Request": "true"})
    assert 'name="g0c0_kind"' in fewer.text and 'name="g0c1_kind"' not in fewer.text
    orders = signed_in.post("/segments/editor", _form(signed_in, g0c0_kind="orders"), headers={"HX-Request": "true"})
    assert ">购买次数<" in orders.text and 'name="g0c0_days"' in orders.text  # a window in days for count/gmv/aov


def test_the_preview_counts_on_the_warehouse_and_shows_each_problem_by_condition(signed_in: Browser, org: Org) -> None:
    vip, *_ = _tagged(org)
    signed_in.get("/segments/new")
    fields = _form(signed_in, g0c0_kind="tags", g0c0_op="any", g0c0_value=str(vip.id))
    before = signed_in.post("/segments/preview", fields, headers={"HX-Request": "true"})
    assert _count(before.text) == 0 and "数据仓库尚未同步" in before.text
    _sync(org)
    after = signed_in.post("/segments/preview", fields, headers={"HX-Request": "true"})
    assert _count(after.text) == 2 and "截至最近一次同步" in after.text
    bad = signed_in.post("/segments/preview", {**fields, "g0c1_kind": "orders", "g0c1_attribute": "gmv", "g0c1_op": "gte",
                                               "g0c1_value": "很多", "g1": "1", "g1c0_kind": "tags", "g1c0_op": "any"},
                         headers={"HX-Request": "true"})
    assert _count(bad.text) is None and "请修正标出的条件" in bad.text
    slot = bad.text.split('id="err-g0c1"')[1].split("</div>")[0]
    assert "条件组 1 第 2 条" in slot and "不是数字" in slot.replace("“很多”", "")  # Chinese, the value quoted
    assert "hx-swap-oob" in bad.text and 'id="err-g1c0"' in bad.text and 'id="err-g0c0"' in bad.text
    empty_pick = bad.text.split('id="err-g1c0"')[1].split("</div>")[0].split(">", 1)[1]
    assert "条件组 2 第 1 条" in empty_pick  # a tag condition with no tag chosen is a problem too
    assert bad.text.split('id="err-g0c0"')[1].split("</div>")[0].split(">", 1)[1].strip() == ""  # the good one is clear


def test_english_viewers_read_the_problems_in_english(browser: Browser, org: Org) -> None:
    user = org.user(Role.ADMIN, locale="en")
    browser.sign_in(user.login)
    browser.get("/segments/new")
    bad = browser.post("/segments/preview", _form(browser, g0c0_kind="orders", g0c0_attribute="gmv", g0c0_op="gte",
                                                  g0c0_value="lots"), headers={"HX-Request": "true"})
    slot = bad.text.split('id="err-g0c0"')[1].split("</div>")[0]
    assert "Group 1, condition 1" in slot and "is not a number" in slot


def test_saving_creates_the_segment_and_its_page_lists_members_with_export(signed_in: Browser, org: Org) -> None:
    vip, guide, first, second = _tagged(org)
    signed_in.get("/segments/new")
    refused = signed_in.post("/segments/new", _form(signed_in, name="VIP 客户", g0c0_kind="tags", g0c0_op="any"))
    assert refused.status_code == 422
    slot = refused.text.split('id="err-g0c0"')[1].split("</div>")[0]
    assert "hidden" not in slot.split(">", 1)[0] and "条件组 1 第 1 条" in slot  # no tag chosen: shown on the condition
    saved = signed_in.post("/segments/new", _form(signed_in, name="VIP 客户", description="会员", g0c0_kind="tags",
                                                  g0c0_op="any", g0c0_value=str(vip.id)))
    assert saved.status_code == 303
    segment_id = int(saved.headers["location"].rsplit("/", 1)[1])
    assert segments.get_segment(org.context.uow(), org.system, segment_id).rule.to_dict() == {
        "groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [vip.id]}]}]}
    _sync(org)
    page = signed_in.get(f"/segments/{segment_id}")
    assert page.status_code == 200 and "人群“VIP 客户”已创建" in page.text
    assert _count(page.text) == 2 and "最近同步" in page.text
    assert re.findall(r'data-member="(\d+)"', page.text) == [str(first), str(second)]
    assert "13800138000" in page.text  # an admin sees phones whole
    assert f'/segments/{segment_id}/export?format=csv' in page.text and f'/segments/{segment_id}/export?format=xlsx' in page.text
    exported = signed_in.get(f"/segments/{segment_id}/export?format=csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["张三", "李四"] and rows[1][5] == "13800138000"
    listing = signed_in.get("/segments")
    assert "VIP 客户" in listing.text and '<a href="/segments" class="nav-link active"' in listing.text
    edit = signed_in.get(f"/segments/{segment_id}/edit")
    assert f'value="{vip.id}" checked' in edit.text and 'value="VIP 客户"' in edit.text


def test_a_guide_sees_only_the_members_they_follow_masked(browser: Browser, org: Org) -> None:
    vip, guide, first, second = _tagged(org)
    segment = segments.create_segment(org.context.uow(), org.system, name="VIP", rule={"groups": [{"conditions": [
        {"kind": "tags", "op": "any", "value": [vip.id]}]}]})
    _sync(org)
    user = org.user(Role.GUIDE, member=guide)
    browser.sign_in(user.login)
    page = browser.get(f"/segments/{segment.id}")
    assert page.status_code == 200 and _count(page.text) == 1
    assert re.findall(r'data-member="(\d+)"', page.text) == [str(first)]
    assert "138****8000" in page.text and "13800138000" not in page.text  # a guide has no phones.view
    assert "你看到的是你（或你的门店）跟进的成员" in page.text
    assert browser.get("/segments/new").status_code == 403
    assert f"/segments/{segment.id}/edit" not in page.text
    exported = browser.get(f"/segments/{segment.id}/export?format=csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [str(first)] and rows[1][5] == "138****8000"


def test_deleting_a_segment_from_its_page(signed_in: Browser, org: Org) -> None:
    vip, *_ = _tagged(org)
    segment = segments.create_segment(org.context.uow(), org.system, name="要删的", rule={"groups": [{"conditions": [
        {"kind": "tags", "op": "any", "value": [vip.id]}]}]})
    signed_in.get(f"/segments/{segment.id}")
    gone = signed_in.post(f"/segments/{segment.id}/delete")
    assert gone.status_code == 303 and gone.headers["location"] == "/segments"
    assert "人群“要删的”已删除" in signed_in.get("/segments").text


def test_without_javascript_the_editor_buttons_post_the_form_and_get_it_back(signed_in: Browser, org: Org) -> None:
    _tagged(org)
    signed_in.get("/segments/new")
    page = signed_in.post("/segments/editor", _form(signed_in, name="草稿", g0c0_kind="tags", g0c0_op="all",
                                                    action="add_condition:0"))
    assert page.status_code == 200 and "<h1>新建人群</h1>" in page.text and 'value="草稿"' in page.text
    assert 'name="g0c1_kind"' in page.text and 'value="all" selected' in page.text


def test_editing_keeps_the_rule_and_refuses_a_segment_that_contains_itself(signed_in: Browser, org: Org) -> None:
    vip, *_ = _tagged(org)
    segment = segments.create_segment(org.context.uow(), org.system, name="VIP", rule={"groups": [{"conditions": [
        {"kind": "tags", "op": "any", "value": [vip.id]}]}]})
    signed_in.get(f"/segments/{segment.id}/edit")
    loop = _form(signed_in, name="VIP", segment_id=str(segment.id), g0c0_kind="segment", g0c0_op="in",
                 g0c0_value=str(segment.id))
    shown = signed_in.post("/segments/preview", loop, headers={"HX-Request": "true"})
    assert "人群不能包含它自己" in shown.text.split('id="err-g0c0"')[1].split("</div>")[0]
    refused = signed_in.post(f"/segments/{segment.id}/edit", loop)
    assert refused.status_code == 422
    saved = signed_in.post(f"/segments/{segment.id}/edit", _form(signed_in, name="VIP 会员", segment_id=str(segment.id),
                                                                  g0c0_kind="tags", g0c0_op="none", g0c0_value=str(vip.id)))
    assert saved.status_code == 303
    after = segments.get_segment(org.context.uow(), org.system, segment.id)
    assert (after.name, after.rule.to_dict()["groups"][0]["conditions"][0]["op"]) == ("VIP 会员", "none")


def test_the_editor_reads_in_english_for_an_english_viewer(browser: Browser, org: Org) -> None:
    user = org.user(Role.ADMIN, locale="en")
    browser.sign_in(user.login)
    page = browser.get("/segments/new")
    assert "<h1>New segment</h1>" in page.text and ">Behaviour event<" in page.text and ">has any of<" in page.text
    assert "Add a group (OR)" in page.text


def test_every_kind_of_condition_renders_with_the_ops_it_takes(signed_in: Browser, org: Org) -> None:
    from siyu.domain.segments import ConditionKind
    from siyu.services.fields import define_field

    _tagged(org)
    define_field(org.context.uow(), org.system, key="level", label="等级", kind="single", options=["金卡", "银卡"])
    signed_in.get("/segments/new")
    expected = {"profile": ">客户姓名<", "field": ">金卡<", "identity": ">不为空<", "tags": ">包含任一<", "stage": ">属于<",
                "channel": ">属于<", "staff": ">王导购<", "store": ">南京西路店<", "region": ">属于<", "relation": ">正常<",
                "orders": ">购买次数<", "rfm": ">冠军客户<", "ltv": ">活跃概率<", "event": "page_view",
                "segment": ">属于<"}
    assert set(expected) == {k.value for k in ConditionKind}
    for kind, shown in expected.items():
        response = signed_in.post("/segments/editor", _form(signed_in, g0c0_kind=kind), headers={"HX-Request": "true"})
        assert response.status_code == 200, kind
        assert f'<option value="{kind}" selected>' in response.text and 'name="g0c0_op"' in response.text, kind
        assert shown in response.text, kind
