"""API tokens (API 令牌): list, create (the secret is shown once), revoke. Admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.access import ASSIGNABLE_ROLES, Role
from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.paging import PageRequest
from siyu.services import tokens
from siyu.services.tokens import IssuedToken
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure
from siyu.web.i18n import N_
from siyu.web.render import flash, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
Field = Annotated[str, Form()]


def _list(request: Request, viewer: Viewer, paging: PageRequest, *, issued: IssuedToken | None = None,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    found = tokens.list_api_tokens(get_console(request).context.uow(), viewer.actor, paging)
    view = {
        "tokens": found,
        "issued": issued,
        "values": values or {"name": "", "role": Role.OPERATOR.value},
        "errors": errors or {},
        "assignable": [role for role in Role if role in ASSIGNABLE_ROLES[viewer.actor.role]],
        "query": "",
    }
    # A freshly issued secret must not linger in any cache.
    headers = {"Cache-Control": "no-store"} if issued else None
    return page(request, "tokens/list.html", view, status_code=status_code, headers=headers)


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise InvalidInput("form.choose_option", "choose one of the options", field="role") from None


@router.get("/tokens")
def list_tokens(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    return _list(request, viewer, paging)


@router.post("/tokens")
def create_token(request: Request, viewer: CurrentViewer, paging: Paging, name: Field = "", role: Field = "") -> Response:
    values = {"name": name, "role": role}
    try:
        issued = tokens.create_api_token(get_console(request).context.uow(), viewer.actor, name=name, role=_role(role))
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, paging, values=values, errors=errors, status_code=status)
    return _list(request, viewer, paging, issued=issued, status_code=201)


@router.post("/tokens/{token_id:int}/revoke")
def revoke_token(request: Request, viewer: CurrentViewer, token_id: int) -> Response:
    token = tokens.revoke_api_token(get_console(request).context.uow(), viewer.actor, token_id)
    response = redirect("/tokens")
    flash(request, response, N_("Token “%(name)s” revoked; it no longer works."), name=token.name)
    return response
