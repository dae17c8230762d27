"""Console users, sign-in lock-out, and API tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from siyu.domain.access import Role
from siyu.domain.errors import InvalidInput

_LOGIN = re.compile(r"[A-Za-z0-9_.+\-@]{3,120}")
MIN_PASSWORD_LENGTH = 10


def clean_login(value: str) -> str:
    login = value.strip().lower()
    if not _LOGIN.fullmatch(login):
        raise InvalidInput("user.invalid_login", "3-120 letters, digits or _ . + - @", field="login")
    return login


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password.too_short", "at least %(min)s characters", field="password", min=MIN_PASSWORD_LENGTH)
    if password.isdigit() or password.isalpha():
        raise InvalidInput("password.too_simple", "mix letters with digits or symbols", field="password")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    tenant_id: int
    login: str
    name: str
    role: Role
    staff_id: int | None
    locale: str
    is_active: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True, slots=True)
class FailedSignIn:
    """What a wrong password does to the account: count it, and lock at the threshold."""

    failed_logins: int
    locked_until: datetime | None

    @classmethod
    def after(cls, user: User, *, now: datetime, max_failures: int, lockout: timedelta) -> FailedSignIn:
        # A lock that has run out starts a fresh count.
        count = 1 if user.locked_until is not None and user.locked_until <= now else user.failed_logins + 1
        if count >= max_failures:
            return cls(failed_logins=0, locked_until=now + lockout)
        return cls(failed_logins=count, locked_until=None)


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    tenant_id: int
    name: str
    prefix: str
    role: Role
    created_by: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
