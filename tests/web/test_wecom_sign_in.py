"""WeCom sign-in for guides, through the console: the menu link -> WeCom's authorize page (the
fake WeCom over real HTTP, or the sandbox page) -> the callback -> a session -> /m/tasks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from siyu.adapters.channels.sandbox import SANDBOX_URL
from siyu.domain.access import Role
from siyu.domain.wecom import WeComSettingsDraft
from siyu.domain.wecom_sign_in import new_state
from siyu.services import guide_tasks, staff, wecom_settings
from siyu.services.auth import actor_for_session
from siyu.services.clock import utcnow
from siyu.testing.fake_wecom import FakeWeCom
from siyu.web.routes.wecom_sign_in import STATE_COOKIE
from siyu.web.session import SESSION_COOKIE
from tests.api.wecom_setup import QUICK
from tests.web.conftest import Browser, Org

APP_SECRET = "guide-app-secret-000000000001"
CONTACT_SECRET = "fake-contact-secret-0001"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom("wwguidesignin0001", CONTACT_SECRET) as running:
        running.corp.app_secret, running.corp.agent_id = APP_SECRET, 1000002
        yield running


def _link(org: Org, api_base_url: str, *, agent_id: int | None = 1000002, app_secret: str | None = APP_SECRET,
          corp_id: str = "wwguidesignin0001") -> None:
    org.context.wecom_retry = QUICK
    wecom_settings.save_wecom_settings(org.context.uow(), org.context.secret_box, org.system, WeComSettingsDraft.parse(
        corp_id=corp_id, agent_id=agent_id, api_base_url=api_base_url, contact_secret=CONTACT_SECRET, app_secret=app_secret))


def _task(org: Org, member, title: str) -> int:  # type: ignore[no-untyped-def]
    with org.context.uow() as uow:
        made = guide_tasks.add_source_task_in(uow, org.tenant.id, staff_id=member.id, customer_id=None, kind="follow_up",
                                              title=title, script="您好", due_at=utcnow(), source_kind="journey",
                                              source_key=title)
        uow.commit()
    return made


def _through_wecom(browser: Browser, fake: FakeWeCom, slug: str, userid: str, *, member: bool = True) -> httpx.Response:
    """Open the menu link, let the fake WeCom's authorize page answer for ``userid`` (a member of
    the corp unless ``member=False``), and come back."""
    if member:
        fake.corp.add_user(userid)
    fake.corp.oauth_member = userid
    out = browser.get(f"/m/wecom/{slug}/login", follow_redirects=False)
    assert out.status_code == 302, out.text
    wecom = httpx.get(out.headers["location"], follow_redirects=False)  # the fragment stays in the browser
    assert wecom.status_code == 302, wecom.text
    back = urlsplit(wecom.headers["location"])
    assert back.path == f"/m/wecom/{slug}/callback"
    return browser.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_a_guide_opens_the_menu_link_in_wecom_and_lands_on_only_their_tasks(context, org: Org, browser: Browser, fake: FakeWeCom):
    _link(org, fake.url)
    store = org.store()
    guide, other = org.member("王导购", store=store), org.member("李导购", store=store)
    mine, theirs = _task(org, guide, "回访王的客户"), _task(org, other, "回访李的客户")

    out = browser.get(f"/m/wecom/{org.tenant.slug}/login", follow_redirects=False)
    target = urlsplit(out.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert (target.scheme + "://" + target.netloc, target.path, target.fragment) == (fake.url, "/connect/oauth2/authorize", "wechat_redirect")
    assert (query["appid"], query["agentid"], query["scope"], query["response_type"]) == ("wwguidesignin0001", "1000002", "snsapi_base", "code")
    assert query["redirect_uri"] == f"{context.settings.base_url}/m/wecom/{org.tenant.slug}/callback"
    assert query["state"].isalnum() and len(query["state"]) <= 128  # WeCom's limit on state

    landed = _through_wecom(browser, fake, org.tenant.slug, guide.wecom_userid)
    assert landed.status_code == 303, landed.text
    assert (landed.status_code, landed.headers["location"]) == (303, "/m/tasks")
    actor, user = actor_for_session(context.uow(), browser.client.cookies[SESSION_COOKIE])
    assert (actor.role, actor.staff_id, actor.store_id, user.name) == (Role.GUIDE, guide.id, store.id, "王导购")
    assert fake.corp.count("/cgi-bin/auth/getuserinfo") == 1

    tasks = browser.get("/m/tasks")
    assert tasks.status_code == 200 and "回访王的客户" in tasks.text and "回访李的客户" not in tasks.text
    assert browser.get("/tasks").text.count("回访李的客户") == 0
    assert browser.post(f"/tasks/{theirs}/done", {"back": "m"}).status_code == 404  # another guide's task is not theirs
    assert browser.post(f"/tasks/{mine}/done", {"back": "m"}).status_code == 303
    assert browser.get("/wecom").status_code == 403  # a guide's session, not an admin's


def test_a_staff_member_with_a_console_user_signs_in_as_that_user(context, org: Org, browser: Browser, fake: FakeWeCom):
    _link(org, fake.url)
    manager = org.member("张店长", store=org.store(), role=Role.STORE_MANAGER)
    account = org.user(Role.STORE_MANAGER, member=manager)
    fake.corp.oauth_legacy_answer = True  # the older answer: UserId
    assert _through_wecom(browser, fake, org.tenant.slug, manager.wecom_userid).status_code == 303
    actor, user = actor_for_session(context.uow(), browser.client.cookies[SESSION_COOKIE])
    assert (user.id, actor.role) == (account.id, Role.STORE_MANAGER)


def test_a_used_state_or_code_is_refused_with_a_clear_page(org: Org, browser: Browser, fake: FakeWeCom):
    _link(org, fake.url)
    guide = org.member(store=org.store())
    fake.corp.add_user(guide.wecom_userid)
    fake.corp.oauth_member = guide.wecom_userid
    out = browser.get(f"/m/wecom/{org.tenant.slug}/login", follow_redirects=False)
    back = urlsplit(httpx.get(out.headers["location"], follow_redirects=False).headers["location"])
    callback = f"{back.path}?{back.query}"
    nonce = browser.client.cookies[STATE_COOKIE]
    assert browser.get(callback, follow_redirects=False).status_code == 303

    browser.client.cookies.set(STATE_COOKIE, nonce, path="/m/wecom/")  # the same browser, the same link again
    again = browser.get(callback, follow_redirects=False)
    assert again.status_code == 403 and "已使用" in again.text

    # A fresh state with the spent code: WeCom answers 40029.
    code = parse_qs(back.query)["code"][0]
    fresh = urlsplit(browser.get(f"/m/wecom/{org.tenant.slug}/login", follow_redirects=False).headers["location"])
    state = parse_qs(fresh.query)["state"][0]
    spent = browser.get(f"/m/wecom/{org.tenant.slug}/callback?code={code}&state={state}", follow_redirects=False)
    assert spent.status_code == 403 and "登录 code 无效" in spent.text


def test_an_expired_forged_or_foreign_state_is_refused(context, org: Org, browser: Browser, fake: FakeWeCom):
    _link(org, fake.url)
    key = context.settings.secret_key.encode()
    callback = f"/m/wecom/{org.tenant.slug}/callback"
    old, parsed = new_state(key, org.tenant.id, int(time.time()) - 601)
    browser.client.cookies.set(STATE_COOKIE, parsed.nonce, path="/m/wecom/")
    expired = browser.get(f"{callback}?code=abc&state={old}", follow_redirects=False)
    assert expired.status_code == 403 and "已过期" in expired.text

    forged = old[:-1] + ("0" if old[-1] != "0" else "1")
    assert "不是 Siyu 生成的" in browser.get(f"{callback}?code=abc&state={forged}", follow_redirects=False).text

    other_tenant_state, parsed = new_state(key, org.tenant.id + 1000, int(time.time()))
    browser.client.cookies.set(STATE_COOKIE, parsed.nonce, path="/m/wecom/")
    assert "不是 Siyu 生成的" in browser.get(f"{callback}?code=abc&state={other_tenant_state}", follow_redirects=False).text

    fresh, _ = new_state(key, org.tenant.id, int(time.time()))  # genuine, but this browser did not start it
    planted = browser.get(f"{callback}?code=abc&state={fresh}", follow_redirects=False)
    assert planted.status_code == 403 and "另一个浏览器" in planted.text
    assert fake.corp.count("/cgi-bin/auth/getuserinfo") == 0 and SESSION_COOKIE not in browser.client.cookies


def test_unknown_resigned_and_outside_people_get_a_page_in_chinese(org: Org, browser: Browser, fake: FakeWeCom):
    _link(org, fake.url)
    unknown = _through_wecom(browser, fake, org.tenant.slug, "zhaoliu")  # a member of the corp whom Siyu does not know
    assert unknown.status_code == 403 and "zhaoliu" in unknown.text and "不是 Siyu 中的员工" in unknown.text

    gone = org.member(store=org.store())
    staff.resign_staff(org.context.uow(), org.system, gone.id)
    resigned = _through_wecom(browser, fake, org.tenant.slug, gone.wecom_userid)
    assert resigned.status_code == 403 and "已不在职" in resigned.text

    outsider = _through_wecom(browser, fake, org.tenant.slug, "not-a-member", member=False)  # WeCom answers an openid only
    assert outsider.status_code == 403 and "只有本品牌企业微信的成员" in outsider.text
    assert SESSION_COOKIE not in browser.client.cookies


def test_settings_without_the_agent_id_or_with_the_wrong_secret_say_so(org: Org, browser: Browser, fake: FakeWeCom):
    _link(org, fake.url, agent_id=None, app_secret=None)
    page = browser.get(f"/m/wecom/{org.tenant.slug}/login", follow_redirects=False)
    assert page.status_code == 403 and "AgentId" in page.text
    assert browser.get("/m/wecom/no-such-brand/login", follow_redirects=False).status_code == 404

    _link(org, fake.url, app_secret=None)  # the customer-contact secret's token cannot sign anyone in
    guide = org.member(store=org.store())
    refused = _through_wecom(browser, fake, org.tenant.slug, guide.wecom_userid)
    assert refused.status_code == 403 and "可信域名" in refused.text


@pytest.mark.parametrize("app_secret", [APP_SECRET, None], ids=["app-secret", "contact-secret-for-both"])
def test_the_sandbox_demo_opens_as_a_guide_through_the_same_redirects(context, org: Org, signed_in: Browser, app_secret):
    _link(org, SANDBOX_URL, corp_id="wwsandboxsignin01", app_secret=app_secret)
    guide = org.member("沙盒导购", store=org.store())
    _task(org, guide, "沙盒里的任务")
    settings_page = signed_in.get("/wecom")
    assert "在企业微信中以导购身份打开" in settings_page.text and f"/m/wecom/{org.tenant.slug}/login" in settings_page.text

    chosen = signed_in.post("/wecom/sandbox/open-as-guide", {"staff_id": str(guide.id)})
    assert chosen.headers["location"] == f"/m/wecom/{org.tenant.slug}/login"
    out = signed_in.get(chosen.headers["location"], follow_redirects=False)
    to_sandbox = urlsplit(out.headers["location"])
    assert to_sandbox.path == "/sandbox/wecom/authorize" and to_sandbox.fragment == "wechat_redirect"
    code = signed_in.get(f"{to_sandbox.path}?{to_sandbox.query}", follow_redirects=False)
    back = urlsplit(code.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == "http://testserver"  # the sandbox comes back to the console it lives in
    landed = signed_in.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert landed.headers["location"] == "/m/tasks"
    tasks = signed_in.get("/m/tasks")
    assert "沙盒导购" in tasks.text and "沙盒里的任务" in tasks.text
    corp = context.sandbox_corps["wwsandboxsignin01"]
    assert corp.count("/cgi-bin/auth/getuserinfo") == 1 and corp.secret == CONTACT_SECRET  # the corp's contact secret stays its own


def test_the_sandbox_page_needs_the_demo_button_and_a_brand_in_the_sandbox(org: Org, browser: Browser, signed_in: Browser,
                                                                            fake: FakeWeCom):
    no_member = browser.get("/sandbox/wecom/authorize?appid=x", follow_redirects=False)
    assert no_member.status_code == 403 and "以导购身份打开" in no_member.text
    _link(org, fake.url)  # not the sandbox
    guide = org.member(store=org.store())
    refused = signed_in.post("/wecom/sandbox/open-as-guide", {"staff_id": str(guide.id)})
    assert refused.headers["location"] == "/wecom"
    settings_page = signed_in.get("/wecom").text
    assert "只有连接到企业微信沙盒的品牌" in settings_page and 'action="/wecom/sandbox/open-as-guide"' not in settings_page
