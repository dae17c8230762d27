"""``auth/getuserinfo`` (WeCom sign-in) through the port, over HTTP and in-process: a code is
good once, answers ``userid`` (or the older ``UserId``), and wants the app's token."""

from __future__ import annotations

import pytest

from siyu.adapters.channels.sandbox.oauth import OAUTH_CODE_SECONDS, issue_oauth_code
from siyu.adapters.channels.wecom import errors as e
from siyu.domain.errors import InvalidInput

APP_SECRET = "the-self-built-app-secret-01"


@pytest.fixture
def app(fake, connect):  # type: ignore[no-untyped-def]
    fake.corp.app_secret = APP_SECRET
    return connect(secret=APP_SECRET)


def test_a_code_names_the_member_once(fake, app):  # type: ignore[no-untyped-def]
    code = issue_oauth_code(fake.corp, "zhangsan", agent_id=1000002)
    assert app.oauth_user(code).userid == "zhangsan"
    with pytest.raises(e.WeComInvalidOAuthCode) as again:
        app.oauth_user(code)
    assert again.value.errcode == 40029 and again.value.code == "wecom.invalid_oauth_code"


def test_the_older_answer_and_a_non_member_are_understood(fake, app):  # type: ignore[no-untyped-def]
    fake.corp.oauth_legacy_answer = True
    assert app.oauth_user(issue_oauth_code(fake.corp, "lisi")).userid == "lisi"
    outsider = app.oauth_user(issue_oauth_code(fake.corp, "not-in-the-corp"))
    assert outsider.userid == "" and outsider.openid.startswith("o")


def test_an_old_code_and_no_code_are_refused(fake, app):  # type: ignore[no-untyped-def]
    code = issue_oauth_code(fake.corp, "zhangsan")
    fake.corp.oauth_codes[code]["issued"] -= OAUTH_CODE_SECONDS + 1
    with pytest.raises(e.WeComInvalidOAuthCode):
        app.oauth_user(code)
    with pytest.raises(InvalidInput):
        app.oauth_user("")


def test_the_customer_contact_token_cannot_sign_anyone_in(fake, connect):  # type: ignore[no-untyped-def]
    fake.corp.app_secret = APP_SECRET
    with pytest.raises(e.WeComRedirectNotTrusted):
        connect().oauth_user(issue_oauth_code(fake.corp, "zhangsan"))
