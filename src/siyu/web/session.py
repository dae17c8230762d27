"""The signed-in person behind a console request, resolved once per request from a cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from siyu.config import Settings
from siyu.domain.access import Actor
from siyu.domain.accounts import User
from siyu.domain.errors import AuthenticationFailed
from siyu.services import auth
from siyu.web.console import get_console

SESSION_COOKIE = "siyu_session"


@dataclass(frozen=True, slots=True)
class Viewer:
    actor: Actor
    user: User


def find_viewer(request: Request) -> Viewer | None:
    """The session's user, or ``None``; kept on ``request.state`` for the error pages."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        actor, user = auth.actor_for_session(get_console(request).context.uow(), token)
    except AuthenticationFailed:
        return None
    viewer = request.state.viewer = Viewer(actor=actor, user=user)
    return viewer


def require_viewer(viewer: Annotated[Viewer | None, Depends(find_viewer)]) -> Viewer:
    if viewer is None:
        raise AuthenticationFailed("auth.signed_out", "please sign in")
    return viewer


OptionalViewer = Annotated[Viewer | None, Depends(find_viewer)]
CurrentViewer = Annotated[Viewer, Depends(require_viewer)]


def safe_next(target: str | None) -> str:
    """Only a path on this site: never a scheme, a host, or a protocol-relative ``//host``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\t"):
        return "/"
    return target


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies)
