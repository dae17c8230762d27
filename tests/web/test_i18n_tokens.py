"""Languages (catalogs, the switch, translated errors) and API tokens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import siyu.web
from siyu.domain.access import Role
from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.organisation import StaffDraft
from siyu.services import auth, tokens, users
from siyu.web.i18n import build_language

from tests.error_codes import raised_errors

from .conftest import Browser, Org

WEB = Path(siyu.web.__file__).parent


def _extracted() -> set[tuple[str | None, str]]:
    """(context, msgid) of every message in the templates and the console's Python code."""
    found = set()
    for folder, method in ((WEB / "templates", "jinja2.ext:babel_extract"), (WEB, "python")):
        pattern = "**.html" if method.startswith("jinja2") else "**.py"
        for _file, _line, message, _comments, context in extract_from_dir(folder, [(pattern, method)]):
            found.add((context, message if isinstance(message, str) else message[0]))
    return found


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (WEB / "locale" / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def test_every_console_message_has_a_chinese_translation() -> None:
    extracted = _extracted()
    assert ("person", "Name") in extracted and (None, "Overview") in extracted and len(extracted) > 100
    catalog = _catalog("zh_CN")
    untranslated = []
    for context, msgid in sorted(extracted, key=str):
        entry = next((m for m in catalog if m.context == context and (m.id if isinstance(m.id, str) else m.id[0]) == msgid), None)
        strings = [] if entry is None else ([entry.string] if isinstance(entry.string, str) else list(entry.string))
        if not strings or not all(s.strip() for s in strings):
            untranslated.append(msgid)
    assert untranslated == []


def test_catalogs_hold_no_stale_messages() -> None:
    """The catalogs hold the console's messages and the domain errors' (code, template), nothing else."""
    expected = _extracted() | {(r.code, r.template) for r in raised_errors() if r.code}
    for locale in ("zh_CN", "en"):
        ids = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in _catalog(locale) if m.id}
        assert ids == expected, locale


def test_role_status_and_field_errors_are_translated() -> None:
    zh, en = build_language("zh_CN"), build_language("en")
    assert [zh.role(role) for role in Role] == ["管理员", "运营", "店长", "导购"]
    assert zh.status("resigned") == "已离职" and en.status("active") == "Active"
    with pytest.raises(InvalidInput) as bad_mobile:
        StaffDraft.parse(wecom_userid="lilei", name="李雷", mobile="12345", store_id=None, role="admin")
    assert bad_mobile.value.code == "phone.invalid" and bad_mobile.value.params == {"value": "12345"}
    assert zh.error(bad_mobile.value) == "“12345”不是有效的中国大陆手机号（11 位，以 13–19 开头）"
    assert en.error(bad_mobile.value) == bad_mobile.value.message == (
        "“12345” is not a mainland mobile number (11 digits, starting 13-19)")
    assert zh.error(InvalidInput("name.required", "a name is required", field="name")) == "请填写名称"
    clash = Conflict("region.name_taken", "a region named “%(name)s” already exists", field="name", name="华东")
    assert (zh.error(clash), en.error(clash)) == ("已有名为“华东”的区域", "a region named “华东” already exists")
    in_use = Conflict("stage.in_use", "%(count)s customers are in this stage; move them first", count=12)
    assert zh.error(in_use) == "该阶段中有 12 位客户，请先将他们移到其他阶段。"
    assert zh.error(InvalidInput("something new", field="other")) == "something new"  # not coded yet: English


def test_switching_to_english_renders_english_and_is_remembered(signed_in: Browser, org: Org, admin) -> None:  # type: ignore[no-untyped-def]
    response = signed_in.post("/locale", {"locale": "en", "next": "/staff"})
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    page = signed_in.get("/staff")
    assert '<html lang="en">' in page.text
    assert "<h1>Staff</h1>" in page.text and "Sign out" in page.text and "员工" not in page.text
    _actor, user = auth.actor_for_session(org.context.uow(), signed_in.client.cookies["siyu_session"])
    assert user.locale == "en"
    signed_in.post("/logout")
    assert "Sign in" in signed_in.get("/login").text  # the cookie keeps the language after sign-out


def test_the_language_switch_works_before_signing_in(browser: Browser) -> None:
    browser.get("/login")
    assert browser.post("/locale", {"locale": "en", "next": "/login"}).headers["location"] == "/login"
    page = browser.get("/login")
    assert '<html lang="en">' in page.text and "Sign in" in page.text
    assert browser.post("/locale", {"locale": "xx", "next": "https://evil.example/"}).headers["location"] == "/"
    assert '<html lang="zh-CN">' in browser.get("/login").text


def test_a_user_who_chose_english_gets_english_at_once(browser: Browser, org: Org) -> None:
    user = org.user(Role.ADMIN, locale="en")
    browser.sign_in(user.login)
    assert "<h1>Overview</h1>" in browser.get("/").text


def test_an_admin_creates_a_token_sees_the_secret_once_and_revokes_it(signed_in: Browser, org: Org, admin) -> None:  # type: ignore[no-untyped-def]
    created = signed_in.post("/tokens", {"name": "ERP 同步", "role": "operator"})
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secret = re.search(r'<code class="secret"[^>]*>(syt_[^<]+)</code>', created.text).group(1)  # type: ignore[union-attr]
    assert "令牌只显示这一次" in created.text
    assert auth.actor_for_api_token(org.context.uow(), secret).role is Role.OPERATOR
    listing = signed_in.get("/tokens")
    assert "ERP 同步" in listing.text and secret not in listing.text and secret[:10] in listing.text
    [token] = tokens.list_api_tokens(org.context.uow(), org.system).items
    revoked = signed_in.post(f"/tokens/{token.id}/revoke")
    assert revoked.status_code == 303
    assert "令牌“ERP 同步”已吊销" in signed_in.get("/tokens").text
    assert not tokens.list_api_tokens(org.context.uow(), org.system).items[0].active


def test_token_form_errors_are_shown_on_the_form(signed_in: Browser, org: Org) -> None:
    response = signed_in.post("/tokens", {"name": "  ", "role": "operator"})
    assert response.status_code == 422 and "请填写名称" in response.text
    bad_role = signed_in.post("/tokens", {"name": "BI", "role": "superuser"})
    assert bad_role.status_code == 422 and "请从列表中选择" in bad_role.text and 'value="BI"' in bad_role.text
    assert tokens.list_api_tokens(org.context.uow(), org.system).total == 0
    assert users.list_users(org.context.uow(), org.system).total == 1
