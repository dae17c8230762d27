"""Stores and regions through the console's pages and forms."""

from __future__ import annotations

import re

from siyu.domain.access import Role
from siyu.services import regions, stores

from .conftest import Browser, Org


def test_create_a_store_through_the_form(signed_in: Browser, org: Org) -> None:
    east = org.region("华东区")
    form = signed_in.get("/stores/new")
    assert form.status_code == 200 and "华东区" in form.text
    response = signed_in.post(
        "/stores/new",
        {"name": "上海新天地店", "code": "SH001", "region_id": str(east.id), "city": "上海", "address": "", "is_open": "on"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/stores"
    [store] = stores.list_stores(org.context.uow(), org.system).items
    assert (store.name, store.code, store.region_id, store.city, store.is_open) == ("上海新天地店", "SH001", east.id, "上海", True)
    listing = signed_in.get("/stores")
    assert "已创建门店“上海新天地店”。" in listing.text
    assert "华东区" in listing.text and "营业中" in listing.text
    assert "已创建门店" not in signed_in.get("/stores").text  # the flash is shown once


def test_edit_a_store_through_the_form(signed_in: Browser, org: Org) -> None:
    store = org.store("杭州湖滨店", code="HZ001")
    form = signed_in.get(f"/stores/{store.id}/edit")
    assert 'value="杭州湖滨店"' in form.text and 'value="HZ001"' in form.text
    response = signed_in.post(f"/stores/{store.id}/edit", {"name": "杭州湖滨银泰店", "code": "HZ001", "city": "杭州"})
    assert response.status_code == 303
    saved = stores.get_store(org.context.uow(), org.system, store.id)
    assert (saved.name, saved.city, saved.is_open) == ("杭州湖滨银泰店", "杭州", False)  # checkbox left unticked


def test_store_form_error_keeps_the_input_and_explains(signed_in: Browser, org: Org) -> None:
    org.store("北京三里屯店")
    response = signed_in.post("/stores/new", {"name": "北京三里屯店", "code": "BJ-9", "city": "北京"})
    assert response.status_code == 409
    assert "已有门店使用此名称" in response.text
    assert 'value="BJ-9"' in response.text and 'value="北京"' in response.text
    invalid = signed_in.post("/stores/new", {"name": "   ", "code": "坏编码"})
    assert invalid.status_code == 422
    assert "请填写名称" in invalid.text and 'aria-invalid="true"' in invalid.text
    assert stores.list_stores(org.context.uow(), org.system).total == 1


def test_store_search_returns_only_the_table_for_htmx(signed_in: Browser, org: Org) -> None:
    org.store("上海新天地店")
    org.store("深圳万象城店")
    partial = signed_in.get("/stores?q=深圳", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div class="table-wrap">')
    assert "<html" not in partial.text and "sidebar" not in partial.text
    assert "深圳万象城店" in partial.text and "上海新天地店" not in partial.text
    whole = signed_in.get("/stores?q=深圳")
    assert "<html" in whole.text and 'id="store-table"' in whole.text and "上海新天地店" not in whole.text


def test_store_list_filters_by_region_and_pages(signed_in: Browser, org: Org) -> None:
    south = org.region("华南区")
    for number in range(23):
        org.store(f"华南{number:02d}号店", region=south)
    org.store("北方店")
    first = signed_in.get(f"/stores?region_id={south.id}")
    assert "第 1 / 2 页，共 23 条" in first.text
    assert "北方店" not in first.text
    assert f'href="/stores?region_id={south.id}&amp;page=2"' in first.text
    second = signed_in.get(f"/stores?region_id={south.id}&page=2")
    assert "第 2 / 2 页，共 23 条" in second.text
    assert len(re.findall(r"华南\d\d号店", second.text)) == 3


def test_only_organisation_managers_see_store_buttons(browser: Browser, org: Org) -> None:
    store = org.store("成都太古里店")
    operator = org.user(Role.OPERATOR)
    browser.sign_in(operator.login)
    listing = browser.get("/stores")
    assert "成都太古里店" in listing.text
    assert "/stores/new" not in listing.text and f"/stores/{store.id}/edit" not in listing.text
    assert browser.get("/stores/new").status_code == 403
    assert browser.post("/stores/new", {"name": "越权门店"}).status_code == 403


def test_a_store_manager_sees_only_their_store(browser: Browser, org: Org) -> None:
    own, other = org.store("我的门店"), org.store("别人的门店")
    manager = org.user(Role.STORE_MANAGER, member=org.member(store=own, role=Role.STORE_MANAGER))
    browser.sign_in(manager.login)
    listing = browser.get("/stores")
    assert "我的门店" in listing.text and "别人的门店" not in listing.text
    assert browser.get(f"/stores/{other.id}/edit").status_code == 404
    assert browser.get("/").status_code == 200


def test_regions_create_rename_and_refuse_duplicates(signed_in: Browser, org: Org) -> None:
    created = signed_in.post("/regions", {"name": "华东区"})
    assert created.status_code == 303
    [east] = regions.list_regions(org.context.uow(), org.system).items
    assert "已创建区域“华东区”。" in signed_in.get("/regions").text
    duplicate = signed_in.post("/regions", {"name": "华东区"})
    assert duplicate.status_code == 409
    assert "已有名为“华东区”的区域" in duplicate.text
    renamed = signed_in.post(f"/regions/{east.id}/rename", {"name": "华东大区"})
    assert renamed.status_code == 303
    assert regions.get_region(org.context.uow(), org.system, east.id).name == "华东大区"
    empty = signed_in.post(f"/regions/{east.id}/rename", {"name": " "})
    assert empty.status_code == 422 and "请填写名称" in empty.text and "<details class=\"rename\" open>" in empty.text


def test_unknown_pages_and_records_get_a_styled_404(signed_in: Browser) -> None:
    missing = signed_in.get("/stores/999/edit")
    assert missing.status_code == 404 and "页面不存在" in missing.text and 'class="sidebar"' in missing.text
    nowhere = signed_in.get("/no-such-page", headers={"accept": "text/html"})
    assert nowhere.status_code == 404 and "页面不存在" in nowhere.text
    api = signed_in.client.get("/api/v1/no-such-thing", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")
