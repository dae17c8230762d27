"""Customers (external contacts): profile, staff relations, lifecycle, and the merge rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any

from siyu.domain.errors import InvalidInput
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.organisation import clean_name


class Gender(IntEnum):
    UNKNOWN = 0
    MALE = 1
    FEMALE = 2

    @classmethod
    def parse(cls, raw: str | int | None) -> Gender:
        if raw is None or raw == "":
            return cls.UNKNOWN
        text = str(raw).strip().lower()
        for gender, words in _GENDER_WORDS.items():
            if text in words:
                return gender
        raise InvalidInput("gender.invalid", "“%(value)s” is not a gender (男/女/未知, male/female, 1/2/0)", field="gender", value=raw)


_GENDER_WORDS = {
    Gender.UNKNOWN: {"0", "未知", "unknown", "u", ""},
    Gender.MALE: {"1", "男", "male", "m", "先生"},
    Gender.FEMALE: {"2", "女", "female", "f", "女士"},
}


class RelationState(StrEnum):
    ACTIVE = "active"
    DELETED_BY_CUSTOMER = "deleted_by_customer"  # the customer deleted the staff member
    DELETED_BY_STAFF = "deleted_by_staff"  # the staff member deleted the customer
    TRANSFERRED = "transferred"  # handed to another staff member
    ENDED = "ended"  # WeCom no longer reports it (found by a sync); who ended it is unknown


class TagSource(StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    CHANNEL = "channel"
    RULE = "rule"
    WECOM_SYNC = "wecom_sync"


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    tenant_id: int
    name: str
    gender: Gender
    avatar: str | None
    birthday: date | None
    region: str | None
    stage_id: int | None
    owner_staff_id: int | None
    fields: dict[str, Any]
    added_at: datetime
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime
    member_level: str | None = None  # the mall's level, by name (siyu.domain.member_levels)


@dataclass(frozen=True, slots=True)
class Identity:
    id: int
    customer_id: int
    kind: IdentityKind
    value: str
    source: str
    created_at: datetime

    @property
    def key(self) -> IdentityKey:
        return IdentityKey(self.kind, self.value)


@dataclass(frozen=True, slots=True)
class Relation:
    id: int
    customer_id: int
    staff_id: int
    state: RelationState
    added_at: datetime
    add_way: int | None
    channel_state: str | None
    remark: str | None
    description: str | None
    ended_at: datetime | None


CLEARABLE = ("gender", "avatar", "birthday", "region", "member_level")  # a customer always keeps a name (maybe empty)


@dataclass(frozen=True, slots=True)
class Profile:
    """Validated profile input; ``None`` means "leave as it is", and the columns in ``cleared``
    are emptied (gender back to unknown)."""

    name: str | None = None
    gender: Gender | None = None
    avatar: str | None = None
    birthday: date | None = None
    region: str | None = None
    member_level: str | None = None
    cleared: frozenset[str] = frozenset()

    @classmethod
    def parse(
        cls,
        *,
        name: str | None = None,
        gender: str | int | None = None,
        avatar: str | None = None,
        birthday: str | date | None = None,
        region: str | None = None,
        member_level: str | None = None,
        clear_empty: bool = False,
        clear: Iterable[str] = (),
    ) -> Profile:
        """``clear_empty``: an empty value given (``""``, as a form sends an emptied box) clears
        that column instead of leaving it; ``None`` (not given) always leaves it. An import and
        the API leave empty values alone; the console's profile form clears them. ``clear``
        names columns to empty outright (the API's explicit JSON ``null``); a name cannot be."""
        given = {"gender": gender, "avatar": avatar, "birthday": birthday, "region": region, "member_level": member_level}
        cleared = frozenset(k for k, v in given.items() if isinstance(v, str) and not v.strip()) if clear_empty else frozenset()
        for column in sorted(set(clear)):
            if column not in CLEARABLE:
                raise InvalidInput("customer.not_clearable", "“%(column)s” cannot be cleared; send a new value instead",
                                   field=column, column=column)
            if given[column] is not None:
                raise InvalidInput("customer.clear_with_value", "“%(column)s” is given a value and cleared at once",
                                   field=column, column=column)
        cleared |= frozenset(clear)
        return cls(
            name=clean_name(name) if name and name.strip() else None,
            gender=Gender.parse(gender) if gender not in (None, "") else None,
            avatar=avatar.strip()[:500] if avatar and avatar.strip() else None,
            birthday=parse_date(birthday, field="birthday") if birthday not in (None, "") else None,
            region=clean_name(region, field="region") if region and region.strip() else None,
            member_level=clean_name(member_level, field="member_level", max_len=32) if member_level and member_level.strip() else None,
            cleared=cleared,
        )

    def values(self) -> dict[str, Any]:
        """The columns to write: the given values, and the cleared ones as empty."""
        given = {k: v for k, v in (("name", self.name), ("gender", self.gender), ("avatar", self.avatar),
                                   ("birthday", self.birthday), ("region", self.region),
                                   ("member_level", self.member_level)) if v is not None}
        emptied = {k: Gender.UNKNOWN if k == "gender" else None for k in self.cleared if k in CLEARABLE}
        return {**emptied, **given}


def parse_date(raw: str | date, *, field: str) -> date:
    if isinstance(raw, date):
        return raw
    text = raw.strip().replace("/", "-").replace(".", "-")
    for suffix in ("日",):
        text = text.removesuffix(suffix)
    text = text.replace("年", "-").replace("月", "-")
    try:
        parts = [int(p) for p in text.split("-")]
        if len(parts) != 3:
            raise ValueError
        return date(parts[0], parts[1], parts[2])
    except ValueError:
        raise InvalidInput("date.invalid", "“%(value)s” is not a date (YYYY-MM-DD)", field=field, value=raw) from None


@dataclass(frozen=True, slots=True)
class MergeCandidate:
    id: int
    created_at: datetime


def choose_survivor(candidates: list[MergeCandidate]) -> MergeCandidate:
    """The merge rule: the customer the brand has known longest survives (earliest
    ``created_at``; the lower id breaks a tie). Deterministic, whatever order records arrive in."""
    if not candidates:
        raise ValueError("no candidates")
    return min(candidates, key=lambda c: (c.created_at, c.id))


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """One incoming record about a person, from any write path (import, API, WeCom sync)."""

    keys: tuple[IdentityKey, ...]
    profile: Profile = field(default_factory=Profile)
    fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.keys:
            raise InvalidInput("customer.no_identity", "a customer needs at least one identity (phone, unionid, member number ...)",
                               field="identities")
