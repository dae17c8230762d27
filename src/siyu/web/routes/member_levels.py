"""Member levels in the console (settings): the mall's levels, lowest first, and the level from
which a member counts as loyal in the AIPL funnel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.access import Permission
from siyu.domain.errors import InvalidInput
from siyu.domain.member_levels import MemberLevels
from siyu.services import member_levels
from siyu.web.console import get_console
from siyu.web.forms import failure
from siyu.web.i18n import N_
from siyu.web.render import flash, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
Field = Annotated[str, Form()]


def _form(request: Request, viewer: Viewer, names: str, loyal_from: str, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    listed = [line.strip() for line in names.splitlines() if line.strip()]
    values = {"names": names, "loyal_from": loyal_from}
    return page(request, "settings/member_levels.html", {"values": values, "levels": [(n, n) for n in listed], "errors": errors or {}},
                status_code=status_code)


@router.get("/settings/member-levels")
def show_levels(request: Request, viewer: CurrentViewer) -> Response:
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    levels = member_levels.get_member_levels(get_console(request).context.uow(), viewer.actor)
    return _form(request, viewer, "\n".join(levels.names), levels.loyal_from or "")


@router.post("/settings/member-levels")
def save_levels(request: Request, viewer: CurrentViewer, names: Field = "", loyal_from: Field = "") -> Response:
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)  # a refused role is refused before its input is judged
    try:
        levels = MemberLevels.parse(names.splitlines(), loyal_from)
        member_levels.set_member_levels(get_console(request).context.uow(), viewer.actor, levels)
    except InvalidInput as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, names, loyal_from, errors, status)
    response = redirect("/settings/member-levels")
    flash(request, response, N_("Member levels saved. The funnel counts them after the next warehouse sync."))
    return response
