"""Mainland China mobile numbers, normalised to 11 digits.

Accepts ``+86 138 0013 8000``, ``86-13800138000``, ``0086 13800138000``, ``138-0013-8000``.
"""

from __future__ import annotations

import re

from siyu.domain.errors import InvalidInput

_SEPARATORS = re.compile(r"[\s\-().]")
_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalise_mobile(raw: str, *, field: str = "mobile") -> str:
    digits = _SEPARATORS.sub("", raw.strip())
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MOBILE.fullmatch(digits):
        raise InvalidInput("phone.invalid", "“%(value)s” is not a mainland mobile number (11 digits, starting 13-19)", field=field,
                           value=raw)
    return digits


def mask_mobile(mobile: str) -> str:
    """138****8000: what roles without the right to see phone numbers are shown."""
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) == 11 else "****"
