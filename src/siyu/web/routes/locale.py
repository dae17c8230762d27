"""The language switch (中文 / English), for signed-in people and on the sign-in page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.services import users
from siyu.web.console import get_console
from siyu.web.render import redirect, remember_locale
from siyu.web.session import OptionalViewer, safe_next

router = APIRouter()


@router.post("/locale")
def switch_language(
    request: Request,
    viewer: OptionalViewer,
    locale: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    context = get_console(request).context
    if viewer is not None:
        users.set_locale(context.uow(), viewer.actor, locale)
    elif locale not in users.LOCALES:
        locale = context.settings.default_locale
    response = redirect(safe_next(next))
    remember_locale(request, response, locale)
    return response
