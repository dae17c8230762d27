"""Bulk add-friend in the console: preview a list, import it, follow the batch per staff member."""

from __future__ import annotations

import re

from siyu.domain.access import Role
from siyu.domain.add_friend import BatchDraft, NumberState
from siyu.services import add_friend
from tests.web.conftest import Browser, Org

LIST = "手机号,姓名\n13800000001,张三\n12345,李四\n13800000003,王五\n13800000001,重复\n"


def _post(browser: Browser, path: str, content: bytes, *, staff_ids: list[int] = (), **form: str):  # type: ignore[assignment]
    if not browser.csrf:
        browser.get("/add-friend/new")
    data = {"csrf_token": browser.csrf, **form, "staff_ids": [str(i) for i in staff_ids]}
    return browser.client.post(path, data=data, files={"file": ("名单.csv", content, "text/csv")}, follow_redirects=False)


def test_a_preview_reports_in_chinese_and_saves_nothing_then_the_import_shows_the_batch(signed_in: Browser, org: Org) -> None:
    store = org.store()
    a, b = org.member("导购甲", store=store), org.member("导购乙", store=store)
    preview = _post(signed_in, "/add-friend/new", LIST.encode(), staff_ids=[a.id, b.id], name="春季回流", dry_run="true")
    assert preview.status_code == 200
    text = preview.text
    assert "预览" in text and "未保存" in text
    assert re.search(r"<td>3</td><td>手机号</td><td><code>12345</code></td>", text)
    assert "与第 2 行的手机号重复" in text
    assert add_friend.list_batches(org.context.uow(), org.system).total == 0

    made = _post(signed_in, "/add-friend/new", LIST.encode(), staff_ids=[a.id, b.id], name="春季回流")
    assert made.status_code == 200 and "导入报告" in made.text and "按员工" in made.text
    [batch] = add_friend.list_batches(org.context.uow(), org.system).items
    page = signed_in.get(f"/add-friend/{batch.id}").text
    assert "春季回流" in page and "导购甲" in page and "导购乙" in page and "13800000003" in page
    assert "0.0%" in page  # nothing added yet
    listing = signed_in.get("/add-friend").text
    assert "春季回流" in listing

    again = _post(signed_in, f"/add-friend/{batch.id}/numbers", LIST.encode(), staff_ids=[a.id])
    assert again.status_code == 200 and "批次中已有" in again.text
    assert add_friend.get_batch(org.context.uow(), org.system, batch.id).batch.assigned == 2


def test_a_number_added_shows_as_added_and_the_list_filters_by_state(signed_in: Browser, org: Org) -> None:
    store = org.store()
    a = org.member("导购甲", store=store)
    customer_id = org.customer("张三", "13800000001")
    _post(signed_in, "/add-friend/new", "phone\n13800000001\n13800000002\n".encode(), staff_ids=[a.id], name="回访")
    [batch] = add_friend.list_batches(org.context.uow(), org.system).items
    org.follow(customer_id, a)
    added = signed_in.get(f"/add-friend/{batch.id}?state=added").text
    assert "13800000001" in added and "13800000002" not in added
    assert "50.0%" in signed_in.get(f"/add-friend/{batch.id}").text

    pending = add_friend.list_numbers(org.context.uow(), org.system, batch.id, state=NumberState.PENDING).items[0]
    response = signed_in.post(f"/add-friend/numbers/{pending.id}/invalid")
    assert response.status_code == 303
    invalid = signed_in.get(response.headers["location"]).text
    assert "13800000002" in invalid and "无效号码" in invalid
    assert signed_in.post(f"/add-friend/{batch.id}/rematch").status_code == 303


def test_a_file_that_is_not_a_list_is_refused_on_the_form(signed_in: Browser, org: Org) -> None:
    refused = _post(signed_in, "/add-friend/new", "姓名\n张三\n".encode(), name="无手机")
    assert refused.status_code == 422 and "文件没有手机号列" in refused.text


def test_the_guide_sees_the_number_to_add_on_their_phone_page_until_it_is_added(browser: Browser, org: Org) -> None:
    store = org.store()
    guide = org.member("小王", store=store)
    path = org.context.settings.data_dir / "list.csv"
    path.write_text(f"phone,name,staff\n13800000001,陈女士,{guide.wecom_userid}\n", encoding="utf-8")
    add_friend.create_batch(org.context.uow(), org.system, BatchDraft.parse(name="门店会员", due_days=0), path)
    browser.sign_in(org.user(Role.GUIDE, member=guide).login)
    shown = browser.get("/m/tasks").text
    assert "加好友 陈女士" in shown and "手机号：13800000001" in shown and 'badge-blue">加好友' in shown
    org.follow(org.customer("陈女士", "13800000001"), guide)
    assert "13800000001" not in browser.get("/m/tasks").text  # the add closed the task
