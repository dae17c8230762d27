"""Importing customers from the console: upload, the worker runs it, the report shows every bad row."""

from __future__ import annotations

import re

from siyu.services import customers, imports
from tests.web.conftest import Browser, Org

GOOD_AND_BAD = "姓名,手机,生日\n张三,13800000001,1990-01-02\n李四,12345,1991-02-03\n王五,13800000003,1992-13-01\n"


def _upload(browser: Browser, content: bytes, name: str = "customers.csv", **form: str):
    if not browser.csrf:
        browser.get("/customers/imports")
    return browser.client.post(
        "/customers/imports", data={"csrf_token": browser.csrf, **form}, files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )


def test_an_upload_is_imported_and_every_bad_row_reported(signed_in: Browser, org: Org) -> None:
    response = _upload(signed_in, GOOD_AND_BAD.encode())
    assert response.status_code == 303
    run_page = signed_in.get(response.headers["location"])
    text = run_page.text
    assert "customers.csv" in text and "完成" in text
    assert re.search(r"<td>3</td><td>手机</td><td><code>12345</code></td>", text)
    assert re.search(r"<td>4</td><td>生日</td><td><code>1992-13-01</code></td>", text)
    assert 'hx-trigger="every 2s"' not in text  # finished: no more polling
    assert [r.customer.name for r in customers.list_customers(org.context.uow(), org.system).items] == ["张三"]
    listing = signed_in.get("/customers/imports").text
    assert "customers.csv" in listing


def test_the_report_and_a_failed_run_are_in_the_console_language(signed_in: Browser, org: Org) -> None:
    rows = "姓名,手机,爱好\n张三,13800000001,跑步\n张三,13800000001,\n李四,,\n"
    text = signed_in.get(_upload(signed_in, rows.encode()).headers["location"]).text
    assert "未知列“爱好”：请使用客户列" in text
    assert "与第 2 行重复（相同的 phone）" in text and "缺少身份标识：请至少填写以下一项" in text
    broken = "姓名,手机\n张三,13800000001\n李四," + "1" * 200_000 + "\n"  # over the csv module's field limit
    failed = signed_in.get(_upload(signed_in, broken.encode(), name="broken.csv").headers["location"]).text
    assert "第 3 行不是有效的 CSV：field larger than field limit" in failed
    signed_in.post("/locale", {"locale": "en", "next": "/"})
    english = signed_in.get(_upload(signed_in, rows.encode()).headers["location"]).text
    assert "duplicate of row 2 (same phone)" in english


def test_a_preview_changes_nothing(signed_in: Browser, org: Org) -> None:
    response = _upload(signed_in, GOOD_AND_BAD.encode(), dry_run="true")
    assert "预览" in signed_in.get(response.headers["location"]).text
    assert customers.list_customers(org.context.uow(), org.system).total == 0


def test_a_gbk_file_is_imported_when_the_encoding_says_so(signed_in: Browser, org: Org) -> None:
    response = _upload(signed_in, "姓名,手机\n赵六,13800000006\n".encode("gbk"), encoding="gbk")
    assert response.status_code == 303
    assert [r.customer.name for r in customers.list_customers(org.context.uow(), org.system).items] == ["赵六"]


def test_only_csv_and_xlsx_files_are_taken(signed_in: Browser, org: Org) -> None:
    refused = _upload(signed_in, b"hello", name="notes.txt")
    assert refused.status_code == 422 and ".csv" in refused.text


def test_an_upload_without_the_csrf_token_is_refused(signed_in: Browser, org: Org) -> None:
    refused = signed_in.client.post("/customers/imports", files={"file": ("c.csv", GOOD_AND_BAD.encode(), "text/csv")})
    assert refused.status_code == 403
    assert customers.list_customers(org.context.uow(), org.system).total == 0


def test_a_file_that_cannot_be_imported_is_refused_on_the_form_in_chinese(signed_in: Browser, org: Org) -> None:
    gbk = _upload(signed_in, "姓名,手机\n赵六,13800000006\n".encode("gbk"))
    assert gbk.status_code == 422
    assert "文件不是 UTF-8 编码（看起来是 GBK/GB18030）：请另存为 UTF-8，或选择 GBK 编码导入" in gbk.text
    no_identity = _upload(signed_in, "姓名,性别\n赵六,男\n".encode())
    assert no_identity.status_code == 422 and "文件中没有身份标识列" in no_identity.text
    assert imports.list_imports(org.context.uow(), org.system).total == 0  # nothing recorded
    assert list((org.context.settings.data_dir / "uploads").iterdir()) == []  # nothing left on disk


def test_a_running_import_shows_rows_read_of_the_file(signed_in: Browser, org: Org, admin) -> None:  # type: ignore[no-untyped-def]
    import_id = imports.start_import(org.context.uow(), org.system, filename="big.csv", dry_run=False, rows_expected=1000)
    text = signed_in.get(f"/customers/imports/{import_id}").text
    assert "已读取 0 行，共约 1000 行，本页会自动刷新。" in text
    assert '<progress class="import-progress" max="1000" value="0">' in text and 'hx-trigger="every 2s"' in text


def test_the_polled_status_of_a_customer_import_renders_on_its_own(signed_in: Browser, org: Org) -> None:
    """What htmx swaps in every 2 s (the shared bad-rows table brings its own macros)."""
    import_id = imports.start_import(org.context.uow(), org.system, filename="big.csv", dry_run=False, rows_expected=1000)
    polled = signed_in.client.get(f"/customers/imports/{import_id}", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and polled.text.startswith('<div id="import-status" hx-get=')


def test_an_imported_customer_s_page_says_what_the_import_applied(signed_in: Browser, org: Org) -> None:
    guide = org.member("林导购", store=org.store())
    vip, stage = org.tag("VIP", group="会员"), org.stage("意向")
    content = f"姓名,手机,标签,阶段,归属员工\n张三,13800000001,{vip.label},{stage.name},{guide.wecom_userid}\n"
    assert _upload(signed_in, content.encode()).status_code == 303
    [row] = customers.list_customers(org.context.uow(), org.system).items
    timeline = signed_in.get(f"/customers/{row.customer.id}").text.split('id="timeline"')[1].split("</section>")[0]
    assert "客户已创建（来源：" in timeline
    assert "标签 会员/VIP" in timeline and "阶段 意向" in timeline and "由 林导购 跟进并归属" in timeline
