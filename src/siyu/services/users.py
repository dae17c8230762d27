"""Console users: who may sign in, with which role, linked to which staff member."""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission, Role
from siyu.domain.accounts import User, check_password_strength, clean_login
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.organisation import clean_name
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow
from siyu.services.passwords import hash_password

LOCALES = ("zh_CN", "en")


def create_user(
    uow: SqlUnitOfWork,
    actor: Actor,
    *,
    login: str,
    name: str,
    password: str,
    role: Role,
    staff_id: int | None = None,
    locale: str = "zh_CN",
) -> User:
    actor.require(Permission.USERS_MANAGE)
    actor.require_assignable(role)
    login = clean_login(login)
    name = clean_name(name)
    check_password_strength(password)
    if locale not in LOCALES:
        raise InvalidInput("user.unknown_locale", "locale is one of %(locales)s", field="locale", locales=", ".join(LOCALES))
    if role.store_scoped and staff_id is None:
        raise InvalidInput("user.staff_required", "guides and store managers sign in as a staff member", field="staff_id")
    with uow:
        if staff_id is not None and uow.staff.get(actor.scope, staff_id) is None:
            raise InvalidInput("staff.not_found", "no such staff member", field="staff_id")
        if uow.users.find_by_login(login) is not None:
            raise Conflict("user.login_taken", "the login “%(login)s” is taken", field="login", login=login)
        user = uow.users.add(
            actor.tenant_id,
            now=utcnow(),
            login=login,
            name=name,
            password_hash=hash_password(password),
            role=role.value,
            staff_id=staff_id,
            locale=locale,
        )
        uow.commit()
    return user


def list_users(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[User]:
    actor.require(Permission.USERS_MANAGE)
    with uow:
        return uow.users.list(actor.scope, request)


def set_locale(uow: SqlUnitOfWork, actor: Actor, locale: str) -> None:
    """Any signed-in person may choose their own console language."""
    if locale not in LOCALES or actor.user_id is None:
        raise InvalidInput("user.unknown_locale", "locale is one of %(locales)s", field="locale", locales=", ".join(LOCALES))
    with uow:
        if uow.users.get(actor.scope, actor.user_id) is None:
            raise NotFound("user.not_found", "no such user")
        uow.users.update(actor.tenant_id, actor.user_id, locale=locale)
        uow.commit()
