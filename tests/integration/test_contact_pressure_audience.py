"""The whole-audience screen (set-based, over a temporary table) gives exactly the per-chunk answer
(SQLite and PostgreSQL), on a history built by hand: opt-outs, limits, WeCom's cap, quiet hours,
merges (of merges), another tenant, unknown and repeated ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from siyu.adapters.db.repositories.contact_pressure import AUDIENCE
from siyu.bootstrap import Context
from siyu.domain.contact_pressure import ContactRules, ExclusionReason
from siyu.services import contact_pressure as cp
from siyu.services import merging
from tests import factories

R = ExclusionReason


def sh(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


NOON = sh(2026, 12, 2, 12)  # a Wednesday


def _record(context: Context, tenant_id: int, customer_ids: list[int], *, at: datetime, source_id: int, wecom_mass: bool = True,
            kind: str = "mass_send") -> None:
    with context.uow() as uow:
        cp.record_in(uow, tenant_id, [(c, None) for c in customer_ids], source_kind=kind, source_id=source_id, sent_at=at,
                     wecom_mass=wecom_mass)
        uow.commit()


def _both(context: Context, monkeypatch: pytest.MonkeyPatch, tenant_id: int, ids: list[int], *, at: datetime = NOON,
          wecom_mass: bool = True) -> cp.Screening:
    """Screen ``ids`` per chunk (chunks of 3, so merges cross chunks) and as a whole audience; both must agree."""
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context_, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    answers = []
    for whole in (False, True):
        monkeypatch.setattr(cp, "CHUNK", 3)
        monkeypatch.setattr(cp, "WHOLE_AUDIENCE", 1 if whole else 10**9)
        statements.clear()
        event.listen(context.engine, "before_cursor_execute", seen)
        try:
            with context.uow() as uow:
                answers.append(cp.screen_in(uow, tenant_id, ids, at=at, wecom_mass=wecom_mass))
        finally:
            event.remove(context.engine, "before_cursor_execute", seen)
        assert any(AUDIENCE in s for s in statements) is whole  # the path asked for is the one taken
    chunked, audience = answers
    assert audience.allowed == chunked.allowed and audience.excluded == chunked.excluded
    return audience


def test_the_whole_audience_screen_agrees_with_the_per_chunk_one(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    _, admin = factories.tenant(context)
    _, other = factories.tenant(context)
    t = admin.tenant_id
    ids = [c.id for c in factories.customers_of(context, admin, 12)]
    free, opted, day, week, month, wecom, chat, twice_a, twice_b, deep_a, deep_b, deep_c = ids
    [elsewhere] = [c.id for c in factories.customers_of(context, other, 1)]
    cp.update_rules(context.uow(), admin, ContactRules.parse(per_day=2, per_week=3, per_month=5, wecom_cap="day"))
    cp.opt_out(context.uow(), admin, opted)
    cp.opt_out(context.uow(), other, elsewhere)
    journey = {"wecom_mass": False, "kind": "journey"}
    _record(context, t, [day, day], at=sh(2026, 12, 2, 0, 1), source_id=1, **journey)  # one row: the same source
    _record(context, t, [day], at=sh(2026, 12, 2, 9), source_id=2, **journey)
    for n, at in enumerate((sh(2026, 11, 30, 9), sh(2026, 12, 1, 9), sh(2026, 12, 1, 10))):  # Monday, Tuesday twice
        _record(context, t, [week], at=at, source_id=10 + n, **journey)
    for n, d in enumerate((3, 10, 15, 20, 25)):  # five in December, one this week (later on: a period counts whole)
        _record(context, t, [month], at=sh(2026, 12, d, 9), source_id=20 + n, **journey)
    _record(context, t, [wecom], at=sh(2026, 12, 2, 9), source_id=30)  # WeCom's daily cap: one mass message today
    _record(context, t, [chat], at=sh(2026, 12, 2, 8), source_id=40, **journey)
    _record(context, t, [twice_a], at=sh(2026, 12, 2, 8), source_id=41, **journey)
    _record(context, t, [twice_b], at=sh(2026, 12, 2, 9), source_id=42, **journey)
    _record(context, t, [deep_c], at=sh(2026, 12, 1, 7), source_id=43, **journey)
    cp.opt_out(context.uow(), admin, deep_c)
    _record(context, other.tenant_id, [elsewhere] * 3, at=sh(2026, 12, 2, 8), source_id=44)  # its own tenant's log, not ours
    one = merging.merge_customers(context.uow(), admin, twice_a, twice_b)  # two today between them: capped
    inner = merging.merge_customers(context.uow(), admin, deep_b, deep_c)
    outer = merging.merge_customers(context.uow(), admin, deep_a, inner.survivor_id)  # deep_c up to two merges away
    unknown = list(range(10**9, 10**9 + 5))

    live = [free, opted, day, week, month, wecom, chat, one.survivor_id, outer.survivor_id, elsewhere, *unknown]
    screened = _both(context, monkeypatch, t, live + live[::-1])  # repeats screened once, at their first place
    assert screened.allowed == [free, chat, elsewhere, *unknown]
    assert screened.excluded == {opted: R.OPTED_OUT, day: R.CAPPED_DAY, week: R.CAPPED_WEEK, month: R.CAPPED_MONTH,
                                 wecom: R.WECOM_CAP, one.survivor_id: R.CAPPED_DAY, outer.survivor_id: R.OPTED_OUT}
    assert wecom in _both(context, monkeypatch, t, live, wecom_mass=False).allowed  # not a mass message: WeCom's cap is not asked
    assert _both(context, monkeypatch, t, live, at=sh(2026, 12, 2, 23, 30)).excluded == screened.excluded  # the same day

    # Merged-away ids given alongside their survivor keep their own history, and lend it to the survivor.
    apart = _both(context, monkeypatch, t, [twice_a, twice_b, deep_a, deep_b, deep_c, free])
    assert apart.excluded[one.survivor_id] is R.CAPPED_DAY and one.merged_id in apart.allowed
    assert apart.excluded[deep_c] is R.OPTED_OUT and free in apart.allowed

    cp.update_rules(context.uow(), admin, ContactRules.parse(quiet_start="21:00", quiet_end="08:00"))
    quiet = _both(context, monkeypatch, t, live, at=sh(2026, 12, 2, 23, 30))
    assert quiet.allowed == [] and quiet.excluded[opted] is R.OPTED_OUT and quiet.excluded[free] is R.QUIET_HOURS
    assert quiet.excluded[outer.survivor_id] is R.OPTED_OUT
    later = _both(context, monkeypatch, t, live, at=sh(2027, 1, 4, 12))  # a new month and week; no limits now
    assert later.excluded == {opted: R.OPTED_OUT, outer.survivor_id: R.OPTED_OUT}


def test_a_whole_audience_screen_twice_in_one_unit_of_work(context: Context) -> None:
    _, admin = factories.tenant(context)
    [a, b] = [c.id for c in factories.customers_of(context, admin, 2)]
    cp.opt_out(context.uow(), admin, b)
    many = list(range(10**9, 10**9 + cp.WHOLE_AUDIENCE))
    with context.uow() as uow:  # the temporary table is emptied between screens and gone after
        first = cp.screen_in(uow, admin.tenant_id, [*many, a, b], at=NOON)
        second = cp.screen_in(uow, admin.tenant_id, [b, *many], at=NOON)
        assert cp.screen_in(uow, admin.tenant_id, [a, b], at=NOON).excluded == {b: R.OPTED_OUT}
    assert first.excluded == {b: R.OPTED_OUT} and len(first.allowed) == cp.WHOLE_AUDIENCE + 1
    assert second.excluded == {b: R.OPTED_OUT} and second.allowed == many
