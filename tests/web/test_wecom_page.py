"""The WeCom link through the console: settings (secrets write-only), the setup check, the callback log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siyu.domain.access import Role
from siyu.services import users, wecom_settings
from siyu.testing.fake_wecom import FakeWeCom
from tests.api.wecom_setup import AES_KEY, QUICK, TOKEN, link

from .conftest import PASSWORD, Browser, Org, unique

SECRET = "the-contact-secret-of-this-corp-0001"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _typed(**changes: str) -> dict[str, str]:
    return {"corp_id": "ww1436e0e65a779aee", "agent_id": "1000002", "api_base_url": "", "contact_secret": SECRET,
            "callback_token": TOKEN, "encoding_aes_key": AES_KEY, **changes}


def test_save_the_settings_and_see_only_hints_of_the_secrets(signed_in: Browser, org: Org) -> None:
    empty = signed_in.get("/wecom")
    assert empty.status_code == 200 and "未设置" in empty.text
    assert f"/callbacks/wecom/{org.tenant.slug}</code>" in empty.text and 'data-copy="#callback-url"' in empty.text
    saved = signed_in.post("/wecom", _typed())
    assert saved.status_code == 303 and saved.headers["location"] == "/wecom"
    stored = wecom_settings.get_wecom_settings(org.context.uow(), org.system)
    assert (stored.corp_id, stored.agent_id, stored.contact_secret_hint is not None) == ("ww1436e0e65a779aee", 1000002, True)
    page = signed_in.get("/wecom")
    assert "已保存企业微信设置" in page.text and 'value="ww1436e0e65a779aee"' in page.text
    assert SECRET not in page.text and TOKEN not in page.text and AES_KEY not in page.text
    assert f"已保存：{stored.contact_secret_hint}" in page.text and "0001" in page.text
    # An empty secret field keeps the stored secret.
    assert signed_in.post("/wecom", _typed(contact_secret="", callback_token="", encoding_aes_key="", agent_id="")).status_code == 303
    again = wecom_settings.get_wecom_settings(org.context.uow(), org.system)
    assert (again.agent_id, again.contact_secret_hint, again.encoding_aes_key_hint) == (None, stored.contact_secret_hint,
                                                                                        stored.encoding_aes_key_hint)


def test_a_bad_setting_is_explained_and_nothing_typed_is_lost(signed_in: Browser, org: Org) -> None:
    typed = _typed(corp_id="企业号", agent_id="1000002")
    refused = signed_in.post("/wecom", typed)
    assert refused.status_code == 422
    assert "企业ID 由字母和数字组成，例如 ww1436e0e65a779aee" in refused.text and 'aria-invalid="true"' in refused.text
    assert all(f'value="{value}"' in refused.text for value in typed.values() if value)
    bad_key = signed_in.post("/wecom", _typed(encoding_aes_key="short"))
    assert bad_key.status_code == 422 and "EncodingAESKey 为 43 位字母和数字" in bad_key.text
    with pytest.raises(Exception, match="not set up"):
        wecom_settings.get_wecom_settings(org.context.uow(), org.system)


def test_the_setup_check_explains_each_finding_in_the_admins_language(signed_in: Browser, org: Org, fake: FakeWeCom) -> None:
    org.context.wecom_retry = QUICK
    not_set = signed_in.post("/wecom/check", headers={"HX-Request": "true"})
    assert not_set.status_code == 200 and "<html" not in not_set.text
    assert "尚未配置企业微信" in not_set.text and "有设置需要修复" in not_set.text
    signed_in.post("/wecom", _typed(corp_id=fake.corp.corp_id, api_base_url=fake.url, contact_secret="not-the-right-secret-1234"))
    wrong = signed_in.post("/wecom/check", headers={"HX-Request": "true"})
    assert "Secret 不正确" in wrong.text and "errcode 40001" in wrong.text and "企业ID 与 Secret" in wrong.text
    signed_in.post("/wecom", _typed(corp_id=fake.corp.corp_id, api_base_url=fake.url, contact_secret=fake.corp.secret))
    right = signed_in.post("/wecom/check")  # without htmx: the whole page, with the findings in it
    assert "<html" in right.text and "企业ID 与客户联系 Secret 正确" in right.text
    assert "企业微信尚未验证回调 URL" in right.text


def test_an_english_admin_reads_the_check_in_english(browser: Browser, org: Org, fake: FakeWeCom) -> None:
    org.context.wecom_retry = QUICK
    admin = org.user(Role.ADMIN, locale="en")
    browser.sign_in(admin.login)
    browser.post("/wecom", _typed(corp_id="wwnotmycorp00000", api_base_url=fake.url, contact_secret=fake.corp.secret))
    report = browser.post("/wecom/check", headers={"HX-Request": "true"})
    assert "the corp ID is wrong: copy it from WeCom admin" in report.text and "Corp ID and secret" in report.text
    assert "企业ID 不正确" not in report.text


def test_the_callback_log_pages(browser: Browser, org: Org) -> None:
    linked = link(org.context, None)
    admin = users.create_user(org.context.uow(), linked.admin, login=unique("wecom"), name="企微管理员", password=PASSWORD,
                              role=Role.ADMIN, staff_id=None, locale="zh_CN")
    for number in range(22):
        answer = linked.contact_event(browser.client, "del_follow_user", f"wmCustomer{number:03d}", create_time=1_800_000_000 + number)
        assert answer.status_code == 200, answer.text
    assert browser.sign_in(admin.login).status_code == 303
    first = browser.get("/wecom/callbacks")
    assert first.status_code == 200 and "第 1 / 2 页，共 22 条" in first.text
    assert "wmCustomer021" in first.text and "wmCustomer001" not in first.text  # newest first
    second = browser.get("/wecom/callbacks?page=2")
    assert "wmCustomer001" in second.text and "wmCustomer000" in second.text and "wmCustomer021" not in second.text


def test_only_admins_see_the_wecom_link(browser: Browser, org: Org) -> None:
    operator = org.user(Role.OPERATOR)
    browser.sign_in(operator.login)
    home = browser.get("/")
    assert 'href="/wecom"' not in home.text and 'href="/channels"' in home.text
    assert browser.get("/wecom").status_code == 403
    assert browser.get("/wecom/callbacks").status_code == 403
    assert browser.post("/wecom", _typed()).status_code == 403
    assert browser.post("/wecom/check").status_code == 403
    with pytest.raises(Exception, match="not set up"):
        wecom_settings.get_wecom_settings(org.context.uow(), org.system)


def test_an_admin_finds_the_wecom_link_in_the_navigation(signed_in: Browser) -> None:
    home = signed_in.get("/")
    assert 'href="/wecom"' in home.text and "企业微信连接" in home.text
