"""WeCom sign-in for guides (企业微信网页授权): the app-menu link, WeCom's callback, and the
sandbox's stand-in for open.weixin.qq.com (the demo's "open as guide in WeCom").

The link and the callback are public (the guide has no Siyu password); the tenant is part of
the URL. What the state is and why it is safe: :mod:`siyu.domain.wecom_sign_in`. A refusal is
a small page in the guide's language (Chinese unless their browser chose English) saying what
happened and what to do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from siyu.domain.errors import ChannelError, InvalidInput
from siyu.domain.wecom_sign_in import STATE_SECONDS, SignInRefused, login_path
from siyu.services import auth, sandbox_sign_in, wecom_sign_in
from siyu.web.console import get_console
from siyu.web.render import flash_error, language_for, page, redirect, remember_locale
from siyu.web.session import SESSION_COOKIE, CurrentViewer, set_session_cookie

router = APIRouter()
STATE_COOKIE = "siyu_wecom_sign_in"  # the state's nonce: the callback must come back to the browser that left
SANDBOX_COOKIE = "siyu_sandbox_wecom"  # who is "signed in to the WeCom client" in the sandbox
LANDING = "/m/tasks"


def _refused(request: Request, exc: SignInRefused | ChannelError, *, status_code: int = 403) -> Response:
    response = page(request, "tasks/sign_in_refused.html", {"reason": language_for(request).error(exc)}, status_code=status_code)
    response.delete_cookie(STATE_COOKIE, path="/m/wecom/")
    return response


@router.get("/m/wecom/{tenant}/login")
def wecom_login(request: Request, tenant: str) -> Response:
    """The link in the WeCom app's menu or workbench: off to WeCom's authorize page."""
    context = get_console(request).context
    try:
        start = wecom_sign_in.start_sign_in(context.uow(), context.secret_box, context.settings, tenant, here=str(request.base_url))
    except SignInRefused as exc:
        return _refused(request, exc)
    response = RedirectResponse(start.authorize_url, status_code=302)
    response.set_cookie(STATE_COOKIE, start.nonce, max_age=STATE_SECONDS, httponly=True, samesite="lax",
                        secure=context.settings.secure_cookies, path="/m/wecom/")
    return response


@router.get("/m/wecom/{tenant}/callback")
def wecom_callback(request: Request, tenant: str, code: str = "", state: str = "") -> Response:
    """WeCom sends the browser back here with ``code`` and ``state``: a session, then the tasks."""
    context = get_console(request).context
    try:
        signed = wecom_sign_in.finish_sign_in(
            context.uow(), context.secret_box, context.wecom_app_channel, context.settings, tenant, code=code, state=state,
            browser_nonce=request.cookies.get(STATE_COOKIE), user_agent=request.headers.get("user-agent"))
    except (SignInRefused, ChannelError) as exc:
        return _refused(request, exc)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # whoever was signed in in this browser before is signed out
        auth.sign_out(context.uow(), previous)
    response = redirect(LANDING)
    set_session_cookie(response, context.settings, signed.session_token)
    remember_locale(request, response, signed.user.locale)
    response.delete_cookie(STATE_COOKIE, path="/m/wecom/")
    return response


# ---- the sandbox (demo): the console stands in for WeCom's client and authorize page ----------


def _sandbox_signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_console(request).context.settings.secret_key, salt="sandbox-wecom-member")


@router.post("/wecom/sandbox/open-as-guide")
def open_as_guide(request: Request, viewer: CurrentViewer, staff_id: Annotated[str, Form()] = "") -> Response:
    """The demo's button: the sandbox's WeCom client is now this guide's; then the real menu link."""
    context = get_console(request).context
    try:
        if not staff_id.isdigit():
            raise InvalidInput("form.choose_option", "choose one of the options", field="staff_id")
        slug, userid = sandbox_sign_in.choose_sandbox_member(context.uow(), context.secret_box, viewer.actor, int(staff_id))
    except InvalidInput as exc:
        response = redirect("/wecom")
        flash_error(request, response, exc)
        return response
    response = redirect(login_path(slug))
    response.set_cookie(SANDBOX_COOKIE, _sandbox_signer(request).dumps([slug, userid]), max_age=3600, httponly=True,
                        samesite="lax", secure=context.settings.secure_cookies, path="/sandbox/wecom/")
    return response


@router.get("/sandbox/wecom/authorize")
def sandbox_authorize(request: Request) -> Response:
    """open.weixin.qq.com's authorize page, played by the console for a tenant linked to the sandbox."""
    context = get_console(request).context
    try:
        slug, userid = _sandbox_signer(request).loads(request.cookies.get(SANDBOX_COOKIE, ""), max_age=3600)
    except (BadData, ValueError, TypeError):
        return _refused(request, SignInRefused(
            "wecom_sign_in.sandbox_no_member", "in the sandbox, open this page with the demo's “open as guide in WeCom” button"))
    try:
        location = sandbox_sign_in.sandbox_authorize(context.uow(), context.secret_box, context.sandbox_corp, str(slug),
                                                     dict(request.query_params), userid=str(userid), here=str(request.base_url))
    except SignInRefused as exc:
        return _refused(request, exc)
    return RedirectResponse(location, status_code=302)
