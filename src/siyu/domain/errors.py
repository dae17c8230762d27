"""Errors raised by the domain and services; the API and console map each to one HTTP code."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: something a person can read and act on."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it exists (another tenant)."""

    code = "not_found"


class PermissionDenied(DomainError):
    """The actor is known but their role does not allow this action."""

    code = "permission_denied"


class InvalidInput(DomainError):
    """Input that breaks a rule; ``field`` names the offending field when there is one."""

    code = "invalid"


class Conflict(DomainError):
    """The change clashes with existing data (a duplicate name, a stale version)."""

    code = "conflict"


class AuthenticationFailed(DomainError):
    """Wrong credentials, unknown, revoked or expired token or session."""

    code = "unauthenticated"


class AccountLocked(AuthenticationFailed):
    """Too many failed sign-ins; the account is locked until ``until``."""

    code = "locked"

    def __init__(self, message: str, *, until: object) -> None:
        super().__init__(message)
        self.until = until


class Unavailable(DomainError):
    """A resource is busy or down for a moment (the analytics warehouse during a sync): retry."""

    code = "unavailable"
