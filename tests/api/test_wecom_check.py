"""`siyu wecom check` against the fake WeCom: one clear message per thing that is wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from siyu.cli import wecom as wecom_cli
from siyu.cli.main import app
from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import wecom_settings
from siyu.testing.fake_wecom import FakeWeCom, url_check
from tests import factories as f
from tests.api.wecom_setup import link


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


@pytest.fixture
def cli(context, monkeypatch):
    monkeypatch.setattr(wecom_cli, "_context", lambda: context)
    return CliRunner()


def _check(cli, linked, locale="en"):
    return cli.invoke(app, ["wecom", "check", "--tenant", linked.tenant.slug, "--locale", locale])


def test_a_correct_setup_passes_every_check(context, client, cli, fake):
    linked = link(context, fake)
    assert client.get(linked.url, params=url_check(linked.crypto, "hello")).text == "hello"
    result = _check(cli, linked)
    assert result.exit_code == 0, result.output
    assert "✓ credentials" in result.output and "✓ permission: 1 staff" in result.output and "✓ callback: WeCom verified" in result.output


def _resave(context, linked, **changes):
    current = wecom_settings.get_wecom_settings(context.uow(), linked.admin)
    draft = WeComSettingsDraft.parse(**{"corp_id": current.corp_id, "api_base_url": current.api_base_url, **changes})
    wecom_settings.save_wecom_settings(context.uow(), context.secret_box, linked.admin, draft)


def test_a_wrong_corp_id_says_where_to_copy_it(context, cli, fake):
    linked = link(context, fake)
    _resave(context, linked, corp_id="wwwrongcorp00001")
    result = _check(cli, linked, locale="zh_CN")
    assert result.exit_code == 1
    assert "✗ credentials: 企业ID 不正确" in result.output and "errcode 40013" in result.output


def test_a_wrong_secret_names_the_customer_contact_secret(context, cli, fake):
    linked = link(context, fake)
    _resave(context, linked, contact_secret="not-the-right-secret-1234")
    result = _check(cli, linked)
    assert result.exit_code == 1 and "✗ credentials: the secret is wrong" in result.output and "40001" in result.output


def test_a_missing_permission_and_an_untrusted_ip_are_told_apart(context, cli, fake):
    linked = link(context, fake)
    fake.corp.faults.deny("/cgi-bin/externalcontact/get_follow_user_list")
    result = _check(cli, linked)
    assert "✗ permission: this secret has no permission" in result.output and "48002" in result.output
    fake.corp.faults.denied_apis.clear()
    fake.corp.faults.untrusted_ip = True
    context.wecom_tokens = type(context.wecom_tokens)()  # a fresh process: no cached token
    result = _check(cli, linked)
    assert "✗ ip: this server's IP is not trusted" in result.output and "60020" in result.output


def test_an_unverified_callback_url_and_unknown_staff_are_reported(context, cli, fake):
    linked = link(context, fake)
    fake.corp.add_user("not-in-siyu")
    result = _check(cli, linked)
    assert result.exit_code == 1
    assert "✗ callback: WeCom has not verified the callback URL yet" in result.output
    assert "✗ staff: 1 of them are not staff in Siyu yet (not-in-siyu)" in result.output


def test_a_tenant_without_settings_is_told_to_set_them_up(context, cli):
    tenant, _ = f.tenant(context)
    result = cli.invoke(app, ["wecom", "check", "--tenant", tenant.slug, "--locale", "en"])
    assert result.exit_code == 1 and "WeCom is not set up" in result.output


def test_the_api_gives_the_same_report(context, client, fake):
    from siyu.domain.access import Role
    from siyu.services import tokens

    linked = link(context, fake)
    fake.corp.faults.deny("/cgi-bin/externalcontact/get_follow_user_list")
    issued = tokens.create_api_token(context.uow(), linked.admin, name="check", role=Role.ADMIN)
    response = client.post("/api/v1/wecom/check", headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is False
    permission = next(c for c in report["checks"] if c["name"] == "permission")
    assert permission["ok"] is False and "48002" in permission["en"] and "权限" in permission["zh"]
