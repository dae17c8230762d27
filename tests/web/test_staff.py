"""Staff through the console: forms, filters, resign/reinstate, and what each role may see."""

from __future__ import annotations

import re

from siyu.domain.access import Role
from siyu.domain.organisation import StaffStatus
from siyu.services import staff

from .conftest import Browser, Org


def test_create_a_staff_member_through_the_form(signed_in: Browser, org: Org) -> None:
    store = org.store("上海新天地店")
    form = signed_in.get("/staff/new")
    assert "上海新天地店" in form.text
    assert re.findall(r'<option value="(\w+)"', form.text.split('name="role"')[1].split("</select>")[0]) == [
        "admin", "operator", "store_manager", "guide",
    ]
    response = signed_in.post(
        "/staff/new",
        {"name": "李雷", "wecom_userid": "lilei", "mobile": "+86 138 0013 8000", "store_id": str(store.id), "role": "guide"},
    )
    assert response.status_code == 303
    [member] = staff.list_staff(org.context.uow(), org.system).items
    assert (member.name, member.wecom_userid, member.mobile, member.store_id, member.role) == (
        "李雷", "lilei", "13800138000", store.id, Role.GUIDE,
    )
    listing = signed_in.get("/staff")
    assert "已添加员工 李雷。" in listing.text
    assert "13800138000" in listing.text and "上海新天地店" in listing.text and "导购" in listing.text


def test_edit_a_staff_member_through_the_form(signed_in: Browser, org: Org) -> None:
    store = org.store()
    member = org.member("韩梅梅", store=store)
    form = signed_in.get(f"/staff/{member.id}/edit")
    assert 'value="韩梅梅"' in form.text and f'value="{member.wecom_userid}"' in form.text
    response = signed_in.post(
        f"/staff/{member.id}/edit",
        {"name": "韩梅梅", "wecom_userid": "hanmeimei", "mobile": "", "store_id": str(store.id), "role": "store_manager"},
    )
    assert response.status_code == 303
    saved = staff.get_staff(org.context.uow(), org.system, member.id)
    assert (saved.wecom_userid, saved.role) == ("hanmeimei", Role.STORE_MANAGER)


def test_staff_form_error_keeps_the_input_and_shows_the_message(signed_in: Browser, org: Org) -> None:
    store = org.store()
    response = signed_in.post(
        "/staff/new", {"name": "李雷", "wecom_userid": "lilei", "mobile": "12345", "store_id": str(store.id), "role": "guide"}
    )
    assert response.status_code == 422
    assert "不是有效的中国大陆手机号" in response.text
    assert 'value="李雷"' in response.text and 'value="lilei"' in response.text and 'value="12345"' in response.text
    assert re.search(rf'<option value="{store.id}" selected>', response.text)
    missing_store = signed_in.post("/staff/new", {"name": "李雷", "wecom_userid": "lilei", "store_id": "", "role": "guide"})
    assert missing_store.status_code == 422 and "导购和店长必须归属一个门店" in missing_store.text
    org.member("占位", store=store)
    taken = staff.list_staff(org.context.uow(), org.system).items[0].wecom_userid
    clash = signed_in.post("/staff/new", {"name": "李雷", "wecom_userid": taken, "store_id": str(store.id), "role": "guide"})
    assert clash.status_code == 409 and f"企业微信账号“{taken}”已属于 占位" in clash.text
    assert staff.list_staff(org.context.uow(), org.system).total == 1


def test_staff_filters_return_only_the_table_for_htmx(signed_in: Browser, org: Org) -> None:
    store = org.store()
    org.member("张伟", store=store)
    org.member("王芳", store=store, role=Role.STORE_MANAGER)
    partial = signed_in.get("/staff?role=store_manager", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and "<table" in partial.text and 'class="sidebar"' not in partial.text
    assert "王芳" in partial.text and "张伟" not in partial.text
    none = signed_in.get("/staff?q=nobody", headers={"HX-Request": "true"})
    assert "没有符合条件的员工" in none.text
    restored = signed_in.get("/staff?role=store_manager", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text


def test_resign_and_reinstate_swap_the_row(signed_in: Browser, org: Org) -> None:
    member = org.member("刘洋", store=org.store())
    headers = {"HX-Request": "true", "X-CSRF-Token": signed_in.csrf}
    resigned = signed_in.client.post(f"/staff/{member.id}/resign", headers=headers)
    assert resigned.status_code == 200
    assert resigned.text.lstrip().startswith(f'<tr id="staff-{member.id}" class="is-muted">')
    assert "已离职" in resigned.text and f"/staff/{member.id}/reinstate" in resigned.text
    assert staff.get_staff(org.context.uow(), org.system, member.id).status is StaffStatus.RESIGNED
    reinstated = signed_in.post(f"/staff/{member.id}/reinstate")
    assert reinstated.status_code == 303
    assert "刘洋 已恢复在职。" in signed_in.get("/staff").text
    assert staff.get_staff(org.context.uow(), org.system, member.id).status is StaffStatus.ACTIVE


def test_a_guide_sees_only_themselves(browser: Browser, org: Org) -> None:
    store = org.store()
    me, colleague = org.member("导购甲", store=store), org.member("导购乙", store=store)
    guide = org.user(Role.GUIDE, member=me)
    browser.sign_in(guide.login)
    listing = browser.get("/staff")
    assert "导购甲" in listing.text and "导购乙" not in listing.text
    assert "/staff/new" not in listing.text and "/resign" not in listing.text
    assert browser.get(f"/staff/{colleague.id}/edit").status_code == 404
    assert browser.get(f"/staff/{me.id}/edit").status_code == 403
    assert browser.post(f"/staff/{colleague.id}/resign").status_code == 403
    assert staff.get_staff(org.context.uow(), org.system, colleague.id).status is StaffStatus.ACTIVE


def test_a_store_manager_manages_only_guides_of_their_store(browser: Browser, org: Org) -> None:
    own, other = org.store("本店"), org.store("他店")
    manager_member = org.member("店长甲", store=own, role=Role.STORE_MANAGER)
    org.member("本店导购", store=own)
    org.member("他店导购", store=other)
    manager = org.user(Role.STORE_MANAGER, member=manager_member)
    browser.sign_in(manager.login)
    listing = browser.get("/staff")
    assert "本店导购" in listing.text and "他店导购" not in listing.text
    form = browser.get("/staff/new")
    role_select = form.text.split('name="role"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\w+)"', role_select) == ["guide"]
    assert "本店" in form.text and "他店" not in form.text
    response = browser.post("/staff/new", {"name": "新导购", "wecom_userid": "xindaogou", "store_id": str(other.id), "role": "guide"})
    assert response.status_code == 422 and "门店不存在" in response.text
