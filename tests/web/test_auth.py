"""Signing in and out, sessions, lock-out and CSRF protection."""

from __future__ import annotations

from itsdangerous import URLSafeTimedSerializer

from siyu.domain.access import Role
from siyu.services import stores
from siyu.web.session import safe_next

from .conftest import Browser, Org


def test_login_page_is_chinese_by_default(browser: Browser) -> None:
    page = browser.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "登录" in page.text
    assert 'name="csrf_token"' in page.text
    cookie = page.headers["set-cookie"]
    assert "siyu_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_sign_in_sets_session_cookie_and_lands_on_overview(browser: Browser, admin) -> None:  # type: ignore[no-untyped-def]
    response = browser.sign_in(admin.login)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    session = next(c for c in response.headers.get_list("set-cookie") if c.startswith("siyu_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert "Max-Age=43200" in session and "Secure" not in session  # dev settings: plain http
    overview = browser.get("/")
    assert overview.status_code == 200
    assert "<h1>概览</h1>" in overview.text
    assert admin.name in overview.text and "管理员" in overview.text


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(browser: Browser, admin) -> None:  # type: ignore[no-untyped-def]
    browser.get("/login?next=/staff")
    assert browser.post("/login", {"login": admin.login, "password": "correct-horse-9", "next": "/staff"}).headers["location"] == "/staff"
    assert safe_next("//evil.example/x") == "/"
    assert safe_next("https://evil.example/") == "/"
    assert safe_next("/\\evil.example") == "/"
    assert safe_next("/stores?q=上海") == "/stores?q=上海"


def test_pages_redirect_to_login_without_a_session(browser: Browser) -> None:
    response = browser.client.get("/staff?status=active", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fstaff%3Fstatus%3Dactive"
    assert browser.client.get("/static/console.css").status_code == 200


def test_htmx_request_without_a_session_is_sent_to_login_by_header(browser: Browser) -> None:
    response = browser.client.get("/staff", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"


def test_wrong_password_shows_an_error_and_keeps_the_login(browser: Browser, admin) -> None:  # type: ignore[no-untyped-def]
    response = browser.sign_in(admin.login, "not-the-password-1")
    assert response.status_code == 401
    assert "账号或密码错误" in response.text
    assert f'value="{admin.login}"' in response.text
    assert "siyu_session" not in response.headers.get("set-cookie", "")


def test_five_wrong_passwords_lock_the_account(browser: Browser, admin) -> None:  # type: ignore[no-untyped-def]
    statuses = [browser.sign_in(admin.login, f"wrong-password-{i}").status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    refused = browser.sign_in(admin.login)
    assert refused.status_code == 423
    assert "账号已被锁定" in refused.text and "UTC" in refused.text
    assert browser.client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(signed_in: Browser) -> None:
    response = signed_in.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert 'siyu_session=""' in response.headers["set-cookie"]
    assert signed_in.client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_post_without_csrf_token_is_refused_and_changes_nothing(signed_in: Browser, org: Org, admin) -> None:  # type: ignore[no-untyped-def]
    response = signed_in.post("/stores/new", {"name": "无令牌门店"}, csrf=False)
    assert response.status_code == 403
    assert "表单已失效" in response.text
    assert stores.list_stores(org.context.uow(), org.system).total == 0


def test_post_with_a_forged_csrf_token_is_refused(signed_in: Browser, org: Org) -> None:
    forged = URLSafeTimedSerializer("another-key", salt="csrf").dumps(signed_in.client.cookies["siyu_csrf"])
    assert signed_in.post("/stores/new", {"name": "伪造门店", "csrf_token": forged}, csrf=False).status_code == 403
    key = org.context.settings.secret_key
    other_cookie = URLSafeTimedSerializer(key, salt="csrf").dumps("a-different-secret")
    assert signed_in.post("/stores/new", {"name": "伪造门店", "csrf_token": other_cookie}, csrf=False).status_code == 403
    assert stores.list_stores(org.context.uow(), org.system).total == 0


def test_sign_in_itself_needs_the_csrf_token(browser: Browser, admin) -> None:  # type: ignore[no-untyped-def]
    browser.get("/login")
    response = browser.post("/login", {"login": admin.login, "password": "correct-horse-9"}, csrf=False)
    assert response.status_code == 403
    assert "siyu_session" not in response.headers.get("set-cookie", "")


def test_htmx_posts_pass_the_token_in_a_header(signed_in: Browser, org: Org) -> None:
    member = org.member("韩梅梅", store=org.store())
    page = signed_in.get("/staff")
    assert f'"X-CSRF-Token": "{signed_in.csrf}"' in page.text
    response = signed_in.client.post(
        f"/staff/{member.id}/resign", headers={"HX-Request": "true", "X-CSRF-Token": signed_in.csrf}
    )
    assert response.status_code == 200


def test_an_operator_does_not_see_api_tokens(browser: Browser, org: Org) -> None:
    operator = org.user(Role.OPERATOR)
    browser.sign_in(operator.login)
    overview = browser.get("/")
    assert 'href="/staff"' in overview.text
    assert 'href="/tokens"' not in overview.text
    refused = browser.get("/tokens")
    assert refused.status_code == 403
    assert "你没有权限访问此页面" in refused.text
