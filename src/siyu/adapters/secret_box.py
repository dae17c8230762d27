"""Sealing secrets kept in the database (a tenant's WeCom secrets) with the app's secret key.

Fernet from ``cryptography`` (AES-128-CBC + HMAC-SHA256, with a timestamp) under a key derived
from ``SIYU_SECRET_KEY`` with HKDF-SHA256, so a database dump or backup alone does not give
the secrets away. Changing ``SIYU_SECRET_KEY`` makes the sealed values unreadable: the admin
enters the WeCom secrets again (the error says so).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siyu.domain.errors import InvalidInput


class SecretBox:
    def __init__(self, secret_key: str, *, purpose: bytes = b"siyu tenant secrets v1") -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def __repr__(self) -> str:
        return "SecretBox(…)"

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, sealed: str, *, field: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise InvalidInput(
                "wecom.secret_unreadable", "a stored WeCom secret cannot be read with this server's SIYU_SECRET_KEY (was the key changed?); "
                "enter it again under WeCom settings", field=field,
            ) from None
