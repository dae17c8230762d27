"""Sign-in for people (password -> session cookie) and machines (API tokens).

Both end in an :class:`Actor`, the only thing the rest of the services look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.config import Settings
from siyu.domain.access import Actor, Role, Scope
from siyu.domain.accounts import FailedSignIn, User
from siyu.domain.errors import AccountLocked, AuthenticationFailed
from siyu.domain.organisation import StaffStatus
from siyu.services.clock import utcnow
from siyu.services.passwords import burn_verification, verify_password
from siyu.services.credentials import new_token, token_hash

TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SignedIn:
    session_token: str
    expires_at: datetime
    user: User


def sign_in(
    uow: SqlUnitOfWork,
    settings: Settings,
    login: str,
    password: str,
    *,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> SignedIn:
    now = now or utcnow()
    wrong = AuthenticationFailed("auth.wrong_password", "wrong login or password")
    with uow:
        found = uow.users.find_by_login(login.strip().lower())
        if found is None:
            burn_verification(password)
            raise wrong
        user, password_hash = found
        if user.is_locked(now):
            raise AccountLocked("auth.locked", "too many failed sign-ins; try again later", until=user.locked_until)
        if not verify_password(password_hash, password):
            failure = FailedSignIn.after(
                user,
                now=now,
                max_failures=settings.login_max_failures,
                lockout=timedelta(seconds=settings.login_lockout_seconds),
            )
            uow.users.update(user.tenant_id, user.id, failed_logins=failure.failed_logins, locked_until=failure.locked_until)
            uow.commit()
            if failure.locked_until is not None:
                raise AccountLocked("auth.locked", "too many failed sign-ins; try again later", until=failure.locked_until)
            raise wrong
        if not user.is_active:
            raise AuthenticationFailed("auth.disabled", "this account is disabled")
        token = new_token("sys")
        expires_at = now + timedelta(seconds=settings.session_max_age_seconds)
        uow.users.update(user.tenant_id, user.id, failed_logins=0, locked_until=None)
        uow.sessions.add(
            tenant_id=user.tenant_id,
            user_id=user.id,
            token_hash=token_hash(token),
            now=now,
            expires_at=expires_at,
            user_agent=user_agent,
        )
        uow.commit()
    return SignedIn(session_token=token, expires_at=expires_at, user=user)


def sign_out(uow: SqlUnitOfWork, session_token: str) -> None:
    with uow:
        uow.sessions.remove(token_hash(session_token))
        uow.commit()


def actor_for_session(uow: SqlUnitOfWork, session_token: str, *, now: datetime | None = None) -> tuple[Actor, User]:
    now = now or utcnow()
    with uow:
        found = uow.sessions.find(token_hash(session_token), now)
        if found is None:
            raise AuthenticationFailed("auth.signed_out", "please sign in")
        tenant_id, user_id = found
        user = uow.users.get(Scope(tenant_id), user_id)
        if user is None or not user.is_active:
            raise AuthenticationFailed("auth.disabled", "this account is disabled")
        store_id = None
        if user.staff_id is not None:
            member = uow.staff.get(Scope(tenant_id), user.staff_id)
            if member is None or member.status is StaffStatus.RESIGNED:
                raise AuthenticationFailed("auth.disabled", "this account is disabled")
            store_id = member.store_id
    actor = Actor(
        tenant_id=user.tenant_id,
        role=user.role,
        user_id=user.id,
        staff_id=user.staff_id,
        store_id=store_id,
        name=user.name,
    )
    return actor, user


def actor_for_api_token(uow: SqlUnitOfWork, token: str, *, now: datetime | None = None) -> Actor:
    now = now or utcnow()
    with uow:
        found = uow.tokens.find_active_by_hash(token_hash(token))
        if found is None:
            raise AuthenticationFailed("auth.bad_token", "unknown or revoked API token")
        if found.last_used_at is None or now - found.last_used_at > TOKEN_TOUCH_INTERVAL:
            uow.tokens.touch(found.id, now)
            uow.commit()
    return Actor(tenant_id=found.tenant_id, role=found.role, token_id=found.id, name=f"token:{found.name}")


def system_actor(tenant_id: int) -> Actor:
    """The actor for work the product does by itself (CLI set-up, demo loading, the worker)."""
    return Actor(tenant_id=tenant_id, role=Role.ADMIN, name="system")
