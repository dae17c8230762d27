"""Domain errors -> console responses, in one place.

Form handlers catch ``InvalidInput`` and ``Conflict`` themselves and show them on the form;
whatever reaches this module becomes a redirect to the sign-in page or a styled error page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from siyu.domain import errors
from siyu.web.console import get_console
from siyu.web.csrf import CsrfRejected
from siyu.web.i18n import N_
from siyu.web.render import current_path, fragment, is_htmx, language_for, page, redirect
from siyu.web.session import clear_session_cookie, safe_next

STATUS: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.PermissionDenied: 403,
    errors.InvalidInput: 400,
    errors.Conflict: 409,
}
TITLES = {
    400: N_("This request cannot be handled"),
    403: N_("You do not have access to this"),
    404: N_("Page not found"),
    409: N_("This clashes with existing data"),
}
EXPLANATIONS = {
    403: N_("Your role does not allow this. Ask an administrator if you need it."),
    404: N_("The page or record does not exist, or it is outside what your role can see."),
}
CSRF_TITLE = N_("This form has expired")
CSRF_EXPLANATION = N_(
    "The page was open for too long, or the request did not come from this console. "
    "Nothing was changed. Go back, reload the page and try again."
)


def status_for(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def sign_in_redirect(request: Request) -> Response:
    """Back to the sign-in page, coming back here afterwards if this was a page (a GET)."""
    target = safe_next(current_path(request)) if request.method == "GET" and not is_htmx(request) else "/"
    location = "/login" + (f"?{urlencode({'next': target})}" if target != "/" else "")
    # HTMX follows a 303 inside the XHR and would swap the sign-in page into a table: ask it
    # to load the page instead.
    response = Response(status_code=401, headers={"HX-Redirect": location}) if is_htmx(request) else redirect(location)
    clear_session_cookie(response, get_console(request).context.settings)
    return response


def render(request: Request, exc: errors.DomainError) -> Response:
    if isinstance(exc, errors.AuthenticationFailed):
        return sign_in_redirect(request)
    status = status_for(exc)
    language = language_for(request)
    if isinstance(exc, CsrfRejected):
        title, detail = language.gettext(CSRF_TITLE), language.gettext(CSRF_EXPLANATION)
    else:
        title = language.gettext(TITLES[status])
        detail = language.gettext(EXPLANATIONS[status]) if status in EXPLANATIONS else language.error(exc)
    context = {"status": status, "title": title, "detail": detail}
    if is_htmx(request):
        return fragment(request, "_error_toast.html", context, status_code=status)
    return page(request, "error.html", context, status_code=status)
