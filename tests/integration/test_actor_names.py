"""Naming actors never reaches into another tenant."""

from __future__ import annotations

from siyu.domain.access import Role
from siyu.services import tokens, users
from siyu.services.actors import actor_names
from tests import factories as f


def test_actor_names_are_the_tenants_own_users_and_tokens_only(context):
    _, admin_a = f.tenant(context)
    _, admin_b = f.tenant(context)
    operator_b = f.user_actor(context, admin_b, role=Role.OPERATOR)
    user_a = users.create_user(context.uow(), admin_a, login=f"{f.uid()}@a.example", name="甲方店长", password=f.PASSWORD,
                               role=Role.ADMIN)
    user_b = users.create_user(context.uow(), admin_b, login=f"{f.uid()}@b.example", name="乙方店长", password=f.PASSWORD,
                               role=Role.ADMIN)
    token_a = tokens.create_api_token(context.uow(), admin_a, name="甲方同步").token
    token_b = tokens.create_api_token(context.uow(), admin_b, name="乙方同步").token
    labels = [f"user:{user_a.id}", f"user:{user_b.id}", f"token:{token_a.id}", f"token:{token_b.id}", "system", None,
              "user:x", "user:999999"]
    assert actor_names(context.uow(), operator_b, labels) == {f"user:{user_b.id}": "乙方店长", f"token:{token_b.id}": "乙方同步"}
    assert actor_names(context.uow(), admin_a, labels) == {f"user:{user_a.id}": "甲方店长", f"token:{token_a.id}": "甲方同步"}
