"""Managing customer definitions (tags, stages, fields) and possible duplicates with merge and undo."""

from __future__ import annotations

import re

from siyu.domain.access import Role
from siyu.domain.fields import FieldKind
from siyu.services import customers, fields, merging, stages, tags

from .conftest import Browser, Org


def test_tags_are_created_in_groups_renamed_and_deleted(signed_in: Browser, org: Org) -> None:
    created = signed_in.post("/customers/tags", {"group": "兴趣", "name": "咖啡"})
    assert created.status_code == 303
    signed_in.post("/customers/tags", {"group": "兴趣", "name": "茶"})
    signed_in.post("/customers/tags", {"group": "会员等级", "name": "VIP"})
    page = signed_in.get("/customers/tags").text
    assert "已创建标签“会员等级/VIP”。" in page
    assert page.index("</svg> 兴趣</h2>") < page.index("</svg> 会员等级</h2>") and "2 个标签" in page
    assert '<option value="兴趣">' in page  # existing groups are offered for the next tag

    again = signed_in.post("/customers/tags", {"group": "兴趣", "name": "茶"})  # an existing tag is a conflict
    assert again.status_code == 409 and len(tags.list_tags(org.context.uow(), org.system)) == 3
    too_long = signed_in.post("/customers/tags", {"group": "兴趣", "name": "长" * 31})
    assert too_long.status_code == 422 and "不能超过 30 个字符" in too_long.text and 'value="兴趣"' in too_long.text

    coffee = next(t for t in tags.list_tags(org.context.uow(), org.system) if t.name == "咖啡")
    taken = signed_in.post(f"/customers/tags/{coffee.id}/rename", {"name": "茶"})
    assert taken.status_code == 409 and "标签“兴趣/茶”已存在" in taken.text
    assert re.search(r'<details class="rename" open>', taken.text)
    assert signed_in.post(f"/customers/tags/{coffee.id}/rename", {"name": "手冲咖啡"}).status_code == 303
    assert "标签已改名为“兴趣/手冲咖啡”。" in signed_in.get("/customers/tags").text

    customer_id = org.customer("张三")
    tags.apply_tags(org.context.uow(), org.system, [customer_id], [coffee.id])
    page = signed_in.get("/customers/tags").text
    assert "删除标签“兴趣/手冲咖啡”？所有客户身上的该标签都会被移除。" in page
    assert signed_in.post(f"/customers/tags/{coffee.id}/delete").status_code == 303
    assert "标签已删除" in signed_in.get("/customers/tags").text
    assert customers.list_customers(org.context.uow(), org.system).items[0].tag_ids == []


def test_stages_are_added_renamed_reordered_and_deleted_only_when_unused(signed_in: Browser, org: Org) -> None:
    for name in ("新客", "意向", "复购"):
        assert signed_in.post("/customers/stages", {"name": name}).status_code == 303
    first, second, third = stages.list_stages(org.context.uow(), org.system)
    assert signed_in.post("/customers/stages", {"name": "意向"}).status_code == 409
    assert signed_in.post(f"/customers/stages/{second.id}/rename", {"name": "有意向"}).status_code == 303

    assert signed_in.post(f"/customers/stages/{third.id}/move", {"direction": "up"}).status_code == 303
    assert [s.name for s in stages.list_stages(org.context.uow(), org.system)] == ["新客", "复购", "有意向"]
    signed_in.post(f"/customers/stages/{first.id}/move", {"direction": "up"})  # already first: nothing moves
    signed_in.post(f"/customers/stages/{first.id}/move", {"direction": "down"})
    assert [s.name for s in stages.list_stages(org.context.uow(), org.system)] == ["复购", "新客", "有意向"]

    customer_id = org.customer("张三")
    stages.move_stage(org.context.uow(), org.system, customer_id, first.id)
    page = signed_in.get("/customers/stages").text
    assert "1 位客户" in page
    refused = signed_in.post(f"/customers/stages/{first.id}/delete")
    assert refused.status_code == 409 and "该阶段中有 1 位客户，请先将他们移到其他阶段。" in refused.text
    assert signed_in.post(f"/customers/stages/{third.id}/delete").status_code == 303
    assert [s.name for s in stages.list_stages(org.context.uow(), org.system)] == ["新客", "有意向"]


def test_fields_are_defined_and_edited(signed_in: Browser, org: Org) -> None:
    bad = signed_in.post("/customers/fields", {"key": "Drink!", "label": "饮品", "kind": "single", "options": "拿铁\n美式"})
    assert bad.status_code == 422 and "字段键为 1–40 位小写字母、数字或 _，以字母开头" in bad.text
    assert 'value="Drink!"' in bad.text and "拿铁\n美式</textarea>" in bad.text
    assert re.search(r'<option value="single" selected>单选</option>', bad.text)
    no_options = signed_in.post("/customers/fields", {"key": "drink", "label": "饮品", "kind": "multi", "options": ""})
    assert no_options.status_code == 422 and "选择类字段至少需要一个选项" in no_options.text

    assert signed_in.post("/customers/fields", {"key": "drink", "label": "饮品", "kind": "single",
                                                "options": "拿铁, 美式", "required": "on"}).status_code == 303
    listing = signed_in.get("/customers/fields").text
    assert "已定义字段“饮品”。" in listing and "单选" in listing and ">拿铁<" in listing and ">必填<" in listing
    taken = signed_in.post("/customers/fields", {"key": "drink", "label": "咖啡", "kind": "text"})
    assert taken.status_code == 409 and "已有键为“drink”的字段" in taken.text

    form = signed_in.get("/customers/fields/drink/edit").text
    assert "拿铁\n美式</textarea>" in form and 'name="required" value="on" checked' in form
    dropped = signed_in.post("/customers/fields/drink/edit", {"label": "饮品", "options": "拿铁"})
    assert dropped.status_code == 422 and "使用中的选项不能删除：美式" in dropped.text
    assert signed_in.post("/customers/fields/drink/edit", {"label": "爱喝的", "options": "拿铁\n美式\n燕麦拿铁"}).status_code == 303
    [field] = fields.list_fields(org.context.uow(), org.system)
    assert (field.label, field.kind, field.options, field.required) == ("爱喝的", FieldKind.SINGLE, ("拿铁", "美式", "燕麦拿铁"), False)
    assert signed_in.get("/customers/fields/nope/edit").status_code == 404


def test_an_operator_manages_but_a_store_manager_does_not(browser: Browser, org: Org) -> None:
    store = org.store()
    manager = org.user(Role.STORE_MANAGER, member=org.member(store=store, role=Role.STORE_MANAGER))
    browser.sign_in(manager.login)
    for path in ("/customers/tags", "/customers/stages", "/customers/fields", "/customers/duplicates", "/customers/merges"):
        assert browser.get(path).status_code == 403, path
    assert browser.post("/customers/tags", {"group": "兴趣", "name": "咖啡"}).status_code == 403
    assert 'class="tabs"' not in browser.get("/customers").text


def _same_name_pair(org: Org) -> tuple[int, int]:
    store = org.store("南京西路店")
    first = org.customer("王芳", "13800138000", followed_by=org.member(store=store))
    second = org.customer("王芳", "13900139000", followed_by=org.member(store=store))
    return first, second


def test_duplicates_are_shown_side_by_side_and_merged_then_undone(signed_in: Browser, org: Org) -> None:
    first, second = _same_name_pair(org)
    coffee = org.tag("咖啡")
    tags.apply_tags(org.context.uow(), org.system, [second], [coffee.id])
    page = signed_in.get("/customers/duplicates")
    assert page.status_code == 200
    pair = page.text.split('<section class="card pair">')[1].split("</section>")[0]
    assert "同名且在同一门店被添加（南京西路店）" in pair
    assert "13800138000" in pair and "13900139000" in pair and pair.count("南京西路店") == 3
    assert pair.index(f"#{first}") < pair.index("合并后保留") < pair.index(f"#{second}")  # the older one is kept
    assert f'action="/customers/duplicates/{first}/{second}/merge"' in pair

    merged = signed_in.post(f"/customers/duplicates/{first}/{second}/merge")
    assert merged.status_code == 303 and merged.headers["location"] == "/customers/duplicates"
    after = signed_in.get("/customers/duplicates").text
    assert f"客户 #{second} 已合并到 王芳（#{first}）" in after and "暂无疑似重复客户" in after
    assert "手动合并" in after and "撤销合并" in after
    assert signed_in.get(f"/customers/{second}").status_code == 404  # merged away
    kept = signed_in.get(f"/customers/{first}").text
    assert "13900139000" in kept and "咖啡" in kept and f"客户 #{second} 已合并到此客户（手动合并）" in kept

    [record] = merging.list_merges(org.context.uow(), org.system).items
    undone = signed_in.post(f"/customers/merges/{record.id}/undo", {"next": f"/customers/{first}"})
    assert undone.status_code == 303 and undone.headers["location"] == f"/customers/{first}"
    assert f"已撤销合并：王芳（#{second}）重新成为独立客户。" in signed_in.get(undone.headers["location"]).text
    assert signed_in.get(f"/customers/{second}").status_code == 200
    assert "咖啡" in signed_in.get(f"/customers/{second}").text
    history = signed_in.get("/customers/merges").text
    assert "已撤销" in history and f'action="/customers/merges/{record.id}/undo"' not in history
    again = signed_in.post(f"/customers/merges/{record.id}/undo")
    assert "该合并已撤销过" in signed_in.get(again.headers["location"]).text


def test_a_dismissed_pair_is_not_suggested_again(signed_in: Browser, org: Org) -> None:
    first, second = _same_name_pair(org)
    assert f"/customers/duplicates/{first}/{second}/dismiss" in signed_in.get("/customers/duplicates").text
    dismissed = signed_in.post(f"/customers/duplicates/{first}/{second}/dismiss")
    assert dismissed.status_code == 303
    page = signed_in.get("/customers/duplicates").text
    assert "已标记为两个不同的人" in page and f"/customers/duplicates/{first}/{second}/merge" not in page
    assert merging.possible_duplicates(org.context.uow(), org.system) == []


def test_similar_phones_are_suggested_and_merging_a_customer_with_itself_is_refused(signed_in: Browser, org: Org) -> None:
    a = org.customer("张三", "13800138000")
    org.customer("张叁", "13800138001")
    assert "手机号仅差一位" in signed_in.get("/customers/duplicates").text
    refused = signed_in.post(f"/customers/duplicates/{a}/{a}/merge")
    assert "请选择两位不同的客户" in signed_in.get(refused.headers["location"]).text
