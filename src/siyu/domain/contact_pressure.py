"""Contact pressure (触达频控): the rule that protects the relationship.

A tenant sets, once, how often any customer may be reached across every send (mass sends,
journeys, moments): at most N messages a day, a week and a month (each limit optional),
never during quiet hours, never after the customer opted out, and never past WeCom's own
per-customer mass-send cap (shared/reference/wecom.md, "Per-customer cap"), so no mass send
comes back with status 3 ("customer already received a mass message").

**Periods are Shanghai calendar periods, not rolling windows.** A day is a Shanghai calendar
day (00:00-24:00 UTC+8), a week is a Monday-to-Sunday Shanghai week, a month a Shanghai
calendar month. That is what an operator means by "twice a week", and it is how WeCom counts
its own cap (per natural day / week / month). A message at 23:59 and one at 00:01 Shanghai time
are on two days even though they are two minutes apart (and, 16:00 UTC being midnight in
Shanghai, a UTC date says nothing about it). A period counts every message recorded in it,
before or after ``at``, so a send scheduled for later in the day is screened against the day
it will go out in.

**Precedence** (the one reason reported when several apply, first wins):

1. ``opted_out``: the customer's own choice, permanent until removed; nothing else matters.
2. ``quiet_hours``: the moment is wrong, not the customer; the same send later may pass.
3. ``capped_day``, 4. ``capped_week``, 5. ``capped_month``: the tenant's own limits, the
   narrowest period first (the one that frees up soonest).
6. ``wecom_cap``: WeCom's cap, checked only for WeCom mass messages (``wecom_mass``), and only
   counting earlier messages that counted towards it (``counts_toward_wecom_cap``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from siyu.domain.days import SHANGHAI, day_start_utc, today_in_shanghai
from siyu.domain.errors import InvalidInput

MAX_LIMIT = 1000  # messages per period a tenant may allow at most (beyond that a limit protects nobody)


class ExclusionReason(StrEnum):
    """Why a customer may not get a message now, in order of precedence (see the module doc)."""

    OPTED_OUT = "opted_out"
    QUIET_HOURS = "quiet_hours"
    CAPPED_DAY = "capped_day"
    CAPPED_WEEK = "capped_week"
    CAPPED_MONTH = "capped_month"
    WECOM_CAP = "wecom_cap"


class WeComCap(StrEnum):
    """Which per-customer cap the tenant's WeCom admin chose (WeCom doc 92135)."""

    MONTH = "month"  # the default: as many mass messages a month as the month has days
    WEEK = "week"  # 7 a week
    DAY = "day"  # 1 a day


class OptOutSource(StrEnum):
    MANUAL = "manual"  # a person in the console
    IMPORT = "import"  # a customer import carried the flag
    CUSTOMER_REQUEST = "customer_request"  # the customer asked (recorded by staff)
    API = "api"


def _local(at: datetime) -> datetime:
    """``at`` as a naive Shanghai wall-clock time."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given to contact pressure; pass an aware UTC time")
    return at.astimezone(UTC).replace(tzinfo=None) + SHANGHAI


def _aware(naive_utc: datetime) -> datetime:
    return naive_utc.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span ``[start, end)`` of aware UTC instants."""

    start: datetime
    end: datetime

    def __contains__(self, at: datetime) -> bool:
        return self.start <= at < self.end


def day_of(at: datetime) -> Period:
    day = today_in_shanghai(at)
    return Period(_aware(day_start_utc(day)), _aware(day_start_utc(day + timedelta(days=1))))


def week_of(at: datetime) -> Period:
    """The Monday-to-Sunday Shanghai week holding ``at``."""
    day = today_in_shanghai(at)
    monday = day - timedelta(days=day.weekday())
    return Period(_aware(day_start_utc(monday)), _aware(day_start_utc(monday + timedelta(days=7))))


def month_of(at: datetime) -> Period:
    day = today_in_shanghai(at)
    first = date(day.year, day.month, 1)
    following = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return Period(_aware(day_start_utc(first)), _aware(day_start_utc(following)))


@dataclass(frozen=True, slots=True)
class Periods:
    """The periods around one instant that the rules count messages in."""

    day: Period
    week: Period
    month: Period
    wecom: Period
    wecom_limit: int

    @property
    def span(self) -> Period:
        """The smallest span holding every period: the only messages worth reading."""
        periods = (self.day, self.week, self.month, self.wecom)
        return Period(min(p.start for p in periods), max(p.end for p in periods))


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    """Messages a customer got in each period (``wecom``: only those that count towards WeCom's cap)."""

    day: int = 0
    week: int = 0
    month: int = 0
    wecom: int = 0


@dataclass(frozen=True, slots=True)
class SentMessage:
    sent_at: datetime
    counts_toward_wecom_cap: bool = True


def _minutes(value: time | str | None, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput("contact_rules.time_invalid", "a time is written HH:MM, e.g. 21:30", field=field) from None
    return value.hour * 60 + value.minute


def _limit(value: int | str | None, field: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("contact_rules.limit_invalid", "a limit is a whole number from 1 to %(max)s, or empty for none",
                           field=field, max=MAX_LIMIT) from None
    if not 1 <= number <= MAX_LIMIT:
        raise InvalidInput("contact_rules.limit_invalid", "a limit is a whole number from 1 to %(max)s, or empty for none",
                           field=field, max=MAX_LIMIT)
    return number


@dataclass(frozen=True, slots=True)
class ContactRules:
    """A tenant's contact-pressure rules. Quiet hours are Shanghai wall-clock minutes of the day,
    ``[quiet_start, quiet_end)``; a start after the end wraps midnight (21:00-08:00)."""

    per_day: int | None = None
    per_week: int | None = None
    per_month: int | None = None
    quiet_start: int | None = None  # minutes after Shanghai midnight
    quiet_end: int | None = None
    wecom_cap: WeComCap = WeComCap.MONTH

    @classmethod
    def parse(cls, *, per_day: int | str | None = None, per_week: int | str | None = None, per_month: int | str | None = None,
              quiet_start: time | str | None = None, quiet_end: time | str | None = None,
              wecom_cap: WeComCap | str = WeComCap.MONTH) -> ContactRules:
        """Rules from what a person typed; each bad value is refused with the field it came from."""
        day, week, month = _limit(per_day, "per_day"), _limit(per_week, "per_week"), _limit(per_month, "per_month")
        start, end = _minutes(quiet_start, "quiet_start"), _minutes(quiet_end, "quiet_end")
        if (start is None) != (end is None):
            raise InvalidInput("contact_rules.quiet_hours_incomplete", "give quiet hours both a start and an end, or neither",
                               field="quiet_end" if end is None else "quiet_start")
        if start is not None and start == end:
            raise InvalidInput("contact_rules.quiet_hours_empty", "quiet hours must end at another time than they start",
                               field="quiet_end")
        for narrow, wide, field in ((day, week, "per_week"), (week, month, "per_month"), (day, month, "per_month")):
            if narrow is not None and wide is not None and wide < narrow:
                raise InvalidInput("contact_rules.limits_inverted",
                                   "a longer period cannot allow fewer messages than a shorter one", field=field)
        try:
            cap = WeComCap(wecom_cap)
        except ValueError:
            raise InvalidInput("contact_rules.wecom_cap_unknown", "the WeCom cap is month, week or day", field="wecom_cap") from None
        return cls(per_day=day, per_week=week, per_month=month, quiet_start=start, quiet_end=end, wecom_cap=cap)

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        if self.quiet_start is None or self.quiet_end is None:
            return None
        return time(self.quiet_start // 60, self.quiet_start % 60), time(self.quiet_end // 60, self.quiet_end % 60)

    def in_quiet_hours(self, at: datetime) -> bool:
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local = _local(at)
        minute = local.hour * 60 + local.minute
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= minute < self.quiet_end
        return minute >= self.quiet_start or minute < self.quiet_end  # wraps midnight

    def quiet_hours_end(self, at: datetime) -> datetime | None:
        """When the quiet hours holding ``at`` end (aware UTC, the first instant that is not quiet),
        or ``None`` when ``at`` is not in quiet hours. A send that must wait waits until then."""
        if not self.in_quiet_hours(at) or self.quiet_end is None:
            return None
        local = _local(at)
        end = local.replace(hour=self.quiet_end // 60, minute=self.quiet_end % 60, second=0, microsecond=0)
        if end <= local:  # 21:30-08:00 seen at 23:00: tomorrow's 08:00
            end += timedelta(days=1)
        return _aware(end - SHANGHAI)

    def periods(self, at: datetime) -> Periods:
        day, week, month = day_of(at), week_of(at), month_of(at)
        if self.wecom_cap is WeComCap.DAY:
            wecom, limit = day, 1
        elif self.wecom_cap is WeComCap.WEEK:
            wecom, limit = week, 7
        else:
            local = today_in_shanghai(at)
            wecom, limit = month, calendar.monthrange(local.year, local.month)[1]
        return Periods(day=day, week=week, month=month, wecom=wecom, wecom_limit=limit)


def count_messages(periods: Periods, sent: Iterable[SentMessage]) -> PeriodCounts:
    """How many of ``sent`` fall in each period (what the database query computes in bulk)."""
    day = week = month = wecom = 0
    for message in sent:
        day += message.sent_at in periods.day
        week += message.sent_at in periods.week
        month += message.sent_at in periods.month
        wecom += message.counts_toward_wecom_cap and message.sent_at in periods.wecom
    return PeriodCounts(day=day, week=week, month=month, wecom=wecom)


def decide(rules: ContactRules, at: datetime, counts: PeriodCounts, *, opted_out: bool, periods: Periods | None = None,
           wecom_mass: bool = True) -> ExclusionReason | None:
    """``None`` when one more message at ``at`` is allowed, else the first reason (in precedence order) it is not."""
    if opted_out:
        return ExclusionReason.OPTED_OUT
    if rules.in_quiet_hours(at):
        return ExclusionReason.QUIET_HOURS
    if rules.per_day is not None and counts.day >= rules.per_day:
        return ExclusionReason.CAPPED_DAY
    if rules.per_week is not None and counts.week >= rules.per_week:
        return ExclusionReason.CAPPED_WEEK
    if rules.per_month is not None and counts.month >= rules.per_month:
        return ExclusionReason.CAPPED_MONTH
    if wecom_mass and counts.wecom >= (periods or rules.periods(at)).wecom_limit:
        return ExclusionReason.WECOM_CAP
    return None


def exclusion(rules: ContactRules, at: datetime, sent: Iterable[SentMessage], *, opted_out: bool,
              wecom_mass: bool = True) -> ExclusionReason | None:
    """The decision for one customer from the messages they got (any period; those outside are ignored)."""
    periods = rules.periods(at)
    return decide(rules, at, count_messages(periods, sent), opted_out=opted_out, periods=periods, wecom_mass=wecom_mass)


@dataclass(frozen=True, slots=True)
class OptOut:
    customer_id: int
    source: OptOutSource
    actor: str
    created_at: datetime
    note: str | None = None
    customer_name: str = ""
