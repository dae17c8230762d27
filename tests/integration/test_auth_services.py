from datetime import timedelta

import pytest

from siyu.domain.access import Role
from siyu.domain.errors import AccountLocked, AuthenticationFailed, Conflict, InvalidInput, PermissionDenied
from siyu.services import auth, staff, tokens, users
from siyu.services.clock import utcnow
from tests import factories as f


def _user(context, admin, **kwargs):
    login = f"{f.uid()}@brand.cn"
    users.create_user(context.uow(), admin, login=login, name="运营小王", password=f.PASSWORD, role=kwargs.pop("role", Role.OPERATOR), **kwargs)
    return login


def test_sign_in_issues_a_session_that_resolves_to_the_actor(context):
    _, admin = f.tenant(context)
    login = _user(context, admin)
    signed = auth.sign_in(context.uow(), context.settings, login.upper(), f.PASSWORD, user_agent="pytest")
    actor, user = auth.actor_for_session(context.uow(), signed.session_token)
    assert (actor.tenant_id, actor.role, user.login) == (admin.tenant_id, Role.OPERATOR, login)
    auth.sign_out(context.uow(), signed.session_token)
    with pytest.raises(AuthenticationFailed):
        auth.actor_for_session(context.uow(), signed.session_token)


def test_wrong_password_and_unknown_login_fail_alike(context):
    _, admin = f.tenant(context)
    login = _user(context, admin)
    with pytest.raises(AuthenticationFailed) as wrong:
        auth.sign_in(context.uow(), context.settings, login, "not-the-password-1")
    with pytest.raises(AuthenticationFailed) as unknown:
        auth.sign_in(context.uow(), context.settings, "nobody@x.cn", "not-the-password-1")
    assert wrong.value.message == unknown.value.message


def test_repeated_failures_lock_the_account_until_the_lock_runs_out(context):
    _, admin = f.tenant(context)
    login = _user(context, admin)
    now = utcnow()
    for _ in range(context.settings.login_max_failures - 1):
        with pytest.raises(AuthenticationFailed) as caught:
            auth.sign_in(context.uow(), context.settings, login, "wrong-password-1", now=now)
        assert not isinstance(caught.value, AccountLocked)
    with pytest.raises(AccountLocked):
        auth.sign_in(context.uow(), context.settings, login, "wrong-password-1", now=now)
    with pytest.raises(AccountLocked):  # even the right password is refused while locked
        auth.sign_in(context.uow(), context.settings, login, f.PASSWORD, now=now + timedelta(minutes=1))
    later = now + timedelta(seconds=context.settings.login_lockout_seconds + 1)
    assert auth.sign_in(context.uow(), context.settings, login, f.PASSWORD, now=later).session_token


def test_expired_sessions_do_not_resolve(context):
    _, admin = f.tenant(context)
    login = _user(context, admin)
    signed = auth.sign_in(context.uow(), context.settings, login, f.PASSWORD)
    with pytest.raises(AuthenticationFailed):
        auth.actor_for_session(context.uow(), signed.session_token, now=signed.expires_at + timedelta(seconds=1))


def test_resigning_a_staff_member_ends_their_console_access(context):
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    member = f.member(context, admin, store_id=shop.id)
    login = _user(context, admin, role=Role.GUIDE, staff_id=member.id)
    signed = auth.sign_in(context.uow(), context.settings, login, f.PASSWORD)
    actor, _ = auth.actor_for_session(context.uow(), signed.session_token)
    assert (actor.staff_id, actor.store_id) == (member.id, shop.id)
    staff.resign_staff(context.uow(), admin, member.id)
    with pytest.raises(AuthenticationFailed):
        auth.actor_for_session(context.uow(), signed.session_token)
    with pytest.raises(AuthenticationFailed, match="disabled"):
        auth.sign_in(context.uow(), context.settings, login, f.PASSWORD)


def test_user_creation_rules(context):
    _, admin = f.tenant(context)
    login = _user(context, admin)
    with pytest.raises(Conflict):
        _user_with_login(context, admin, login)
    with pytest.raises(InvalidInput) as caught:
        users.create_user(context.uow(), admin, login="g@x.cn", name="g", password=f.PASSWORD, role=Role.GUIDE)
    assert caught.value.field == "staff_id"
    operator = f.user_actor(context, admin, role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        users.create_user(context.uow(), operator, login="o@x.cn", name="o", password=f.PASSWORD, role=Role.OPERATOR)


def _user_with_login(context, admin, login):
    users.create_user(context.uow(), admin, login=login, name="dup", password=f.PASSWORD, role=Role.OPERATOR)


def test_passwords_are_stored_as_argon2id_hashes(context):
    _, admin = f.tenant(context)
    login = _user(context, admin)
    with context.uow() as uow:
        _, password_hash = uow.users.find_by_login(login)
    assert password_hash.startswith("$argon2id$") and f.PASSWORD not in password_hash


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(context):
    _, admin = f.tenant(context)
    issued = tokens.create_api_token(context.uow(), admin, name="mall-sync")
    with context.session_factory() as session:
        stored = session.execute(
            __import__("sqlalchemy").text("SELECT token_hash FROM api_tokens WHERE id = :id"), {"id": issued.token.id}
        ).scalar_one()
    assert issued.secret not in stored and len(stored) == 64
    actor = auth.actor_for_api_token(context.uow(), issued.secret)
    assert (actor.tenant_id, actor.role, actor.token_id) == (admin.tenant_id, Role.OPERATOR, issued.token.id)
    tokens.revoke_api_token(context.uow(), admin, issued.token.id)
    with pytest.raises(AuthenticationFailed):
        auth.actor_for_api_token(context.uow(), issued.secret)


def test_tokens_cannot_carry_store_roles(context):
    _, admin = f.tenant(context)
    with pytest.raises(InvalidInput):
        tokens.create_api_token(context.uow(), admin, name="x", role=Role.GUIDE)
