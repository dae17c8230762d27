"""One customer's page: identities, profile, extended fields, tags, relations, owner, stage, timeline."""

from __future__ import annotations

import re

from siyu.domain.access import Role
from siyu.domain.customers import Gender, RelationState
from siyu.services import customers, fields, relations, stages, tags
from siyu.services.clock import utcnow

from .conftest import Browser, Org


def test_the_page_shows_identities_relations_and_tags_in_chinese(signed_in: Browser, org: Org) -> None:
    store = org.store("南京西路店")
    guide, former = org.member("王导购", store=store), org.member("李导购", store=store)
    customer_id = org.customer("张三", "13800138000", unionid="oUnion-1234", member_no="vip001", pos_id="pos-77")
    org.follow(customer_id, guide, remark="喜欢拿铁", channel_state="poster-7")
    org.follow(customer_id, former)
    with org.context.uow() as uow:
        relations.end_in(uow, org.tenant.id, customer_id, former.id, RelationState.DELETED_BY_CUSTOMER, at=utcnow(), actor="system")
        uow.commit()
    vip = org.tag("VIP", group="会员等级")
    tags.apply_tags(org.context.uow(), org.system, [customer_id], [vip.id])

    page = signed_in.get(f"/customers/{customer_id}").text
    identities = page.split('id="identities"')[1].split("</section>")[0]
    for text in ("手机号", "13800138000", "UnionID", "oUnion-1234", "会员号", "VIP001", "POS 会员", "POS-77"):
        assert text in identities
    relations_card = page.split('id="relations"')[1].split("</section>")[0]
    assert "王导购" in relations_card and "正常" in relations_card and "南京西路店" in relations_card
    assert "备注：喜欢拿铁" in relations_card and "渠道：poster-7" in relations_card
    assert "李导购" in relations_card and "客户删除员工" in relations_card
    tags_card = page.split('id="tags-card"')[1].split("</section>")[0]
    assert "会员等级" in tags_card and "VIP" in tags_card and "手动" in tags_card and "系统" in tags_card
    # The owner can only be someone who still follows the customer.
    owner = page.split('name="owner_staff_id"')[1].split("</select>")[0]
    assert "王导购" in owner and "李导购" not in owner


def test_identity_kinds_are_all_labelled_in_chinese(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("张三", wecom_external="wmExternal01", openid="oOpen-5678", email="A@B.cn")
    identities = signed_in.get(f"/customers/{customer_id}").text.split('id="identities"')[1].split("</section>")[0]
    assert "企业微信外部联系人" in identities and "OpenID" in identities and "邮箱" in identities


def test_profile_edit_saves_and_a_bad_date_keeps_the_input(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("张三")
    signed_in.get(f"/customers/{customer_id}")
    bad = signed_in.post(f"/customers/{customer_id}/profile", {"name": "张三丰", "gender": "2", "birthday": "1990-13-45", "region": "杭州"})
    assert bad.status_code == 422
    assert "“1990-13-45”不是有效日期（YYYY-MM-DD）" in bad.text
    profile = bad.text.split('id="profile"')[1].split("</section>")[0]
    assert 'value="张三丰"' in profile and 'value="1990-13-45"' in profile and 'value="杭州"' in profile
    assert re.search(r'<option value="2" selected>女</option>', profile)
    assert customers.get_customer(org.context.uow(), org.system, customer_id).customer.name == "张三"

    saved = signed_in.post(f"/customers/{customer_id}/profile", {"name": "张三丰", "gender": "2", "birthday": "1990-05-04", "region": "杭州"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/customers/{customer_id}"
    customer = customers.get_customer(org.context.uow(), org.system, customer_id).customer
    assert (customer.name, customer.gender, customer.birthday.isoformat(), customer.region) == ("张三丰", Gender.FEMALE, "1990-05-04", "杭州")  # type: ignore[union-attr]
    page = signed_in.get(f"/customers/{customer_id}").text
    assert "资料已保存。" in page and "资料修改：" in page and "姓名 张三 → 张三丰" in page


def test_emptied_profile_boxes_and_fields_clear_their_values_on_the_timeline(signed_in: Browser, org: Org) -> None:
    fields.define_field(org.context.uow(), org.system, key="drink", label="饮品", kind="single", options=["拿铁", "美式"])
    fields.define_field(org.context.uow(), org.system, key="hobbies", label="爱好", kind="multi", options=["跑步", "阅读"])
    customer_id = org.customer("张三")
    signed_in.get(f"/customers/{customer_id}")
    filled = {"name": "张三", "gender": "1", "birthday": "1990-05-04", "region": "杭州", "avatar": "https://img.example/z.png"}
    assert signed_in.post(f"/customers/{customer_id}/profile", filled).status_code == 303
    assert signed_in.post(f"/customers/{customer_id}/fields", {"drink": "美式", "hobbies": ["阅读"]}).status_code == 303  # type: ignore[dict-item]
    profile = signed_in.get(f"/customers/{customer_id}").text.split('id="profile"')[1].split("</section>")[0]
    assert 'value="https://img.example/z.png"' in profile and "清空某项即清除该值" in profile

    emptied = signed_in.post(f"/customers/{customer_id}/profile", {"name": "", "gender": "0", "birthday": "", "region": "", "avatar": ""})
    assert emptied.status_code == 303
    assert signed_in.post(f"/customers/{customer_id}/fields", {"drink": ""}).status_code == 303  # no hobby ticked
    customer = customers.get_customer(org.context.uow(), org.system, customer_id).customer
    assert (customer.name, customer.gender, customer.birthday, customer.region, customer.avatar, customer.fields) == (
        "张三", Gender.UNKNOWN, None, None, None, {})
    timeline = signed_in.get(f"/customers/{customer_id}").text.split('id="timeline"')[1]
    assert "性别 男 → 未知" in timeline and "生日 1990-05-04 → —" in timeline and "地区 杭州 → —" in timeline
    assert "头像 https://img.example/z.png → —" in timeline
    assert "饮品 美式 → —" in timeline and "爱好 阅读 → —" in timeline


def test_extended_fields_render_per_kind_and_an_error_keeps_every_value(signed_in: Browser, org: Org) -> None:
    uow = org.context.uow
    fields.define_field(uow(), org.system, key="shoe_size", label="鞋码", kind="number")
    fields.define_field(uow(), org.system, key="drink", label="饮品", kind="single", options=["拿铁", "美式"])
    fields.define_field(uow(), org.system, key="hobbies", label="爱好", kind="multi", options=["跑步", "阅读", "咖啡"])
    fields.define_field(uow(), org.system, key="joined", label="入会日期", kind="date")
    fields.define_field(uow(), org.system, key="note", label="备注", kind="text", required=True)
    customer_id = org.customer("张三")

    page = signed_in.get(f"/customers/{customer_id}").text
    form = page.split('id="fields"')[1].split("</section>")[0]
    assert 'name="shoe_size" type="text" inputmode="decimal"' in form
    assert '<select id="x-drink" name="drink"' in form and '<option value="美式">' in form
    assert form.count('type="checkbox" name="hobbies"') == 3
    assert 'name="joined" type="date"' in form and 'name="note" type="text"' in form

    values = {"shoe_size": "四十二", "drink": "美式", "hobbies": ["跑步", "咖啡"], "joined": "2026-01-02", "note": "老客"}
    bad = signed_in.post(f"/customers/{customer_id}/fields", values)  # type: ignore[arg-type]
    assert bad.status_code == 422 and "鞋码：“四十二”不是数字" in bad.text
    form = bad.text.split('id="fields"')[1].split("</section>")[0]
    assert 'value="四十二"' in form and '<option value="美式" selected>' in form and 'value="2026-01-02"' in form
    assert 'value="跑步" checked' in form and 'value="咖啡" checked' in form and 'value="阅读" checked' not in form
    assert 'value="老客"' in form

    missing = signed_in.post(f"/customers/{customer_id}/fields", {**values, "shoe_size": "42", "note": ""})  # type: ignore[arg-type]
    assert missing.status_code == 422 and "请填写备注" in missing.text

    saved = signed_in.post(f"/customers/{customer_id}/fields", {**values, "shoe_size": "42"})  # type: ignore[arg-type]
    assert saved.status_code == 303
    stored = customers.get_customer(org.context.uow(), org.system, customer_id).customer.fields
    assert stored == {"shoe_size": 42, "drink": "美式", "hobbies": ["跑步", "咖啡"], "joined": "2026-01-02", "note": "老客"}
    page = signed_in.get(f"/customers/{customer_id}").text
    assert "扩展字段修改：" in page and "鞋码 — → 42" in page


def test_stage_move_appears_on_the_timeline(signed_in: Browser, org: Org) -> None:
    first, second = org.stage("新客"), org.stage("意向")
    customer_id = org.customer("张三")
    signed_in.get(f"/customers/{customer_id}")
    assert signed_in.post(f"/customers/{customer_id}/stage", {"stage_id": str(first.id)}).status_code == 303
    moved = signed_in.post(f"/customers/{customer_id}/stage", {"stage_id": str(second.id)})
    assert moved.headers["location"] == f"/customers/{customer_id}#stage-owner"
    page = signed_in.get(f"/customers/{customer_id}").text
    assert "已移至阶段“意向”。" in page
    timeline = page.split('id="timeline"')[1]
    assert timeline.index("阶段由 新客 变为 意向") < timeline.index("阶段设为 新客")  # newest first
    assert "· 你</small>" in timeline  # the signed-in admin did it
    assert customers.get_customer(org.context.uow(), org.system, customer_id).customer.stage_id == second.id
    cleared = signed_in.post(f"/customers/{customer_id}/stage", {"stage_id": ""})
    assert cleared.status_code == 303 and "移出阶段 意向" in signed_in.get(f"/customers/{customer_id}").text
    bad = signed_in.post(f"/customers/{customer_id}/stage", {"stage_id": "99999"})
    assert "阶段不存在" in signed_in.get(bad.headers["location"]).text


def test_the_timeline_is_paged_newest_first_with_htmx(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("张三")
    stage_ids = [org.stage(f"阶段{n}").id for n in range(25)]
    for stage_id in stage_ids:
        stages.move_stage(org.context.uow(), org.system, customer_id, stage_id)
    page = signed_in.get(f"/customers/{customer_id}").text
    assert "阶段由 阶段23 变为 阶段24" in page and "客户已创建" not in page
    assert f'hx-get="/customers/{customer_id}?page=2" hx-target="#timeline"' in page
    older = signed_in.get(f"/customers/{customer_id}?page=2", headers={"HX-Request": "true", "HX-Target": "timeline"})
    assert "<html" not in older.text and "客户已创建（来源：API），身份：手机号" in older.text


def test_tags_are_added_and_removed_inline(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("张三")
    coffee = org.tag("咖啡")
    signed_in.get(f"/customers/{customer_id}")
    added = signed_in.post(f"/customers/{customer_id}/tags", {"tag_ids": str(coffee.id)}, headers={"HX-Request": "true"})
    assert added.status_code == 200 and added.text.lstrip().startswith('<section class="card" id="tags-card">')
    assert "已添加标签。" in added.text and f"/tags/{coffee.id}/remove" in added.text
    removed = signed_in.post(f"/customers/{customer_id}/tags/{coffee.id}/remove", headers={"HX-Request": "true"})
    assert "已移除标签。" in removed.text and f"/tags/{coffee.id}/remove" not in removed.text
    page = signed_in.get(f"/customers/{customer_id}").text
    assert "打上标签 兴趣/咖啡（手动）" in page and "移除标签 兴趣/咖啡" in page


def test_an_identity_is_added_and_one_held_by_another_customer_is_refused(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("张三", "13800138000")
    org.customer("李四", "13900139000")
    signed_in.get(f"/customers/{customer_id}")
    taken = signed_in.post(f"/customers/{customer_id}/identities", {"kind": "phone", "value": "13900139000"})
    assert taken.status_code == 422 and "已属于客户 #" in taken.text and 'value="13900139000"' in taken.text
    bad = signed_in.post(f"/customers/{customer_id}/identities", {"kind": "email", "value": "not-an-email"})
    assert bad.status_code == 422 and "不是有效的邮箱地址" in bad.text
    added = signed_in.post(f"/customers/{customer_id}/identities", {"kind": "email", "value": "Zhang@Example.cn"})
    assert added.status_code == 303
    assert "zhang@example.cn" in signed_in.get(f"/customers/{customer_id}").text


def test_the_owner_must_follow_the_customer(signed_in: Browser, org: Org) -> None:
    store = org.store()
    first, second, stranger = org.member("甲导购", store=store), org.member("乙导购", store=store), org.member(store=store)
    customer_id = org.customer("张三", followed_by=first)
    org.follow(customer_id, second)
    signed_in.get(f"/customers/{customer_id}")
    assert signed_in.post(f"/customers/{customer_id}/owner", {"owner_staff_id": str(second.id)}).status_code == 303
    assert customers.get_customer(org.context.uow(), org.system, customer_id).customer.owner_staff_id == second.id
    assert "负责人 甲导购 → 乙导购" in signed_in.get(f"/customers/{customer_id}").text
    refused = signed_in.post(f"/customers/{customer_id}/owner", {"owner_staff_id": str(stranger.id)})
    assert refused.status_code == 422 and "负责人必须是添加了该客户的员工" in refused.text


def test_a_guide_edits_their_customer_but_not_another(browser: Browser, org: Org) -> None:
    store = org.store()
    guide, colleague = org.member(store=store), org.member(store=store)
    mine, theirs = org.customer("我的", followed_by=guide), org.customer("别人的", followed_by=colleague)
    stage = org.stage()
    browser.sign_in(org.user(Role.GUIDE, member=guide).login)
    page = browser.get(f"/customers/{mine}").text
    assert 'action="/customers/%d/profile"' % mine in page and "撤销合并" not in page
    assert browser.post(f"/customers/{mine}/stage", {"stage_id": str(stage.id)}).status_code == 303
    for path in (f"/customers/{theirs}/stage", f"/customers/{theirs}/profile", f"/customers/{theirs}/fields"):
        assert browser.post(path, {"stage_id": str(stage.id), "name": "改名"}).status_code == 404, path
    assert customers.get_customer(org.context.uow(), org.system, theirs).customer.stage_id is None


def test_english_renders_the_customer_pages_in_english(browser: Browser, org: Org) -> None:
    browser.sign_in(org.user(Role.ADMIN, locale="en").login)
    customer_id = org.customer("Zhang San", "13800138000")
    listing = browser.get("/customers").text
    assert "<h1>Customers</h1>" in listing and "Added on" in listing
    page = browser.get(f"/customers/{customer_id}").text
    assert "Identities" in page and "Phone" in page and "Customer created (source: API)" in page
