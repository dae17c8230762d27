from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from siyu.app import create_app
from siyu.domain.access import Actor, Role
from siyu.services import tokens
from tests import factories as f


@dataclass
class Tenantside:
    """A tenant as the API sees it: its admin actor and an admin token's headers."""

    actor: Actor
    headers: dict[str, str]


def api_tenant(context, role: Role = Role.ADMIN) -> Tenantside:
    _, admin = f.tenant(context)
    issued = tokens.create_api_token(context.uow(), admin, name=f"t{f.uid()}", role=role)
    return Tenantside(actor=admin, headers={"Authorization": f"Bearer {issued.secret}"})


@pytest.fixture
def client(context) -> Iterator[TestClient]:
    with TestClient(create_app(context)) as test_client:
        yield test_client
