"""Random secrets handed to people or machines once, and the hashes we keep of them.

Session and API tokens carry 256 bits of randomness, so a plain SHA-256 is the right hash
(a slow password hash buys nothing against a search space that size).
"""

from __future__ import annotations

import hashlib
import secrets as _random


def new_token(prefix: str) -> str:
    return f"{prefix}_{_random.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
