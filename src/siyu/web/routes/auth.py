"""Signing in and out of the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.errors import AccountLocked, AuthenticationFailed
from siyu.services import auth
from siyu.services.clock import utcnow
from siyu.web.console import get_console
from siyu.web.render import page, redirect, remember_locale
from siyu.web.session import (
    SESSION_COOKIE,
    OptionalViewer,
    clear_session_cookie,
    safe_next,
    set_session_cookie,
)

router = APIRouter()


@router.get("/login")
def login_form(request: Request, viewer: OptionalViewer, next: str = "/") -> Response:
    if viewer is not None:
        return redirect(safe_next(next))
    return page(request, "login.html", {"next": safe_next(next), "login": ""})


@router.post("/login")
def sign_in(
    request: Request,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    context = get_console(request).context
    form = {"next": safe_next(next), "login": login}
    try:
        signed_in = auth.sign_in(
            context.uow(), context.settings, login, password, user_agent=request.headers.get("user-agent")
        )
    except AccountLocked as exc:
        return page(request, "login.html", {**form, "locked_until": exc.until, "wait": exc.until - utcnow()}, status_code=423)
    except AuthenticationFailed:
        return page(request, "login.html", {**form, "wrong": True}, status_code=401)
    response = redirect(safe_next(next))
    set_session_cookie(response, context.settings, signed_in.session_token)
    remember_locale(request, response, signed_in.user.locale)
    return response


@router.post("/logout")
def sign_out(request: Request) -> Response:
    context = get_console(request).context
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.sign_out(context.uow(), token)
    response = redirect("/login")
    clear_session_cookie(response, context.settings)
    return response
