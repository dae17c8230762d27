"""Contact ways (渠道活码): who a channel's code hands new customers to, and when.

WeCom does not say how it spreads adds over a multi-user way, and it knows nothing of
schedules, caps or weights. So Siyu decides: :meth:`ContactWay.pick_staff` names the one staff
member the code should hand the next customer to, and the service re-binds the way's user
list (``update_contact_way``) to that person after every add and on a schedule (a staff
member's hours start or end, a cap is reached).

Rules, in order:

1. A staff member is *eligible* when today (Asia/Shanghai) is one of their weekdays, the hour
   is inside their hours, and their adds today are under their daily cap.
2. Among the eligible non-fallback staff, ``round_robin`` picks the one with the fewest adds
   today (ties: list order) and ``weighted`` the one with the fewest adds per unit of weight
   (a smooth weighted rotation: weights 2:1 give two adds to one for each add to the other).
3. When nobody is eligible (all capped or off schedule), the fallback staff take over, under
   the same rotation, their own schedule and cap ignored: a live code is printed on posters
   and may never lead nowhere.
4. With no fallback either, the primary staff member with the fewest adds today keeps the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from siyu.domain.channels import clean_state
from siyu.domain.errors import InvalidInput
from siyu.domain.organisation import clean_name

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0, as datetime.weekday()
MAX_STAFF = 100  # WeCom: at most 100 users on a way
REMARK_TEMPLATE_MAX = 40
PLACEHOLDERS = ("{customer_name}", "{staff_name}", "{channel_name}")


class WayKind(StrEnum):
    SINGLE = "single"  # one staff member (WeCom type 1)
    MULTI = "multi"  # several, rotated (WeCom type 2)


class Rotation(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"


@dataclass(frozen=True, slots=True)
class StaffRule:
    """One staff member on a way: their weight, days, hours (start <= hour < end) and cap."""

    staff_id: int
    weight: int = 1
    weekdays: tuple[int, ...] = ALL_WEEKDAYS
    start_hour: int = 0
    end_hour: int = 24
    daily_cap: int | None = None
    fallback: bool = False

    @classmethod
    def parse(cls, *, staff_id: int, weight: int = 1, weekdays: list[int] | tuple[int, ...] | None = None, start_hour: int = 0,
              end_hour: int = 24, daily_cap: int | None = None, fallback: bool = False) -> StaffRule:
        if not 1 <= weight <= 100:
            raise InvalidInput("contact_way.bad_weight", "a weight is 1 to 100", field="staff")
        days = tuple(sorted(set(ALL_WEEKDAYS if weekdays is None else weekdays)))
        if not days or any(d not in ALL_WEEKDAYS for d in days):
            raise InvalidInput("contact_way.bad_weekdays", "weekdays are 0 (Monday) to 6 (Sunday), at least one", field="staff")
        if not 0 <= start_hour < end_hour <= 24:
            raise InvalidInput("contact_way.bad_hours", "hours run from 0 to 24 and start before they end", field="staff")
        if daily_cap is not None and daily_cap < 1:
            raise InvalidInput("contact_way.bad_cap", "a daily cap is at least 1 (leave it empty for no cap)", field="staff")
        return cls(staff_id, weight, days, start_hour, end_hour, daily_cap, fallback)

    def on_schedule(self, now: datetime) -> bool:
        local = now.astimezone(SHANGHAI)
        return local.weekday() in self.weekdays and self.start_hour <= local.hour < self.end_hour

    def capped(self, adds_today: int) -> bool:
        return self.daily_cap is not None and adds_today >= self.daily_cap

    def as_dict(self) -> dict[str, object]:
        return {"staff_id": self.staff_id, "weight": self.weight, "weekdays": list(self.weekdays), "start_hour": self.start_hour,
                "end_hour": self.end_hour, "daily_cap": self.daily_cap, "fallback": self.fallback}


@dataclass(frozen=True, slots=True)
class ContactWayDraft:
    """What a person enters for a contact way; checked here, before anything is stored or sent."""

    channel_id: int
    name: str
    state: str
    kind: WayKind
    rotation: Rotation
    staff: tuple[StaffRule, ...]
    skip_verify: bool = True
    tag_ids: tuple[int, ...] = ()
    remark_template: str | None = None
    stage_id: int | None = None

    @classmethod
    def parse(cls, *, channel_id: int, name: str, state: str, kind: str = "multi", rotation: str = "round_robin",
              staff: list[StaffRule] | tuple[StaffRule, ...] = (), skip_verify: bool = True, tag_ids: list[int] | tuple[int, ...] = (),
              remark_template: str | None = None, stage_id: int | None = None) -> ContactWayDraft:
        try:
            way_kind, way_rotation = WayKind(kind), Rotation(rotation)
        except ValueError:
            raise InvalidInput("contact_way.bad_kind", "kind is single or multi; rotation is round_robin or weighted",
                               field="kind") from None
        rules = tuple(staff)
        ids = [r.staff_id for r in rules]
        if not rules:
            raise InvalidInput("contact_way.no_staff", "a contact way needs at least one staff member", field="staff")
        if len(set(ids)) != len(ids):
            raise InvalidInput("contact_way.staff_twice", "a staff member is on the way twice", field="staff")
        if len(rules) > MAX_STAFF:
            raise InvalidInput("contact_way.too_many_staff", "at most %(max)s staff members on a way", field="staff", max=MAX_STAFF)
        if way_kind is WayKind.SINGLE and len(rules) != 1:
            raise InvalidInput("contact_way.single_one_staff", "a single-staff way has exactly one staff member", field="staff")
        if all(r.fallback for r in rules):
            raise InvalidInput("contact_way.only_fallback", "at least one staff member must not be a fallback", field="staff")
        template = (remark_template or "").strip() or None
        if template is not None and len(template) > REMARK_TEMPLATE_MAX:
            raise InvalidInput("name.too_long", "at most %(max)s characters", field="remark_template", max=REMARK_TEMPLATE_MAX)
        return cls(channel_id, clean_name(name), clean_state(state), way_kind, way_rotation, rules, skip_verify,
                   tuple(dict.fromkeys(tag_ids)), template, stage_id)


@dataclass(frozen=True, slots=True)
class ContactWay:
    id: int
    channel_id: int
    name: str
    state: str
    kind: WayKind
    rotation: Rotation
    staff: tuple[StaffRule, ...]
    skip_verify: bool
    tag_ids: tuple[int, ...]
    remark_template: str | None
    stage_id: int | None
    config_id: str | None = None
    qr_code: str | None = None
    bound_staff_ids: tuple[int, ...] = field(default_factory=tuple)
    bound_at: datetime | None = None
    archived_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def eligible(self, now: datetime, adds_today: dict[int, int]) -> list[StaffRule]:
        """The non-fallback staff who may take a customer now (schedule and cap)."""
        return [r for r in self.staff if not r.fallback and r.on_schedule(now) and not r.capped(adds_today.get(r.staff_id, 0))]

    def pick_staff(self, now: datetime, adds_today: dict[int, int]) -> int:
        """The staff member the code should hand the next customer to (see the module doc)."""
        pool = self.eligible(now, adds_today) or [r for r in self.staff if r.fallback]
        if not pool:
            pool = [min(self.staff, key=lambda r: adds_today.get(r.staff_id, 0))]
        if self.rotation is Rotation.WEIGHTED:
            # smallest (adds + 1) / weight: who is furthest behind their share after one more add
            return min(pool, key=lambda r: (adds_today.get(r.staff_id, 0) + 1) / r.weight).staff_id
        return min(pool, key=lambda r: adds_today.get(r.staff_id, 0)).staff_id

    def fill_remark(self, *, customer_name: str, staff_name: str, channel_name: str) -> str | None:
        """The remark WeCom shows for the customer (at most 20 characters)."""
        if not self.remark_template:
            return None
        return fill(self.remark_template, customer_name=customer_name, staff_name=staff_name, channel_name=channel_name)[:20] or None


def fill(template: str, *, customer_name: str, staff_name: str, channel_name: str = "") -> str:
    """Put the names into ``{customer_name}``, ``{staff_name}`` and ``{channel_name}``.

    Plain replacement, not ``str.format``: a brace a person typed stays as it is."""
    return (template.replace("{customer_name}", customer_name).replace("{staff_name}", staff_name)
            .replace("{channel_name}", channel_name))
