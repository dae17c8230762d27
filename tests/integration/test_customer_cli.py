"""`siyu import customers` and `siyu export customers`, run through Typer against the test database."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from siyu.cli import customers as customer_cli
from siyu.cli.main import app
from siyu.services import tenants
from tests.integration.import_brand import brand, write


@pytest.fixture
def cli(context, monkeypatch):
    monkeypatch.setattr(customer_cli, "_context", lambda: context)
    return CliRunner()


def _slug(context, b) -> str:
    with context.uow() as uow:
        return uow.tenants.get(b.actor.tenant_id).slug  # type: ignore[union-attr]


def test_import_prints_the_report_and_the_first_bad_rows(context, cli, tmp_path):
    b = brand(context)
    path = write(tmp_path, "姓名,手机,标签\n张三,13800138000,VIP\n李四,12345,\n")
    result = cli.invoke(app, ["import", "customers", str(path), "--tenant", _slug(context, b)])
    assert result.exit_code == 0, result.output
    assert "rows: 2 read, 1 good, 1 bad" in result.output
    assert "customers that were created: 1, updated: 0, merged away: 0" in result.output
    assert "row 3, 手机 “12345”: “12345” is not a mainland mobile number (11 digits, starting 13-19)" in result.output


def test_a_dry_run_says_what_would_happen(context, cli, tmp_path):
    b = brand(context)
    path = write(tmp_path, "phone\n13800138000\n")
    result = cli.invoke(app, ["import", "customers", str(path), "--tenant", _slug(context, b), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run of import" in result.output and "customers that would be created: 1" in result.output


def test_a_gbk_file_fails_with_advice_and_imports_with_encoding(context, cli, tmp_path):
    b = brand(context)
    path = write(tmp_path, "姓名,手机\n张三,13800138000\n", encoding="gbk")
    refused = cli.invoke(app, ["import", "customers", str(path), "--tenant", _slug(context, b)])
    assert refused.exit_code == 1
    assert "the file is not UTF-8 (it looks like GBK/GB18030): save it as UTF-8, or import with encoding gbk" in refused.output
    done = cli.invoke(app, ["import", "customers", str(path), "--tenant", _slug(context, b), "--encoding", "gbk"])
    assert done.exit_code == 0 and "created: 1" in done.output


def test_export_writes_a_filtered_csv(context, cli, tmp_path):
    b = brand(context)
    cli.invoke(app, ["import", "customers", str(write(tmp_path, "姓名,手机,标签\n张三,13800138000,VIP\n李四,13900139000,\n")),
                     "--tenant", _slug(context, b)])
    out = tmp_path / "vip.csv"
    result = cli.invoke(app, ["export", "customers", "--tenant", _slug(context, b), "--out", str(out), "--tag", "导入/VIP"])
    assert result.exit_code == 0, result.output
    assert "1 customers written" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert [(r["name"], r["phone"]) for r in rows] == [("张三", "13800138000")]


def test_an_unknown_tenant_or_tag_is_a_clear_error(context, cli, tmp_path):
    b = brand(context)
    assert tenants.find_tenant(context.uow(), "no-such-brand") is None
    missing = cli.invoke(app, ["import", "customers", str(write(tmp_path, "phone\n13800138000\n")), "--tenant", "no-such-brand"])
    assert missing.exit_code == 1 and "no tenant “no-such-brand”" in missing.output
    bad_tag = cli.invoke(app, ["export", "customers", "--tenant", _slug(context, b), "--out", str(tmp_path / "x.csv"), "--tag", "不存在"])
    assert bad_tag.exit_code == 1 and "no tag “不存在”" in bad_tag.output


def test_export_writes_xlsx_and_refuses_an_unknown_format(context, cli, tmp_path):
    from openpyxl import load_workbook

    b = brand(context)
    cli.invoke(app, ["import", "customers", str(write(tmp_path, "姓名,手机\n张三,13800138000\n")), "--tenant", _slug(context, b)])
    out = tmp_path / "all.xlsx"
    result = cli.invoke(app, ["export", "customers", "--tenant", _slug(context, b), "--out", str(out), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    assert [row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == ["张三"]
    book.close()
    bad = cli.invoke(app, ["export", "customers", "--tenant", _slug(context, b), "--out", str(tmp_path / "x.pdf"), "--format", "pdf"])
    assert bad.exit_code == 1 and "--format is csv or xlsx" in bad.output
