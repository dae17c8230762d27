"""Roles, permissions and the actor on whose behalf every service call runs.

The permission matrix lives here, once; docs/permissions.md is its readable copy and a test
checks the two agree. Two kinds of rule apply to every call:

- *may the role do this at all?* (:meth:`Actor.require`) -> ``PermissionDenied`` (HTTP 403);
- *which rows may the actor see?* (:class:`Scope`) -> the repository filters by tenant and
  scope, so an object outside it is simply not found (HTTP 404), exactly like an object of
  another tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from siyu.domain.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    STORE_MANAGER = "store_manager"
    GUIDE = "guide"

    @property
    def store_scoped(self) -> bool:
        return self in (Role.STORE_MANAGER, Role.GUIDE)


class Permission(StrEnum):
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"  # regions and stores
    STAFF_MANAGE = "staff.manage"
    USERS_MANAGE = "users.manage"
    TOKENS_MANAGE = "tokens.manage"
    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_EDIT = "customers.edit"  # profile, tags, stage and fields of customers in scope
    CUSTOMERS_MANAGE = "customers.manage"  # create, import, export, merge; tag/stage/field definitions
    PHONES_VIEW = "phones.view"  # see phone numbers unmasked
    WECOM_MANAGE = "wecom.manage"  # the tenant's WeCom settings (corp id, secrets), setup check, callback log
    CHANNELS_VIEW = "channels.view"  # channel names and codes
    CHANNELS_MANAGE = "channels.manage"  # create and edit channels; enter and see their costs
    ORDERS_VIEW = "orders.view"  # orders in the row scope
    ORDERS_MANAGE = "orders.manage"  # send and import orders and refunds, match unmatched orders
    EVENTS_TRACK = "events.track"  # send behaviour events
    ANALYTICS_VIEW = "analytics.view"  # the warehouse's tenant-wide analyses and its sync status
    ANALYTICS_SYNC = "analytics.sync"  # start a warehouse sync of the tenant now (the console's "sync now")
    CONTACT_RULES_MANAGE = "contact_rules.manage"  # the tenant's contact-pressure rules (limits, quiet hours, WeCom cap)


MATRIX: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPERATOR: frozenset(
        {
            Permission.ORG_VIEW,
            Permission.STAFF_MANAGE,
            Permission.CUSTOMERS_VIEW,
            Permission.CUSTOMERS_EDIT,
            Permission.CUSTOMERS_MANAGE,
            Permission.PHONES_VIEW,
            Permission.CHANNELS_VIEW,
            Permission.CHANNELS_MANAGE,
            Permission.ORDERS_VIEW,
            Permission.ORDERS_MANAGE,
            Permission.EVENTS_TRACK,
            Permission.ANALYTICS_VIEW,
            Permission.ANALYTICS_SYNC,
        }
    ),
    Role.STORE_MANAGER: frozenset(
        {
            Permission.ORG_VIEW,
            Permission.STAFF_MANAGE,
            Permission.CUSTOMERS_VIEW,
            Permission.CUSTOMERS_EDIT,
            Permission.CHANNELS_VIEW,
            Permission.ORDERS_VIEW,
        }
    ),
    Role.GUIDE: frozenset(
        {
            Permission.ORG_VIEW,
            Permission.CUSTOMERS_VIEW,
            Permission.CUSTOMERS_EDIT,
            Permission.CHANNELS_VIEW,
            Permission.ORDERS_VIEW,
        }
    ),
}

# Which roles each role may give to a staff member, user or API token.
ASSIGNABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.OPERATOR: frozenset({Role.OPERATOR, Role.STORE_MANAGER, Role.GUIDE}),
    Role.STORE_MANAGER: frozenset({Role.GUIDE}),
    Role.GUIDE: frozenset(),
}

# What each role sees of tenant data (the row scope), in words, for the docs.
SCOPE_RULES: dict[Role, str] = {
    Role.ADMIN: "the whole tenant",
    Role.OPERATOR: "the whole tenant",
    Role.STORE_MANAGER: "their own store: its staff and the customers those staff follow",
    Role.GUIDE: "themselves, their store, and the customers they follow",
}


@dataclass(frozen=True, slots=True)
class Scope:
    """The rows an actor may see. ``None`` means no restriction on that axis."""

    tenant_id: int
    store_id: int | None = None
    staff_id: int | None = None

    @property
    def whole_tenant(self) -> bool:
        return self.store_id is None and self.staff_id is None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: a signed-in user or an API token, always inside one tenant."""

    tenant_id: int
    role: Role
    user_id: int | None = None
    token_id: int | None = None
    staff_id: int | None = None
    store_id: int | None = None
    name: str = ""

    def can(self, permission: Permission) -> bool:
        return permission in MATRIX[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied("permission.denied", "the %(role)s role may not do %(permission)s", role=self.role.value,
                                   permission=permission.value)

    def require_assignable(self, role: Role) -> None:
        if role not in ASSIGNABLE_ROLES[self.role]:
            raise PermissionDenied("permission.role_not_assignable", "the %(role)s role may not give the %(given)s role",
                                   role=self.role.value, given=role.value)

    @property
    def scope(self) -> Scope:
        # A store-scoped actor missing its store or staff link sees nothing, never everything.
        if self.role is Role.GUIDE:
            return Scope(self.tenant_id, store_id=self.store_id or -1, staff_id=self.staff_id or -1)
        if self.role is Role.STORE_MANAGER:
            return Scope(self.tenant_id, store_id=self.store_id or -1)
        return Scope(self.tenant_id)
