from datetime import UTC, datetime, timedelta

import pytest

from siyu.domain.access import Role
from siyu.domain.accounts import FailedSignIn, User, check_password_strength, clean_login
from siyu.domain.errors import InvalidInput

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LOCK = timedelta(minutes=15)


def _user(failed: int = 0, locked_until: datetime | None = None) -> User:
    return User(
        id=1, tenant_id=1, login="a@b.c", name="a", role=Role.ADMIN, staff_id=None, locale="zh_CN",
        is_active=True, failed_logins=failed, locked_until=locked_until, created_at=NOW,
    )


def test_failures_below_the_threshold_only_count():
    result = FailedSignIn.after(_user(failed=3), now=NOW, max_failures=5, lockout=LOCK)
    assert result == FailedSignIn(failed_logins=4, locked_until=None)


def test_the_fifth_failure_locks_for_the_lockout_period():
    result = FailedSignIn.after(_user(failed=4), now=NOW, max_failures=5, lockout=LOCK)
    assert result == FailedSignIn(failed_logins=0, locked_until=NOW + LOCK)


def test_after_a_lock_runs_out_the_count_starts_again():
    user = _user(failed=0, locked_until=NOW - timedelta(seconds=1))
    assert not user.is_locked(NOW)
    assert FailedSignIn.after(user, now=NOW, max_failures=5, lockout=LOCK).failed_logins == 1


def test_locked_user_is_locked_until_the_instant():
    user = _user(locked_until=NOW + timedelta(seconds=1))
    assert user.is_locked(NOW)
    assert not user.is_locked(NOW + timedelta(seconds=1))


@pytest.mark.parametrize("password", ["short1", "onlyletterslong", "12345678901"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(InvalidInput):
        check_password_strength(password)


def test_logins_are_lowercased_and_trimmed():
    assert clean_login("  Admin@Brand.CN ") == "admin@brand.cn"
