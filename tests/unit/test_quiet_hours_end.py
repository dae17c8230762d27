"""When quiet hours end: where a journey message that met them waits until (Shanghai wall clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from siyu.domain.contact_pressure import ContactRules


def sh(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Shanghai wall-clock time as the aware UTC instant it is."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC) - timedelta(hours=8)


def test_quiet_hours_within_a_day_end_the_same_day():
    rules = ContactRules.parse(quiet_start="12:00", quiet_end="14:00")
    assert rules.quiet_hours_end(sh(2026, 12, 2, 12, 0)) == sh(2026, 12, 2, 14, 0)
    assert rules.quiet_hours_end(sh(2026, 12, 2, 13, 59, 30)) == sh(2026, 12, 2, 14, 0)
    assert rules.quiet_hours_end(sh(2026, 12, 2, 14, 0)) is None  # the end itself is not quiet
    assert rules.quiet_hours_end(sh(2026, 12, 2, 11, 59)) is None


def test_quiet_hours_wrapping_midnight_end_the_next_morning():
    rules = ContactRules.parse(quiet_start="21:30", quiet_end="08:00")
    assert rules.quiet_hours_end(sh(2026, 12, 2, 21, 30)) == sh(2026, 12, 3, 8, 0)
    assert rules.quiet_hours_end(sh(2026, 12, 2, 23, 59)) == sh(2026, 12, 3, 8, 0)
    assert rules.quiet_hours_end(sh(2026, 12, 3, 0, 0)) == sh(2026, 12, 3, 8, 0)
    assert rules.quiet_hours_end(sh(2026, 12, 3, 7, 59)) == sh(2026, 12, 3, 8, 0)
    # across a month's end, and the result is an aware UTC instant (08:00 Shanghai = 00:00 UTC)
    end = rules.quiet_hours_end(sh(2026, 12, 31, 22, 0))
    assert end == datetime(2027, 1, 1, 0, 0, tzinfo=UTC) and end.utcoffset() == timedelta(0)


def test_no_quiet_hours_never_end():
    assert ContactRules().quiet_hours_end(sh(2026, 12, 2, 3, 0)) is None
