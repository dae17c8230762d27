"""Identities: the keys by which a brand knows one person (OneID).

Every identity kind here is a *strong* key: two records that share one are the same person,
so resolution attaches or merges on them. Weak evidence (same name in the same store, a phone
number one digit apart) never merges by itself; it only proposes possible duplicates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from siyu.domain.errors import InvalidInput
from siyu.domain.phones import normalise_mobile


class IdentityKind(StrEnum):
    WECOM_EXTERNAL = "wecom_external"  # WeCom external_userid (one per corp)
    UNIONID = "unionid"  # WeChat Open Platform unionid
    OPENID = "openid"  # mini-program / official-account openid
    PHONE = "phone"
    EMAIL = "email"
    MEMBER_NO = "member_no"  # the mall's or CRM's member number
    POS_ID = "pos_id"  # a store POS customer id


class IdentitySource(StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    API = "api"
    WECOM = "wecom"
    ORDER = "order"
    DEMO = "demo"


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_OPAQUE = re.compile(r"[A-Za-z0-9_\-.@:=+/]{2,128}")


@dataclass(frozen=True, slots=True, order=True)
class IdentityKey:
    kind: IdentityKind
    value: str

    @classmethod
    def parse(cls, kind: str, raw: str) -> IdentityKey:
        try:
            parsed = IdentityKind(kind)
        except ValueError:
            raise InvalidInput("identity.unknown_kind", "unknown identity kind “%(kind)s”", field="kind", kind=kind) from None
        return cls(parsed, normalise_identity(parsed, raw))

    def masked(self) -> str:
        if self.kind is IdentityKind.PHONE:
            return self.value[:3] + "****" + self.value[-4:]
        if self.kind is IdentityKind.EMAIL:
            name, _, domain = self.value.partition("@")
            return name[:1] + "***@" + domain
        return self.value


def normalise_identity(kind: IdentityKind, raw: str) -> str:
    value = raw.strip()
    if kind is IdentityKind.PHONE:
        return normalise_mobile(value, field=kind.value)
    if kind is IdentityKind.EMAIL:
        value = value.lower()
        if not _EMAIL.fullmatch(value) or len(value) > 128:
            raise InvalidInput("email.invalid", "“%(value)s” is not an email address", field=kind.value, value=raw)
        return value
    if kind is IdentityKind.MEMBER_NO or kind is IdentityKind.POS_ID:
        value = value.upper()
        if not 1 <= len(value) <= 64 or not re.fullmatch(r"[A-Z0-9_\-]+", value):
            raise InvalidInput("identity.invalid_code", "“%(value)s” is not a valid %(kind)s (letters, digits, _ -)", field=kind.value,
                               value=raw, kind=kind.value)
        return value
    if not _OPAQUE.fullmatch(value):
        raise InvalidInput("identity.invalid", "“%(value)s” is not a valid %(kind)s", field=kind.value, value=raw, kind=kind.value)
    return value
