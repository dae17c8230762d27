"""API tokens for machines: created by an admin, shown once, stored hashed, revocable."""

from __future__ import annotations

from dataclasses import dataclass

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission, Role
from siyu.domain.accounts import ApiToken
from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.organisation import clean_name
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow
from siyu.services.credentials import new_token, token_hash


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the admin once, never stored


def create_api_token(uow: SqlUnitOfWork, actor: Actor, *, name: str, role: Role = Role.OPERATOR) -> IssuedToken:
    actor.require(Permission.TOKENS_MANAGE)
    actor.require_assignable(role)
    if role.store_scoped:
        raise InvalidInput("token.store_role", "API tokens act for the whole tenant: admin or operator", field="role")
    name = clean_name(name)
    secret = new_token("syt")
    with uow:
        token = uow.tokens.add(
            actor.tenant_id,
            now=utcnow(),
            name=name,
            prefix=secret[:10],
            token_hash=token_hash(secret),
            role=role.value,
            created_by=actor.user_id,
        )
        uow.commit()
    return IssuedToken(token=token, secret=secret)


def list_api_tokens(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[ApiToken]:
    actor.require(Permission.TOKENS_MANAGE)
    with uow:
        return uow.tokens.list(actor.scope, request)


def revoke_api_token(uow: SqlUnitOfWork, actor: Actor, token_id: int) -> ApiToken:
    actor.require(Permission.TOKENS_MANAGE)
    with uow:
        if uow.tokens.get(actor.scope, token_id) is None:
            raise NotFound("token.not_found", "no such API token")
        uow.tokens.revoke(actor.tenant_id, token_id, utcnow())
        token = uow.tokens.get(actor.scope, token_id)
        uow.commit()
    assert token is not None
    return token
