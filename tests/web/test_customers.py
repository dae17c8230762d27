"""The customer list: search, filters, paging, what each role sees, and bulk tagging."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from siyu.domain.access import Role
from siyu.services import customers, stages, tags

from .conftest import Browser, Org


def _names(html: str) -> list[str]:
    """Customer names in the list, in order."""
    return re.findall(r'<a class="customer-cell" href="/customers/\d+">.*?<strong>([^<]+)</strong>', html, re.S)


def test_the_list_shows_name_phone_tags_stage_owner_and_added_date(signed_in: Browser, org: Org) -> None:
    store = org.store("南京西路店")
    guide = org.member("王导购", store=store)
    vip = org.tag("VIP", group="会员等级")
    stage = org.stage("意向")
    late_evening = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 2026-03-02 01:30 in Shanghai
    customer_id = org.customer("张三", "13800138000", followed_by=guide, added_at=late_evening)
    tags.apply_tags(org.context.uow(), org.system, [customer_id], [vip.id])
    stages.move_stage(org.context.uow(), org.system, customer_id, stage.id)

    page = signed_in.get("/customers")
    assert page.status_code == 200
    assert '<a href="/customers" class="nav-link active" aria-current="page">' in page.text
    assert "<h1>客户</h1>" in page.text
    row = page.text.split(f'href="/customers/{customer_id}"')[1].split("</tr>")[0]
    assert "张三" in row and "13800138000" in row and ">VIP<" in row and ">意向<" in row and "王导购" in row
    assert "2026-03-02" in row  # the day in Beijing, not UTC's 03-01


def test_the_nav_lists_customers_above_stores(signed_in: Browser) -> None:
    nav = signed_in.get("/").text.split('<nav class="nav"')[1].split("</nav>")[0]
    assert nav.index('href="/customers"') < nav.index('href="/stores"')
    assert ">客户<" in nav


def test_search_finds_by_name_phone_remark_and_identity(signed_in: Browser, org: Org) -> None:
    guide = org.member(store=org.store())
    zhang = org.customer("张三", "13800138000", followed_by=guide)
    org.customer("李四", "13900139000", followed_by=guide, member_no="VIP0042")
    wang = org.customer("王五", followed_by=None)
    org.follow(wang, org.member(store=org.store()), remark="老顾客 喜欢拿铁")

    assert _names(signed_in.get("/customers?q=张").text) == ["张三"]
    assert _names(signed_in.get("/customers?q=138 0013 8000").text) == ["张三"]
    assert _names(signed_in.get("/customers?q=VIP0042").text) == ["李四"]
    assert _names(signed_in.get("/customers?q=喜欢拿铁").text) == ["王五"]  # 3 characters or more: anywhere in a remark
    assert _names(signed_in.get("/customers?q=拿铁").text) == []  # 1-2 characters: from the start only
    assert _names(signed_in.get("/customers?q=老顾").text) == ["王五"]
    assert _names(signed_in.get("/customers?q=0042").text) == ["李四"]  # part of a member number
    assert _names(signed_in.get("/customers?q=8000").text) == ["张三"]  # a phone's last 4 digits
    assert "手机尾号 4 位" in signed_in.get("/customers").text  # the hint says so
    nothing = signed_in.get("/customers?q=赵六")
    assert _names(nothing.text) == [] and "没有符合条件的客户" in nothing.text
    assert zhang


def test_filters_by_tag_stage_staff_store_and_added_dates(signed_in: Browser, org: Org) -> None:
    east, west = org.store("东店"), org.store("西店")
    guide_east, guide_west = org.member("东导购", store=east), org.member("西导购", store=west)
    coffee, tea = org.tag("咖啡"), org.tag("茶")
    loyal = org.stage("忠诚")
    a = org.customer("甲", followed_by=guide_east, added_at=datetime(2026, 1, 10, 4, tzinfo=UTC))
    b = org.customer("乙", followed_by=guide_west, added_at=datetime(2026, 2, 10, 4, tzinfo=UTC))
    c = org.customer("丙", followed_by=guide_west, added_at=datetime(2026, 3, 10, 4, tzinfo=UTC))
    tags.apply_tags(org.context.uow(), org.system, [a], [coffee.id])
    tags.apply_tags(org.context.uow(), org.system, [b], [tea.id])
    stages.move_stage(org.context.uow(), org.system, c, loyal.id)

    assert _names(signed_in.get(f"/customers?tag_id={coffee.id}").text) == ["甲"]
    assert sorted(_names(signed_in.get(f"/customers?tag_id={coffee.id}&tag_id={tea.id}").text)) == ["乙", "甲"]
    assert _names(signed_in.get(f"/customers?stage_id={loyal.id}").text) == ["丙"]
    assert _names(signed_in.get(f"/customers?staff_id={guide_east.id}").text) == ["甲"]
    assert _names(signed_in.get(f"/customers?store_id={west.id}").text) == ["丙", "乙"]
    assert _names(signed_in.get("/customers?added_from=2026-02-01&added_to=2026-02-28").text) == ["乙"]
    assert _names(signed_in.get("/customers?added_to=2026-01-10").text) == ["甲"]  # the last day is included
    # Odd values filter nothing instead of failing.
    assert len(_names(signed_in.get("/customers?stage_id=x&added_from=yesterday&tag_id=").text)) == 3
    # The filters come back in the form, and the tag picker shows how many are chosen.
    form = signed_in.get(f"/customers?tag_id={coffee.id}&store_id={west.id}&added_from=2026-02-01").text
    assert f'name="tag_id" value="{coffee.id}" checked' in form
    assert re.search(rf'<option value="{west.id}" selected>西店</option>', form)
    assert 'name="added_from" value="2026-02-01"' in form


def test_paging_keeps_the_filters_and_htmx_gets_only_the_table(signed_in: Browser, org: Org) -> None:
    guide = org.member(store=org.store())
    for number in range(23):
        org.customer(f"顾客{number:02d}", followed_by=guide, added_at=datetime(2026, 1, 1 + number, tzinfo=UTC))
    org.customer("路人")  # not followed, and no name match

    first = signed_in.get("/customers?q=顾客")
    assert len(_names(first.text)) == 20 and _names(first.text)[0] == "顾客22"
    assert "第 1 / 2 页，共 23 条" in first.text
    assert 'href="/customers?q=%E9%A1%BE%E5%AE%A2&amp;page=2"' in first.text
    second = signed_in.get("/customers?q=顾客&page=2", headers={"HX-Request": "true"})
    assert _names(second.text) == ["顾客02", "顾客01", "顾客00"]
    assert "<html" not in second.text and 'id="customer-table"' not in second.text


def test_a_guide_sees_only_the_customers_they_follow(browser: Browser, org: Org) -> None:
    store = org.store()
    guide = org.member("导购甲", store=store)
    colleague = org.member("导购乙", store=store)
    mine = org.customer("我的客户", "13800138000", followed_by=guide)
    theirs = org.customer("别人的客户", "13900139000", followed_by=colleague)
    browser.sign_in(org.user(Role.GUIDE, member=guide).login)

    listing = browser.get("/customers")
    assert _names(listing.text) == ["我的客户"]
    assert "138****8000" in listing.text and "13800138000" not in listing.text  # masked for a guide
    assert "别人的客户" not in listing.text
    assert browser.get(f"/customers/{mine}").status_code == 200
    assert browser.get(f"/customers/{theirs}").status_code == 404
    assert browser.get(f"/customers/{theirs}", headers={"accept": "text/html"}).status_code == 404
    # A guide may tag their customers but not manage definitions or duplicates.
    assert 'id="bulk-form"' in listing.text and 'href="/customers/tags"' not in listing.text
    assert browser.get("/customers/tags").status_code == 403
    assert browser.get("/customers/duplicates").status_code == 403


def test_an_admin_sees_full_phone_numbers(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("张三", "13800138000")
    assert "13800138000" in signed_in.get("/customers").text
    assert "13800138000" in signed_in.get(f"/customers/{customer_id}").text


def test_bulk_tagging_adds_and_removes_on_the_chosen_customers_only(signed_in: Browser, org: Org) -> None:
    a, b, c = org.customer("甲"), org.customer("乙"), org.customer("丙")
    coffee, tea = org.tag("咖啡"), org.tag("茶")
    tags.apply_tags(org.context.uow(), org.system, [a], [coffee.id])
    signed_in.get("/customers")

    added = signed_in.post(
        "/customers/bulk-tags",
        {"action": "add", "customer_ids": [str(a), str(b)], "tag_ids": [str(coffee.id), str(tea.id)],
         "back": "/customers?q=&page=1"},  # type: ignore[dict-item]
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 200
    assert "已添加标签：选中 2 位客户，新打上 3 个标签。" in added.text  # a already had 咖啡
    assert f'name="customer_ids" value="{a}" form="bulk-form" checked' in added.text  # the selection stays
    held = {row.customer.id: set(row.tag_ids) for row in customers.list_customers(org.context.uow(), org.system).items}
    assert held == {a: {coffee.id, tea.id}, b: {coffee.id, tea.id}, c: set()}

    removed = signed_in.post(
        "/customers/bulk-tags", {"action": "remove", "customer_ids": [str(b), str(c)], "tag_ids": [str(tea.id)],
                                 "back": "/customers?q=%E4%B9%99"},  # type: ignore[dict-item]
    )
    assert removed.status_code == 303 and removed.headers["location"] == "/customers?q=%E4%B9%99"
    assert "已移除标签：选中 2 位客户，共移除 1 个标签。" in signed_in.get(removed.headers["location"]).text
    held = {row.customer.id: set(row.tag_ids) for row in customers.list_customers(org.context.uow(), org.system).items}
    assert held == {a: {coffee.id, tea.id}, b: {coffee.id}, c: set()}


def test_bulk_tagging_needs_a_choice_and_a_list_address(signed_in: Browser, org: Org) -> None:
    a = org.customer("甲")
    signed_in.get("/customers")
    nothing = signed_in.post("/customers/bulk-tags", {"action": "add", "customer_ids": str(a)}, headers={"HX-Request": "true"})
    assert nothing.status_code == 400 and "请至少选择一位客户和一个标签" in nothing.text
    tag = org.tag()
    elsewhere = signed_in.post("/customers/bulk-tags", {"action": "add", "customer_ids": str(a), "tag_ids": str(tag.id),
                                                        "back": "https://evil.example/customers"})
    assert elsewhere.headers["location"] == "/customers"


def test_bulk_tagging_is_csrf_protected(signed_in: Browser, org: Org) -> None:
    a, tag = org.customer("甲"), org.tag()
    form = {"action": "add", "customer_ids": str(a), "tag_ids": str(tag.id)}
    assert signed_in.post("/customers/bulk-tags", form, csrf=False).status_code == 403
    forged = signed_in.post("/customers/bulk-tags", form, csrf=False, headers={"X-CSRF-Token": "forged", "HX-Request": "true"})
    assert forged.status_code == 403
    assert customers.list_customers(org.context.uow(), org.system).items[0].tag_ids == []


def test_a_guide_cannot_bulk_tag_customers_they_do_not_follow(browser: Browser, org: Org) -> None:
    store = org.store()
    guide, colleague = org.member(store=store), org.member(store=store)
    mine, theirs = org.customer("我的", followed_by=guide), org.customer("别人的", followed_by=colleague)
    tag = org.tag()
    browser.sign_in(org.user(Role.GUIDE, member=guide).login)
    response = browser.post("/customers/bulk-tags", {"action": "add", "customer_ids": [str(mine), str(theirs)],  # type: ignore[dict-item]
                                                     "tag_ids": str(tag.id)}, headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert all(row.tag_ids == [] for row in customers.list_customers(org.context.uow(), org.system).items)


def test_a_long_list_shows_a_capped_total_and_still_pages(signed_in: Browser, org: Org, monkeypatch) -> None:
    monkeypatch.setattr("siyu.domain.paging.TOTAL_CAP", 1)
    monkeypatch.setattr("siyu.web.forms.PAGE_SIZE", 1)
    for name in ("甲一", "乙二", "丙三"):
        org.customer(name, followed_by=None)
    first = signed_in.get("/customers")
    assert "第 1 页，超过 1 条" in first.text and 'rel="next"' in first.text
    last = signed_in.get("/customers?page=3")
    assert "第 3 页，超过 1 条" in last.text and 'rel="next"' not in last.text and len(_names(last.text)) == 1
