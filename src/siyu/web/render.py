"""Turning a template into a response: language, CSRF token, navigation and flash messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadData

from siyu.domain.access import Permission
from siyu.domain.errors import DomainError
from siyu.web.console import get_console
from siyu.web.csrf import csrf_token, remember_csrf_secret
from siyu.web.i18n import N_, Language
from siyu.web.session import Viewer

LOCALE_COOKIE = "siyu_locale"
FLASH_COOKIE = "siyu_flash"


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    label: str
    icon: str
    permission: Permission | None


NAV = (
    NavItem("/", N_("Overview"), "home", None),
    NavItem("/customers", N_("Customers"), "customers", Permission.CUSTOMERS_VIEW),
    NavItem("/tasks", N_("Guide tasks"), "clock", Permission.CUSTOMERS_VIEW),
    NavItem("/segments", N_("Segments"), "segments", Permission.CUSTOMERS_VIEW),
    NavItem("/orders", N_("Orders"), "tag", Permission.ORDERS_VIEW),
    NavItem("/contact-ways", N_("Contact ways"), "tag", Permission.CHANNELS_VIEW),
    NavItem("/welcome-messages", N_("Welcome messages"), "bell", Permission.CHANNELS_VIEW),
    NavItem("/materials", N_("Materials"), "link", Permission.CHANNELS_VIEW),
    NavItem("/group-codes", N_("Group codes"), "people", Permission.CHANNELS_VIEW),
    NavItem("/add-friend", N_("Bulk add-friend"), "people", Permission.CUSTOMERS_MANAGE),
    NavItem("/mass-sends", N_("Mass sends"), "bell", Permission.CUSTOMERS_MANAGE),
    NavItem("/journeys", N_("Journeys"), "link", Permission.CUSTOMERS_VIEW),
    NavItem("/analytics", N_("Analytics"), "chart", Permission.ANALYTICS_VIEW),
    NavItem("/experiments", N_("Experiments"), "chart", Permission.ANALYTICS_VIEW),
    NavItem("/moments", N_("Moments"), "people", Permission.CUSTOMERS_MANAGE),
    NavItem("/stores", N_("Stores"), "store", Permission.ORG_VIEW),
    NavItem("/regions", N_("Regions"), "map", Permission.ORG_VIEW),
    NavItem("/staff", N_("Staff"), "people", Permission.ORG_VIEW),
    NavItem("/channels", N_("Channels"), "link", Permission.CHANNELS_VIEW),
    NavItem("/wecom", N_("WeCom link"), "key", Permission.WECOM_MANAGE),
    NavItem("/settings/contact-rules", N_("Contact rules"), "clock", Permission.CONTACT_RULES_MANAGE),
    NavItem("/settings/member-levels", N_("Member levels"), "tag", Permission.CUSTOMERS_MANAGE),
    NavItem("/tokens", N_("API tokens"), "key", Permission.TOKENS_MANAGE),
)


def is_htmx(request: Request) -> bool:
    """An HTMX swap (not a history restore, which wants the whole page)."""
    return "hx-request" in request.headers and "hx-history-restore-request" not in request.headers


def current_viewer(request: Request) -> Viewer | None:
    return getattr(request.state, "viewer", None)


def language_for(request: Request) -> Language:
    """The user's own language, else the ``siyu_locale`` cookie, else the configured default."""
    console = get_console(request)
    viewer = current_viewer(request)
    for code in (viewer.user.locale if viewer else None, request.cookies.get(LOCALE_COOKIE)):
        if code in console.languages:
            return console.languages[code]
    return console.languages[console.context.settings.default_locale]


def _nav(request: Request, viewer: Viewer | None) -> list[dict[str, object]]:
    if viewer is None:
        return []
    path = request.url.path
    return [
        {"href": item.href, "label": item.label, "icon": item.icon,
         "active": path == "/" if item.href == "/" else path.startswith(item.href)}
        for item in NAV
        if item.permission is None or viewer.actor.can(item.permission)
    ]


def current_path(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _render(request: Request, language: Language, template: str, context: Mapping[str, object], *,
            flashes: list[dict[str, str]], status_code: int, headers: Mapping[str, str] | None) -> HTMLResponse:
    viewer = current_viewer(request)
    values = {
        "request": request,
        "viewer": viewer,
        "actor": viewer.actor if viewer else None,
        "csrf_token": csrf_token(request),
        "nav": _nav(request, viewer),
        "flashes": flashes,
        # Where the language switch comes back to; a page shown by a POST says its own.
        "here": current_path(request),
        **context,
    }
    html = language.env.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    response.headers["Vary"] = "HX-Request, Cookie"
    remember_csrf_secret(request, response)
    return response


def page(request: Request, template: str, context: Mapping[str, object] | None = None, *,
         status_code: int = 200, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """A whole page; shows (and clears) the flash message left by the previous request."""
    language = language_for(request)
    flashes = _take_flash(request, language)
    response = _render(request, language, template, context or {}, flashes=flashes, status_code=status_code,
                       headers=headers)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def fragment(request: Request, template: str, context: Mapping[str, object] | None = None, *,
             status_code: int = 200) -> HTMLResponse:
    """A piece of a page for HTMX to swap in; leaves any flash message for the next page."""
    return _render(request, language_for(request), template, context or {}, flashes=[], status_code=status_code,
                   headers=None)


def remember_locale(request: Request, response: Response, locale: str) -> None:
    settings = get_console(request).context.settings
    response.set_cookie(
        LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax", secure=settings.secure_cookies, path="/"
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def flash(request: Request, response: Response, message: str, *, kind: str = "success", context: str | None = None,
          **values: object) -> None:
    """Leave a message for the next page shown: an untranslated msgid and its values, or (``context``
    = an error code) a domain error's English message and params, translated by its code."""
    console = get_console(request)
    response.set_cookie(
        FLASH_COOKIE,
        console.flash_signer.dumps({"kind": kind, "message": message, "context": context, "values": values}),
        httponly=True,
        samesite="lax",
        secure=console.context.settings.secure_cookies,
        path="/",
    )


def flash_error(request: Request, response: Response, exc: DomainError) -> None:
    """Leave a domain error for the next page shown, to be translated there by its code."""
    flash(request, response, exc.message, kind="error", context=exc.code, **exc.params)


def _take_flash(request: Request, language: Language) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        data = get_console(request).flash_signer.loads(raw)
        context, message, values = data.get("context"), str(data["message"]), data["values"]
        if context:  # a domain error, translated by its code (``message`` is its English)
            return [{"kind": str(data["kind"]), "text": language.coded(str(context), values, message)}]
        return [{"kind": str(data["kind"]), "text": language.gettext(message, **values)}]
    except (BadData, KeyError, TypeError, ValueError):
        return []
