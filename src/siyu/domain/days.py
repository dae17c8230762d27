"""Business days: every date in Siyu is a day in Asia/Shanghai (UTC+8, no daylight saving)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

SHANGHAI = timedelta(hours=8)


def today_in_shanghai(now: datetime | None = None) -> date:
    return ((now or datetime.now(UTC)).astimezone(UTC) + SHANGHAI).date()


def day_start_utc(day: date) -> datetime:
    """The naive-UTC instant a Shanghai business day starts."""
    return datetime(day.year, day.month, day.day) - SHANGHAI
