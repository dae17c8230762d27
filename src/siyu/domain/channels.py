"""Acquisition channels (渠道) and what they cost per period, for CAC and ROI.

A channel is named by the ``state`` code its contact ways carry: WeCom hands that code back
on every add (``staff_relations.channel_state``), so an add, an order and a cost all meet on
the channel. Costs are entered per channel and period (inclusive business days in
Asia/Shanghai); two entries of one channel may not overlap, or a cost would count twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from siyu.domain.errors import InvalidInput
from siyu.domain.money import parse_money
from siyu.domain.organisation import clean_name

# WeCom's contact-way `state`: at most 30 characters; we keep it to what survives a URL.
_STATE = re.compile(r"[A-Za-z0-9_\-.:]{1,30}")


def clean_state(value: str, *, field: str = "state") -> str:
    state = value.strip()
    if not _STATE.fullmatch(state):
        raise InvalidInput("channel.invalid_state", "a channel code is 1-30 letters, digits or _ - . :", field=field)
    return state


@dataclass(frozen=True, slots=True)
class ChannelDraft:
    name: str
    state: str
    group_name: str | None = None
    owner_staff_id: int | None = None

    @classmethod
    def parse(cls, *, name: str, state: str, group_name: str | None = None, owner_staff_id: int | None = None) -> ChannelDraft:
        group = " ".join((group_name or "").split()) or None
        if group is not None and len(group) > 64:
            raise InvalidInput("name.too_long", "at most %(max)s characters", field="group_name", max=64)
        return cls(name=clean_name(name), state=clean_state(state), group_name=group, owner_staff_id=owner_staff_id)


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    name: str
    state: str
    group_name: str | None
    owner_staff_id: int | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CostDraft:
    period_start: date
    period_end: date
    amount: Decimal
    note: str | None = None

    @classmethod
    def parse(cls, *, period_start: date, period_end: date, amount: object, note: str | None = None) -> CostDraft:
        if period_end < period_start:
            raise InvalidInput("cost.period_reversed", "the period ends before it starts", field="period_end")
        if (period_end - period_start).days > 366:
            raise InvalidInput("cost.period_too_long", "a cost period is at most a year; enter longer spends per month or year",
                               field="period_end")
        value = parse_money(amount, field="amount", allow_zero=True)
        text = (note or "").strip() or None
        if text is not None and len(text) > 200:
            raise InvalidInput("name.too_long", "at most %(max)s characters", field="note", max=200)
        return cls(period_start, period_end, value, text)

    def overlaps(self, start: date, end: date) -> bool:
        return self.period_start <= end and start <= self.period_end


@dataclass(frozen=True, slots=True)
class ChannelCost:
    id: int
    channel_id: int
    period_start: date
    period_end: date
    amount: Decimal
    note: str | None
    created_at: datetime
    updated_at: datetime
