"""Password hashing with argon2id (argon2-cffi's PasswordHasher, RFC 9106 defaults)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@lru_cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password-0")


def burn_verification(password: str) -> None:
    """Spend the time of a real check, so an unknown login answers as slowly as a known one."""
    verify_password(_dummy_hash(), password)
