"""Password hashing with argon2id (argon2-cffi's PasswordHasher).

The ``standard`` profile is argon2-cffi's default (RFC 9106's low-memory recommendation).
The ``fast`` profile exists for test suites, which create and sign in hundreds of users; the
settings refuse it in production. Hashes record their own parameters, so a hash made under
one profile verifies under the other.
"""

from __future__ import annotations

from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HashingProfile = Literal["standard", "fast"]
_PROFILES: dict[str, PasswordHasher] = {}
_active: HashingProfile = "standard"


def configure(profile: HashingProfile) -> None:
    global _active
    _active = profile


def _hasher() -> PasswordHasher:
    if _active not in _PROFILES:
        _PROFILES[_active] = PasswordHasher() if _active == "standard" else PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return _PROFILES[_active]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification(password: str) -> None:
    """Spend the time of a real check, so an unknown login answers as slowly as a known one."""
    verify_password(_dummy_hash(), password)


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    if _active not in _DUMMY:
        _DUMMY[_active] = hash_password("not-a-real-password-0")
    return _DUMMY[_active]
