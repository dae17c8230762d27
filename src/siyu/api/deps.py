"""FastAPI dependencies: the context, a fresh unit of work, and the calling actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.bootstrap import Context
from siyu.domain.access import Actor
from siyu.domain.errors import AuthenticationFailed
from siyu.domain.paging import MAX_PAGE_SIZE, PageRequest
from siyu.services import auth

_bearer = HTTPBearer(auto_error=False, description="An API token made by an admin (console → API 令牌)")


def get_context(request: Request) -> Context:
    return request.app.state.context  # type: ignore[no-any-return]


def get_uow(context: Annotated[Context, Depends(get_context)]) -> SqlUnitOfWork:
    return context.uow()


def get_actor(
    context: Annotated[Context, Depends(get_context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None:
        raise AuthenticationFailed("auth.no_token", "send an API token as `Authorization: Bearer <token>`")
    return auth.actor_for_api_token(context.uow(), credentials.credentials)


def get_page(
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> PageRequest:
    return PageRequest(page=page, page_size=page_size)


Uow = Annotated[SqlUnitOfWork, Depends(get_uow)]
CurrentActor = Annotated[Actor, Depends(get_actor)]
Paging = Annotated[PageRequest, Depends(get_page)]
