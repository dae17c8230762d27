"""Tags (corp tags) in groups, and lifecycle stages: names and their rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from siyu.domain.errors import InvalidInput

NAME_MAX = 30  # WeCom's limit for corp tag and group names
MAX_TAGS = 3000  # WeCom's limit of corp tags per corp


def clean_label(value: str, *, field: str = "name") -> str:
    name = " ".join(value.split())
    if not name:
        raise InvalidInput("name.required", "a name is required", field=field)
    if len(name) > NAME_MAX:
        raise InvalidInput("name.too_long", "at most %(max)s characters", field=field, max=NAME_MAX)
    return name


@dataclass(frozen=True, slots=True)
class TagGroup:
    id: int
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Tag:
    id: int
    group_id: int
    group_name: str
    name: str
    position: int

    @property
    def label(self) -> str:
        return f"{self.group_name}/{self.name}"


@dataclass(frozen=True, slots=True)
class AppliedTag:
    tag: Tag
    source: str
    applied_by: str | None
    applied_at: datetime


@dataclass(frozen=True, slots=True)
class Stage:
    id: int
    name: str
    position: int


DEFAULT_STAGES = ("新客", "意向", "首购", "复购", "忠诚", "沉睡")


@dataclass(frozen=True)
class RuleTags:
    """What a rule wants of a machine-owned tag group: its tag names, and for each customer the
    one tag of them they should carry (a customer not in ``wanted`` carries none)."""

    group: str
    names: tuple[str, ...]
    wanted: Mapping[int, str]
