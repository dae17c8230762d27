"""The brand's organisation: a tenant with regions, stores and staff (WeCom members)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from siyu.domain.access import Role
from siyu.domain.errors import InvalidInput
from siyu.domain.phones import normalise_mobile

# WeCom userids: 1-64 chars of letters, digits, and _ - . @ (case-insensitive in WeCom).
_WECOM_USERID = re.compile(r"[A-Za-z0-9_\-.@]{1,64}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,38}[a-z0-9]")


class StaffStatus(StrEnum):
    ACTIVE = "active"
    RESIGNED = "resigned"


def clean_name(value: str, *, field: str = "name", max_len: int = 64) -> str:
    name = " ".join(value.split())
    if not name:
        raise InvalidInput("name.required", "a name is required", field=field)
    if len(name) > max_len:
        raise InvalidInput("name.too_long", "at most %(max)s characters", field=field, max=max_len)
    return name


def clean_slug(value: str) -> str:
    slug = value.strip().lower()
    if not _SLUG.fullmatch(slug):
        raise InvalidInput(
            "tenant.invalid_slug", "2-40 lowercase letters, digits or dashes, not starting or ending with a dash",
            field="slug",
        )
    return slug


def clean_code(value: str | None, *, field: str = "code") -> str | None:
    code = (value or "").strip()
    if not code:
        return None
    if len(code) > 32 or not re.fullmatch(r"[A-Za-z0-9_\-]+", code):
        raise InvalidInput("store.invalid_code", "at most 32 letters, digits, _ or -", field=field)
    return code


def clean_wecom_userid(value: str) -> str:
    userid = value.strip()
    if not _WECOM_USERID.fullmatch(userid):
        raise InvalidInput("staff.invalid_userid", "a WeCom userid is 1-64 letters, digits or _ - . @", field="wecom_userid")
    return userid


@dataclass(frozen=True, slots=True)
class Tenant:
    id: int
    slug: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Region:
    id: int
    tenant_id: int
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Store:
    id: int
    tenant_id: int
    name: str
    code: str | None
    region_id: int | None
    city: str | None
    address: str | None
    is_open: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Staff:
    id: int
    tenant_id: int
    wecom_userid: str
    name: str
    mobile: str | None
    store_id: int | None
    role: Role
    status: StaffStatus
    resigned_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoreDraft:
    """Validated input for creating or updating a store."""

    name: str
    code: str | None
    region_id: int | None
    city: str | None
    address: str | None
    is_open: bool = True

    @classmethod
    def parse(
        cls,
        *,
        name: str,
        code: str | None = None,
        region_id: int | None = None,
        city: str | None = None,
        address: str | None = None,
        is_open: bool = True,
    ) -> StoreDraft:
        return cls(
            name=clean_name(name),
            code=clean_code(code),
            region_id=region_id,
            city=clean_name(city, field="city") if city and city.strip() else None,
            address=clean_name(address, field="address", max_len=200) if address and address.strip() else None,
            is_open=is_open,
        )


@dataclass(frozen=True, slots=True)
class StaffDraft:
    """Validated input for creating or updating a staff member."""

    wecom_userid: str
    name: str
    mobile: str | None
    store_id: int | None
    role: Role

    @classmethod
    def parse(
        cls,
        *,
        wecom_userid: str,
        name: str,
        mobile: str | None,
        store_id: int | None,
        role: Role | str,
    ) -> StaffDraft:
        try:
            parsed_role = Role(role)
        except ValueError:
            raise InvalidInput("role.unknown", "unknown role “%(role)s”", field="role", role=role) from None
        if parsed_role.store_scoped and store_id is None:
            raise InvalidInput("staff.store_required", "guides and store managers belong to a store", field="store_id")
        return cls(
            wecom_userid=clean_wecom_userid(wecom_userid),
            name=clean_name(name),
            mobile=normalise_mobile(mobile) if mobile and mobile.strip() else None,
            store_id=store_id,
            role=parsed_role,
        )
