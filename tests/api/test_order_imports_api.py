"""Order imports over HTTP: upload (202 + Location), the run with its counts, paged bad rows, the CSV report."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from huey import MemoryHuey

from siyu import bootstrap
from siyu.app import create_app
from tests import factories as f
from tests.api.conftest import api_tenant

FILE = ("来源,订单号,下单时间,实付金额,手机号,退款单号,退款金额,退款时间\n"
        "mall,W1,2026-11-01 10:00,100,13800138000,R1,30,2026-11-02 10:00\n"
        "mall,W2,2026-11-01 10:00,abc,13800138001,,,\n"
        "mall,W3,2026-11-01 11:00,20,13900000000,,,\n").encode()


def _upload(client, headers, data: bytes = FILE, name: str = "订单.csv", **form: str):
    return client.post("/api/v1/imports/orders", files={"file": (name, data, "text/csv")}, data=form, headers=headers)


def test_an_upload_is_answered_202_and_the_run_counts_orders_refunds_and_unmatched(context, client):
    a = api_tenant(context)
    h = a.headers
    answer = _upload(client, h)
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["id"]
    assert answer.headers["location"] == f"/api/v1/order-imports/{run_id}"
    run = client.get(answer.headers["location"], headers=h).json()  # the in-memory queue ran it at once
    assert (run["filename"], run["status"], run["rows_expected"], run["progress"], run["errors"]) == ("订单.csv", "done", 3, 1.0, 1)
    counts = run["counts"]
    assert (counts["rows_total"], counts["rows_good"], counts["rows_bad"]) == (3, 2, 1)
    assert (counts["orders_created"], counts["refunds_added"], counts["orders_unmatched"], counts["orders_rejected"]) == (2, 1, 2, 1)
    errors = client.get(f"/api/v1/order-imports/{run_id}/errors", headers=h).json()
    assert errors["items"] == [{"row": 3, "column": "实付金额", "value": "abc", "reason": "“abc” is not an amount",
                                "code": "money.invalid", "params": {"value": "abc"}}]
    report = client.get(f"/api/v1/order-imports/{run_id}/report", headers=h)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")))) == [
        ["row", "column", "value", "reason"], ["3", "实付金额", "abc", "“abc” is not an amount"]]
    assert client.get("/api/v1/orders", headers=h).json()["total"] == 2

    again = client.get(_upload(client, h).headers["location"], headers=h).json()["counts"]  # idempotent on the order id
    assert (again["orders_created"], again["orders_updated"], again["orders_unchanged"], again["refunds_added"]) == (0, 0, 2, 0)
    listed = client.get("/api/v1/order-imports", params={"page_size": 1}, headers=h).json()
    assert (listed["total"], listed["pages"], listed["items"][0]["counts"]["orders_unchanged"]) == (2, 2, 2)


def test_a_queued_order_upload_is_running_until_the_worker_takes_it(context):
    queued = bootstrap.build(context.settings, engine=context.engine, session_factory=context.session_factory,
                             huey=MemoryHuey(f"queued-{f.uid()}"))
    h = api_tenant(queued).headers
    with TestClient(create_app(queued)) as client:
        answer = _upload(client, h, dry_run="true")
        run = answer.json()
        assert (run["status"], run["dry_run"], run["rows_expected"], run["progress"], run["counts"]["rows_total"]) == (
            "running", True, 3, 0.0, 0)
        queued.huey.execute(queued.huey.dequeue())  # what `siyu worker` does
        done = client.get(answer.headers["location"], headers=h).json()
        assert (done["status"], done["counts"]["orders_created"]) == ("done", 2)
        assert client.get("/api/v1/orders", headers=h).json()["total"] == 0  # a dry run
    assert list((context.settings.data_dir / "uploads").iterdir()) == []


def test_a_file_without_the_needed_columns_is_refused_with_a_coded_error_and_records_nothing(context, client):
    h = api_tenant(context).headers
    refused = _upload(client, h, "订单号,下单时间\nA,2026-11-01\n".encode())
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert (error["code"], error["params"]) == ("order_import.missing_columns", {"columns": "source, amount"})
    with_source = _upload(client, h, "订单号,下单时间,实付金额\nA,2026-11-01 10:00,5\n".encode(), source="store")
    assert with_source.status_code == 202
    run = client.get(with_source.headers["location"], headers=h).json()
    assert (run["source"], run["counts"]["orders_created"]) == ("store", 1)
    assert client.get("/api/v1/order-imports", headers=h).json()["total"] == 1
    assert client.get("/api/v1/order-imports/999999", headers=h).json()["error"]["code"] == "order_import.not_found"
