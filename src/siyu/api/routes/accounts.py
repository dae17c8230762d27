"""Who am I, console users, and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response

from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.schemas import MeOut, TokenCreate, TokenCreated, TokenOut, TokenPage, UserCreate, UserOut, UserPage, page_out
from siyu.domain.access import MATRIX
from siyu.services import tokens, users

router = APIRouter(prefix="/api/v1")


@router.get("/me", response_model=MeOut, tags=["accounts"])
def me(actor: CurrentActor) -> MeOut:
    return MeOut(
        tenant_id=actor.tenant_id,
        role=actor.role,
        name=actor.name,
        permissions=sorted(p.value for p in MATRIX[actor.role]),
    )


@router.get("/users", response_model=UserPage, tags=["accounts"])
def list_users(uow: Uow, actor: CurrentActor, paging: Paging) -> UserPage:
    return page_out(UserPage, users.list_users(uow, actor, paging))


@router.post("/users", response_model=UserOut, status_code=201, tags=["accounts"])
def create_user(body: UserCreate, uow: Uow, actor: CurrentActor) -> UserOut:
    return UserOut.model_validate(users.create_user(uow, actor, **body.model_dump()))


@router.get("/tokens", response_model=TokenPage, tags=["accounts"])
def list_tokens(uow: Uow, actor: CurrentActor, paging: Paging) -> TokenPage:
    return page_out(TokenPage, tokens.list_api_tokens(uow, actor, paging))


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["accounts"])
def create_token(body: TokenCreate, uow: Uow, actor: CurrentActor) -> TokenCreated:
    issued = tokens.create_api_token(uow, actor, name=body.name, role=body.role)
    return TokenCreated.model_validate({**TokenOut.model_validate(issued.token).model_dump(), "secret": issued.secret})


@router.delete("/tokens/{token_id}", status_code=204, tags=["accounts"])
def revoke_token(token_id: int, uow: Uow, actor: CurrentActor) -> Response:
    tokens.revoke_api_token(uow, actor, token_id)
    return Response(status_code=204)
