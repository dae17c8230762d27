"""Double-submit CSRF protection for every state-changing console request.

A random secret lives in the ``siyu_csrf`` cookie (HttpOnly, SameSite=Strict). Pages carry
a token that is that secret signed with the app's key (``itsdangerous``, salt ``csrf``): in a
hidden ``csrf_token`` field for forms, in the ``X-CSRF-Token`` header for HTMX (set once on
``<body hx-headers>``). A POST passes only if the token is genuine, not older than a session,
and signs the very secret in the cookie. :func:`verify_csrf` is a dependency of the whole
console router, so no POST route can leave it out.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response
from itsdangerous import BadData

from siyu.domain.errors import PermissionDenied
from siyu.web.console import get_console

CSRF_COOKIE = "siyu_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(PermissionDenied):
    """The request did not prove it came from a console page of this site."""


def csrf_secret(request: Request) -> str:
    """The browser's secret, or a fresh one that :func:`remember_csrf_secret` will set."""
    secret = getattr(request.state, "new_csrf_secret", None) or request.cookies.get(CSRF_COOKIE)
    if not secret:
        secret = request.state.new_csrf_secret = secrets.token_urlsafe(32)
    return secret


def csrf_token(request: Request) -> str:
    return get_console(request).csrf_signer.dumps(csrf_secret(request))


def remember_csrf_secret(request: Request, response: Response) -> None:
    secret = getattr(request.state, "new_csrf_secret", None)
    if secret:
        settings = get_console(request).context.settings
        response.set_cookie(
            CSRF_COOKIE, secret, httponly=True, samesite="strict", secure=settings.secure_cookies, path="/"
        )


async def verify_csrf(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        token = (await request.form()).get(CSRF_FIELD)
    if not cookie or not isinstance(token, str) or not token:
        raise CsrfRejected("csrf.missing", "missing CSRF token")
    console = get_console(request)
    try:
        signed = console.csrf_signer.loads(token, max_age=console.context.settings.session_max_age_seconds)
    except BadData:
        raise CsrfRejected("csrf.invalid", "invalid or expired CSRF token") from None
    if not isinstance(signed, str) or not secrets.compare_digest(signed.encode(), cookie.encode()):
        raise CsrfRejected("csrf.mismatch", "CSRF token does not match the cookie")
