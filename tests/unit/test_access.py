import re
from pathlib import Path

import pytest

from siyu.domain.access import ASSIGNABLE_ROLES, MATRIX, Actor, Permission, Role
from siyu.domain.errors import PermissionDenied

DOCS = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def test_admin_has_every_permission():
    assert MATRIX[Role.ADMIN] == frozenset(Permission)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.STORE_MANAGER, Role.GUIDE])
def test_only_admins_manage_users_and_tokens(role):
    actor = Actor(tenant_id=1, role=role, store_id=3, staff_id=4)
    for permission in (Permission.USERS_MANAGE, Permission.TOKENS_MANAGE, Permission.ORG_MANAGE):
        with pytest.raises(PermissionDenied):
            actor.require(permission)


def test_guide_scope_is_themselves_in_their_store():
    scope = Actor(tenant_id=1, role=Role.GUIDE, staff_id=9, store_id=3).scope
    assert (scope.tenant_id, scope.store_id, scope.staff_id) == (1, 3, 9)


def test_store_manager_scope_is_their_store():
    scope = Actor(tenant_id=1, role=Role.STORE_MANAGER, staff_id=9, store_id=3).scope
    assert (scope.store_id, scope.staff_id) == (3, None)


@pytest.mark.parametrize("role", [Role.GUIDE, Role.STORE_MANAGER])
def test_store_role_without_a_store_sees_nothing_not_everything(role):
    scope = Actor(tenant_id=1, role=role).scope
    assert scope.store_id == -1
    assert not scope.whole_tenant


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OPERATOR])
def test_head_office_roles_see_the_whole_tenant(role):
    assert Actor(tenant_id=1, role=role).scope.whole_tenant


def test_store_manager_may_only_give_the_guide_role():
    actor = Actor(tenant_id=1, role=Role.STORE_MANAGER, store_id=1)
    actor.require_assignable(Role.GUIDE)
    with pytest.raises(PermissionDenied):
        actor.require_assignable(Role.ADMIN)
    assert ASSIGNABLE_ROLES[Role.OPERATOR] == {Role.OPERATOR, Role.STORE_MANAGER, Role.GUIDE}


def _documented_matrix() -> dict[str, dict[str, bool]]:
    """Parse the permission table of docs/permissions.md: | `perm` | ✓ | ✗ | ... |"""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| permission"))
    roles = [cell.strip() for cell in header.strip("|").split("|")[1:]]
    table: dict[str, dict[str, bool]] = {}
    for line in lines:
        match = re.match(r"\| `([a-z_.]+)` \|", line)
        if match:
            cells = [cell.strip() for cell in line.strip("|").split("|")[1:]]
            table[match.group(1)] = {role: cell == "✓" for role, cell in zip(roles, cells, strict=True)}
    return table


def test_the_documented_permission_matrix_is_the_enforced_one():
    documented = _documented_matrix()
    assert set(documented) == {p.value for p in Permission}
    for permission in Permission:
        for role in Role:
            assert documented[permission.value][role.value] == (permission in MATRIX[role]), (permission, role)
