"""Imports and exports over HTTP: multipart upload, the report, paged errors, streamed files."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from huey import MemoryHuey
from openpyxl import load_workbook

from siyu import bootstrap
from siyu.app import create_app
from tests import factories as f
from tests.api.conftest import api_tenant

FILE = "姓名,手机,性别\n张三,13800138000,男\n李四,12345,女\n王五,13900139000,\n".encode()


def _upload(client, headers, data: bytes = FILE, name: str = "客户.csv", **form: str):
    return client.post("/api/v1/imports/customers", files={"file": (name, data, "text/csv")}, data=form, headers=headers)


def test_an_upload_is_answered_202_with_the_run_to_poll_and_the_worker_imports_it(context, client):
    h = api_tenant(context).headers
    response = _upload(client, h)
    assert response.status_code == 202, response.text
    run = response.json()
    assert response.headers["location"] == f"/api/v1/imports/{run['id']}"
    polled = client.get(response.headers["location"], headers=h).json()  # the in-memory queue ran it at once
    assert (polled["filename"], polled["status"], polled["rows_expected"], polled["rows_total"], polled["progress"]) == (
        "客户.csv", "done", 3, 3, 1.0)
    assert (polled["rows_good"], polled["rows_bad"], polled["customers_created"], polled["errors"]) == (2, 1, 2, 1)
    errors = client.get(f"/api/v1/imports/{run['id']}/errors", params={"page_size": 1}, headers=h).json()
    assert (errors["total"], errors["pages"]) == (1, 1)
    assert errors["items"] == [{"row": 3, "column": "手机", "value": "12345",
                                "reason": "“12345” is not a mainland mobile number (11 digits, starting 13-19)",
                                "code": "phone.invalid", "params": {"value": "12345"}}]
    assert client.get("/api/v1/customers", headers=h).json()["total"] == 2
    assert [r["id"] for r in client.get("/api/v1/imports", headers=h).json()["items"]] == [run["id"]]


def test_a_queued_upload_is_running_until_the_worker_takes_it(context, tmp_path):
    queued = bootstrap.build(context.settings, engine=context.engine, session_factory=context.session_factory,
                             huey=MemoryHuey(f"queued-{f.uid()}"))
    h = api_tenant(queued).headers
    with TestClient(create_app(queued)) as client:
        answer = _upload(client, h)
        assert answer.status_code == 202
        run = answer.json()
        assert (run["status"], run["rows_expected"], run["rows_total"], run["progress"], run["finished_at"]) == (
            "running", 3, 0, 0.0, None)
        assert client.get("/api/v1/customers", headers=h).json()["total"] == 0
        assert queued.huey.pending_count() == 1
        queued.huey.execute(queued.huey.dequeue())  # what `siyu worker` does
        done = client.get(answer.headers["location"], headers=h).json()
        assert (done["status"], done["rows_total"], done["progress"], done["customers_created"]) == ("done", 3, 1.0, 2)
        assert client.get("/api/v1/customers", headers=h).json()["total"] == 2
    assert list((context.settings.data_dir / "uploads").iterdir()) == []  # the worker removed the upload


def test_an_upload_the_queue_cannot_take_fails_its_run_with_the_reason_and_leaves_no_file(context, client):
    h = api_tenant(context).headers

    def queue_down(*args: object) -> None:
        raise ConnectionError("redis is down")

    context.tasks["run_customer_import"] = queue_down
    answer = _upload(client, h)
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "queue.unavailable"
    [run] = client.get("/api/v1/imports", headers=h).json()["items"]
    assert (run["status"], run["message_code"], run["finished_at"] is not None) == ("failed", "queue.unavailable", True)
    assert list((context.settings.data_dir / "uploads").iterdir()) == []


def test_the_errors_of_a_run_are_paged(context, client):
    h = api_tenant(context).headers
    rows = "".join(f"客户{n},1{n:02d}\n" for n in range(25))  # 25 bad phones
    run = _upload(client, h, f"姓名,手机\n{rows}".encode()).json()
    first = client.get(f"/api/v1/imports/{run['id']}/errors", params={"page_size": 10}, headers=h).json()
    last = client.get(f"/api/v1/imports/{run['id']}/errors", params={"page_size": 10, "page": 3}, headers=h).json()
    assert (first["total"], first["pages"], [e["row"] for e in first["items"]]) == (25, 3, list(range(2, 12)))
    assert [e["row"] for e in last["items"]] == list(range(22, 27))


def test_a_dry_run_upload_saves_nothing_but_the_report(context, client):
    h = api_tenant(context).headers
    answer = _upload(client, h, dry_run="true")
    assert answer.status_code == 202
    run = client.get(answer.headers["location"], headers=h).json()
    assert (run["dry_run"], run["status"], run["customers_created"], run["rows_bad"]) == (True, "done", 2, 1)
    assert client.get(f"/api/v1/imports/{run['id']}/errors", headers=h).json()["total"] == 1
    assert client.get("/api/v1/customers", headers=h).json()["total"] == 0


def _refused(client, h, *args, **form):
    response = _upload(client, h, *args, **form)
    assert client.get("/api/v1/imports", headers=h).json()["total"] == 0  # no run recorded
    return response.status_code, response.json()["error"]


def test_a_file_that_cannot_be_imported_is_refused_at_once_and_leaves_nothing(context, client):
    h = api_tenant(context).headers
    gbk = "姓名,手机\n张三,13800138000\n".encode("gbk")
    status, error = _refused(client, h, gbk)
    assert status == 422
    assert (error["code"], error["kind"], error["field"]) == ("file.looks_gbk", "invalid", "encoding")
    assert error["message"] == "the file is not UTF-8 (it looks like GBK/GB18030): save it as UTF-8, or import with encoding gbk"
    status, error = _refused(client, h, "姓名,性别\n张三,男\n".encode())
    assert (status, error["code"], error["field"]) == (422, "import.no_identity_column", "file")
    assert error["message"].startswith("the file has no identity column: add one of wecom_external, unionid")
    status, error = _refused(client, h, b"%PDF-1.4", name="客户.pdf")
    assert (status, error["code"]) == (422, "file.not_sheet")
    status, error = _refused(client, h, b"not a zip", name="客户.xlsx")
    assert (status, error["code"], error["params"]) == (422, "file.not_xlsx", {"detail": "not a zip archive"})
    status, error = _refused(client, h, b"PK\x03\x04 broken", name="客户.xlsx")
    assert (status, error["code"]) == (422, "file.not_xlsx")
    assert list((context.settings.data_dir / "uploads").iterdir()) == []
    assert client.get("/api/v1/customers", headers=h).json()["total"] == 0

    answer = _upload(client, h, gbk, encoding="gbk")  # the same file with its encoding goes in
    assert client.get(answer.headers["location"], headers=h).json()["customers_created"] == 1


def test_a_file_that_breaks_half_way_fails_the_run_with_a_coded_message(context, client):
    h = api_tenant(context).headers
    broken = ("姓名,手机\n张三,13800138000\n李四," + "1" * 200_000 + "\n").encode()  # over the csv field limit
    answer = _upload(client, h, broken)
    assert answer.status_code == 202  # the header is fine: the worker finds the bad line
    run = client.get(answer.headers["location"], headers=h).json()
    assert (run["status"], run["message_code"], run["message_params"]["row"], run["progress"]) == ("failed", "file.bad_csv", 3, None)
    assert run["message"].startswith("row 3 is not valid CSV: field larger than field limit")


def test_a_file_over_the_size_limit_is_refused_with_413(context, client):
    h = api_tenant(context).headers
    context.settings.import_max_mb = 1
    big = FILE + b"x" * (1 << 20)
    status, error = _refused(client, h, big)
    assert (status, error["code"], error["params"], error["field"]) == (413, "upload.too_large", {"max_mb": 1}, "file")
    assert list((context.settings.data_dir / "uploads").iterdir()) == []


def test_the_openapi_document_describes_the_queued_import(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/imports/customers"]["post"]
    assert set(operation["responses"]) >= {"202", "413", "422"}
    assert operation["responses"]["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ImportOut"}
    assert "Location" in operation["responses"]["202"]["headers"]
    assert operation["responses"]["413"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    run = client.get("/openapi.json").json()["components"]["schemas"]["ImportOut"]["properties"]
    assert {"status", "rows_expected", "rows_total", "progress", "customers_created"} <= set(run)


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
