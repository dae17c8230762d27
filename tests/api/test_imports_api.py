"""Imports and exports over HTTP: multipart upload, the report, paged errors, streamed files."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.api.conftest import api_tenant

FILE = "姓名,手机,性别\n张三,13800138000,男\n李四,12345,女\n王五,13900139000,\n".encode()


def _upload(client, headers, data: bytes = FILE, name: str = "客户.csv", **form: str):
    return client.post("/api/v1/imports/customers", files={"file": (name, data, "text/csv")}, data=form, headers=headers)


def test_an_upload_imports_good_rows_and_reports_bad_ones(context, client):
    h = api_tenant(context).headers
    response = _upload(client, h)
    assert response.status_code == 201, response.text
    run = response.json()
    assert (run["filename"], run["status"], run["rows_total"], run["rows_good"], run["rows_bad"], run["customers_created"]) == (
        "客户.csv", "done", 3, 2, 1, 2)
    assert run["first_errors"] == [{"row": 3, "column": "手机", "value": "12345",
                                    "reason": "“12345” is not a mainland mobile number (11 digits, starting 13-19)"}]
    assert client.get("/api/v1/customers", headers=h).json()["total"] == 2

    assert client.get(f"/api/v1/imports/{run['id']}", headers=h).json()["errors"] == 1
    errors = client.get(f"/api/v1/imports/{run['id']}/errors", params={"page_size": 1}, headers=h).json()
    assert (errors["total"], errors["items"][0]["row"]) == (1, 3)
    assert [r["id"] for r in client.get("/api/v1/imports", headers=h).json()["items"]] == [run["id"]]


def test_a_dry_run_upload_saves_nothing_but_the_report(context, client):
    h = api_tenant(context).headers
    run = _upload(client, h, dry_run="true").json()
    assert (run["dry_run"], run["customers_created"], run["rows_bad"]) == (True, 2, 1)
    assert client.get("/api/v1/customers", headers=h).json()["total"] == 0


def test_a_gbk_upload_needs_its_encoding(context, client):
    h = api_tenant(context).headers
    data = "姓名,手机\n张三,13800138000\n".encode("gbk")
    refused = _upload(client, h, data).json()
    assert refused["status"] == "failed"
    assert refused["message"] == "the file is not UTF-8 (it looks like GBK/GB18030): save it as UTF-8, or import with encoding gbk"
    assert _upload(client, h, data, encoding="gbk").json()["customers_created"] == 1


def test_export_streams_csv_and_xlsx(context, client):
    h = api_tenant(context).headers
    _upload(client, h)
    response = client.get("/api/v1/customers/export", params={"format": "csv"}, headers=h)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv") and "attachment;" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted((r["name"], r["phone"]) for r in rows) == [("张三", "13800138000"), ("王五", "13900139000")]

    filtered = client.get("/api/v1/customers/export", params={"format": "xlsx", "q": "张三"}, headers=h)
    book = load_workbook(io.BytesIO(filtered.content), read_only=True)
    assert [row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == ["张三"]
    book.close()
