"""Contact-pressure rules: every exclusion reason, their precedence, quiet hours, Shanghai periods.

Every time here is fixed (the decision is a pure function of ``at``): the clock is frozen by
construction. 2026-12-02 is a Wednesday; Shanghai is UTC+8, so Shanghai midnight is 16:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from siyu.domain.contact_pressure import (
    ContactRules,
    ExclusionReason,
    PeriodCounts,
    SentMessage,
    WeComCap,
    count_messages,
    decide,
    exclusion,
)
from siyu.domain.errors import InvalidInput

R = ExclusionReason


def sh(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as the aware UTC instant it is."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


NOON = sh(2026, 12, 2, 12)  # Wednesday noon in Shanghai


def sent(*times: datetime, wecom: bool = True) -> list[SentMessage]:
    return [SentMessage(t, wecom) for t in times]


def test_no_rules_and_no_history_allows_the_message():
    assert exclusion(ContactRules(), NOON, [], opted_out=False) is None


def test_opted_out_customer_is_excluded_even_with_no_rules():
    assert exclusion(ContactRules(), NOON, [], opted_out=True) is R.OPTED_OUT


def test_day_limit_counts_the_shanghai_day_only():
    rules = ContactRules(per_day=2)
    assert exclusion(rules, NOON, sent(sh(2026, 12, 2, 9)), opted_out=False) is None
    assert exclusion(rules, NOON, sent(sh(2026, 12, 2, 0, 1), sh(2026, 12, 2, 9)), opted_out=False) is R.CAPPED_DAY
    # 23:59 the day before is another Shanghai day
    assert exclusion(rules, NOON, sent(sh(2026, 12, 1, 23, 59), sh(2026, 12, 2, 9)), opted_out=False) is None


def test_shanghai_midnight_splits_days_where_the_utc_date_does_not():
    rules = ContactRules(per_day=1)
    before, after = sh(2026, 12, 2, 23, 59), sh(2026, 12, 3, 0, 1)
    assert before.date() == after.date()  # both 2026-12-02 in UTC (15:59 and 16:01)
    assert exclusion(rules, after, sent(before), opted_out=False) is None  # two Shanghai days
    # and the reverse: two UTC dates, one Shanghai day (07:59 and 08:01 Shanghai straddle UTC midnight)
    early, later = sh(2026, 12, 3, 7, 59), sh(2026, 12, 3, 8, 1)
    assert early.date() != later.date()
    assert exclusion(rules, later, sent(early), opted_out=False) is R.CAPPED_DAY


def test_a_later_message_in_the_same_period_counts_too():
    # a send scheduled for 10:00 is screened against the 15:00 message already logged that day
    assert exclusion(ContactRules(per_day=1), sh(2026, 12, 2, 10), sent(sh(2026, 12, 2, 15)), opted_out=False) is R.CAPPED_DAY


def test_week_limit_is_the_monday_to_sunday_shanghai_week():
    rules = ContactRules(per_week=2)
    monday, sunday_night = sh(2026, 11, 30, 0, 1), sh(2026, 12, 6, 23, 59)
    assert exclusion(rules, NOON, sent(monday, sunday_night), opted_out=False) is R.CAPPED_WEEK
    last_sunday = sh(2026, 11, 29, 23, 59)  # the week before, though under 3 days ago
    assert exclusion(rules, NOON, sent(last_sunday, monday), opted_out=False) is None
    next_monday = sh(2026, 12, 7, 0, 1)
    assert exclusion(rules, next_monday, sent(monday, sunday_night), opted_out=False) is None


def test_month_limit_is_the_shanghai_calendar_month():
    rules = ContactRules(per_month=2)
    first, last = sh(2026, 12, 1, 0, 0), sh(2026, 12, 31, 23, 59)
    assert exclusion(rules, NOON, sent(first, last), opted_out=False) is R.CAPPED_MONTH
    november_end = sh(2026, 11, 30, 23, 59)  # 15:59 UTC on 30 Nov: November in Shanghai
    assert exclusion(rules, NOON, sent(november_end, last), opted_out=False) is None
    january = sh(2027, 1, 1, 0, 0)  # December 31st 16:00 UTC is already January in Shanghai
    assert january.month == 12 and exclusion(rules, january, sent(first, last), opted_out=False) is None


def test_wecom_monthly_cap_is_the_days_in_the_month():
    rules = ContactRules()  # WeComCap.MONTH by default
    december = sent(*(sh(2026, 12, d, 10) for d in range(1, 31)))  # 30 mass messages
    assert exclusion(rules, NOON, december, opted_out=False) is None  # December has 31 days
    assert exclusion(rules, NOON, december + sent(sh(2026, 12, 31, 10)), opted_out=False) is R.WECOM_CAP
    february = sent(*(sh(2027, 2, d, 10) for d in range(1, 29)))  # 28 in February 2027 (28 days)
    assert exclusion(rules, sh(2027, 2, 28, 20), february, opted_out=False) is R.WECOM_CAP


def test_wecom_weekly_and_daily_caps():
    weekly, daily = ContactRules(wecom_cap=WeComCap.WEEK), ContactRules(wecom_cap=WeComCap.DAY)
    six = sent(*(sh(2026, 11, 30 + d, 10) if d == 0 else sh(2026, 12, d, 10) for d in range(6)))
    assert exclusion(weekly, NOON, six, opted_out=False) is None
    assert exclusion(weekly, NOON, six + sent(sh(2026, 12, 6, 9)), opted_out=False) is R.WECOM_CAP
    assert exclusion(daily, NOON, sent(sh(2026, 12, 1, 23, 59)), opted_out=False) is None
    assert exclusion(daily, NOON, sent(sh(2026, 12, 2, 0, 1)), opted_out=False) is R.WECOM_CAP


def test_wecom_cap_counts_only_mass_messages_and_applies_only_to_mass_sends():
    daily = ContactRules(wecom_cap=WeComCap.DAY)
    one_to_one = sent(sh(2026, 12, 2, 9), wecom=False)  # e.g. a journey message sent as a chat, not a mass message
    assert exclusion(daily, NOON, one_to_one, opted_out=False) is None
    mass = sent(sh(2026, 12, 2, 9))
    assert exclusion(daily, NOON, mass, opted_out=False) is R.WECOM_CAP
    assert exclusion(daily, NOON, mass, opted_out=False, wecom_mass=False) is None
    # the tenant's own limits count every message, mass or not
    assert exclusion(ContactRules(per_day=1), NOON, one_to_one, opted_out=False, wecom_mass=False) is R.CAPPED_DAY


def test_quiet_hours_within_a_day():
    rules = ContactRules.parse(quiet_start="12:00", quiet_end="14:00")
    assert exclusion(rules, sh(2026, 12, 2, 11, 59), [], opted_out=False) is None
    assert exclusion(rules, sh(2026, 12, 2, 12, 0), [], opted_out=False) is R.QUIET_HOURS
    assert exclusion(rules, sh(2026, 12, 2, 13, 59), [], opted_out=False) is R.QUIET_HOURS
    assert exclusion(rules, sh(2026, 12, 2, 14, 0), [], opted_out=False) is None  # the end is not quiet


def test_quiet_hours_wrapping_midnight_are_shanghai_wall_clock():
    rules = ContactRules.parse(quiet_start="21:30", quiet_end="08:00")
    assert rules.quiet_hours == (time(21, 30), time(8, 0))
    quiet = [sh(2026, 12, 2, 21, 30), sh(2026, 12, 2, 23, 59), sh(2026, 12, 3, 0, 0), sh(2026, 12, 3, 7, 59)]
    awake = [sh(2026, 12, 2, 21, 29), sh(2026, 12, 3, 8, 0), NOON]
    assert [exclusion(rules, t, [], opted_out=False) for t in quiet] == [R.QUIET_HOURS] * 4
    assert [exclusion(rules, t, [], opted_out=False) for t in awake] == [None] * 3
    # 13:30 UTC is 21:30 in Shanghai: quiet, though early evening for a UTC clock
    assert exclusion(rules, datetime(2026, 12, 2, 13, 30, tzinfo=UTC), [], opted_out=False) is R.QUIET_HOURS


def test_precedence_is_opted_out_quiet_day_week_month_wecom():
    rules = ContactRules(per_day=1, per_week=1, per_month=1, quiet_start=0, quiet_end=23 * 60 + 59, wecom_cap=WeComCap.DAY)
    full = PeriodCounts(day=1, week=1, month=1, wecom=1)
    assert decide(rules, NOON, full, opted_out=True) is R.OPTED_OUT
    assert decide(rules, NOON, full, opted_out=False) is R.QUIET_HOURS
    awake = ContactRules(per_day=1, per_week=1, per_month=1, wecom_cap=WeComCap.DAY)
    assert decide(awake, NOON, full, opted_out=False) is R.CAPPED_DAY
    assert decide(awake, NOON, PeriodCounts(day=0, week=1, month=1, wecom=1), opted_out=False) is R.CAPPED_WEEK
    assert decide(awake, NOON, PeriodCounts(day=0, week=0, month=1, wecom=1), opted_out=False) is R.CAPPED_MONTH
    assert decide(awake, NOON, PeriodCounts(day=0, week=0, month=0, wecom=1), opted_out=False) is R.WECOM_CAP
    assert decide(awake, NOON, PeriodCounts(), opted_out=False) is None
    assert [r.value for r in ExclusionReason] == ["opted_out", "quiet_hours", "capped_day", "capped_week", "capped_month", "wecom_cap"]


def test_count_messages_puts_each_message_in_its_periods():
    periods = ContactRules(wecom_cap=WeComCap.WEEK).periods(NOON)
    counts = count_messages(periods, [
        SentMessage(sh(2026, 12, 2, 1)),  # today
        SentMessage(sh(2026, 12, 1, 1), counts_toward_wecom_cap=False),  # this week, not a mass message
        SentMessage(sh(2026, 12, 1, 2)),  # this week
        SentMessage(sh(2026, 11, 29, 23)),  # last week, last month
        SentMessage(sh(2026, 12, 20, 9)),  # this month, a later week
    ])
    assert counts == PeriodCounts(day=1, week=3, month=4, wecom=2)
    assert periods.span.start == sh(2026, 11, 30, 0) and periods.span.end == sh(2027, 1, 1, 0)


@pytest.mark.parametrize(("values", "code", "field"), [
    ({"per_day": "0"}, "contact_rules.limit_invalid", "per_day"),
    ({"per_week": "two"}, "contact_rules.limit_invalid", "per_week"),
    ({"per_month": 1001}, "contact_rules.limit_invalid", "per_month"),
    ({"per_day": 3, "per_week": 2}, "contact_rules.limits_inverted", "per_week"),
    ({"per_day": 3, "per_month": 2}, "contact_rules.limits_inverted", "per_month"),
    ({"quiet_start": "21:00"}, "contact_rules.quiet_hours_incomplete", "quiet_end"),
    ({"quiet_end": "08:00"}, "contact_rules.quiet_hours_incomplete", "quiet_start"),
    ({"quiet_start": "21:00", "quiet_end": "21:00"}, "contact_rules.quiet_hours_empty", "quiet_end"),
    ({"quiet_start": "25:00", "quiet_end": "08:00"}, "contact_rules.time_invalid", "quiet_start"),
    ({"wecom_cap": "year"}, "contact_rules.wecom_cap_unknown", "wecom_cap"),
])
def test_rules_are_validated_with_the_field_at_fault(values, code, field):
    with pytest.raises(InvalidInput) as caught:
        ContactRules.parse(**values)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_rules_parse_what_a_form_posts():
    rules = ContactRules.parse(per_day="1", per_week="", per_month="8", quiet_start="22:00", quiet_end="08:30", wecom_cap="week")
    assert rules == ContactRules(per_day=1, per_week=None, per_month=8, quiet_start=22 * 60, quiet_end=8 * 60 + 30,
                                 wecom_cap=WeComCap.WEEK)
    assert ContactRules.parse() == ContactRules()


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        ContactRules.parse(quiet_start="21:00", quiet_end="08:00").in_quiet_hours(datetime(2026, 12, 2, 12))
