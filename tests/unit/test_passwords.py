from argon2 import PasswordHasher

from siyu.services import passwords


def test_standard_profile_is_argon2id_with_the_library_defaults():
    passwords.configure("standard")
    try:
        made = passwords.hash_password("a-password-1")
        default = PasswordHasher()
        assert made.startswith(f"$argon2id$v=19$m={default.memory_cost},t={default.time_cost},p={default.parallelism}$")
        assert passwords.verify_password(made, "a-password-1")
        assert not passwords.verify_password(made, "a-password-2")
    finally:
        passwords.configure("fast")


def test_hashes_verify_across_profiles():
    passwords.configure("fast")
    fast = passwords.hash_password("a-password-1")
    passwords.configure("standard")
    try:
        assert passwords.verify_password(fast, "a-password-1")
    finally:
        passwords.configure("fast")


def test_a_garbled_hash_never_verifies():
    assert not passwords.verify_password("not-a-hash", "x")
