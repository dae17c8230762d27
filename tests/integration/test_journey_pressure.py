"""Journey messages obey the tenant's contact pressure, like mass sends do (frozen clock, SQLite and PostgreSQL).

Opted out or capped: the message is not sent, the customer leaves the journey at the step and
the step counts say why. Quiet hours: the message waits at its step until they end. A journey
message is logged in the contact log, so it counts for mass sends, and a mass send's for it.
T0 is Tuesday 2026-12-01, 10:00 in Shanghai (the week runs Monday 11-30 to Sunday 12-06).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from siyu.adapters.db.tables import customer_messages, journey_enrollments
from siyu.bootstrap import Context
from siyu.domain.contact_pressure import ContactRules
from siyu.domain.errors import DomainError
from siyu.services import clock, contact_pressure, journey_runner, journeys, tags
from tests import factories
from tests.integration.journey_setup import T0, Recorder, reachable_customers, tag


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: T0)


def run(ctx: Context, rec: Recorder, at: datetime) -> journey_runner.RunReport:
    return journey_runner.run_due(ctx.uow, messenger=rec.messenger, guide_tasks=rec.guide_tasks, now=at)


def started(ctx: Context, admin: Any, steps: list[dict[str, Any]], *, name: str | None = None) -> tuple[int, int]:
    """A running journey entered by applying its tag: (journey id, the tag's id)."""
    start = tag(ctx, admin)
    journey = journeys.create_journey(ctx.uow(), admin, name=name or f"频控{factories.uid(4)}", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [start]}, "steps": steps})
    journeys.start_journey(ctx.uow(), admin, journey.id)
    return journey.id, start


def counts(ctx: Context, admin: Any, journey_id: int) -> dict[str, tuple[int, int, int, dict[str, int], dict[str, int]]]:
    return {s.step_id: (s.in_step, s.passed, s.dropped, s.dropped_by, s.waiting_by)
            for s in journeys.step_stats(ctx.uow(), admin, journey_id)}


def logged(ctx: Context, tenant_id: int) -> list[tuple[int, str, datetime]]:
    """The contact log: (customer, source kind, sent at), oldest first."""
    m = customer_messages.c
    with ctx.uow() as uow:
        return [(r.customer_id, r.source_kind, r.sent_at) for r in uow.session.execute(
            select(m.customer_id, m.source_kind, m.sent_at).where(m.tenant_id == tenant_id).order_by(m.sent_at, m.customer_id))]


def rules(ctx: Context, admin: Any, **values: Any) -> None:
    contact_pressure.update_rules(ctx.uow(), admin, ContactRules.parse(**values))


def test_an_opted_out_customer_is_not_messaged_and_leaves_the_journey_with_the_reason(context: Context) -> None:
    _, admin = factories.tenant(context)
    staff_id, people = reachable_customers(context, admin, 3)
    done = tag(context, admin)
    contact_pressure.opt_out(context.uow(), admin, people[0], source="customer_request")
    journey_id, start = started(context, admin, [{"id": "m", "kind": "message", "text": "你好"},
                                                 {"id": "mark", "kind": "tag", "action": "apply", "tag_ids": [done]}])
    tags.apply_tags(context.uow(), admin, people, [start])
    rec = Recorder()
    report = run(context, rec, T0)
    assert (report.steps, report.excluded, report.deferred, report.failed) == (1 + 2 * 2, 1, 0, 0)
    assert len(rec.sent) == 2
    assert counts(context, admin, journey_id) == {"m": (0, 2, 1, {"opted_out": 1}, {}), "mark": (0, 2, 0, {}, {})}
    with context.uow() as uow:
        assert uow.journeys.message_counts(admin.tenant_id) == {"sent": 2}  # nothing in the outbox for the opted-out
        e = journey_enrollments.c
        assert uow.session.execute(select(e.state, e.reason).where(e.customer_id == people[0])).one() == ("dropped", "opted_out")
    assert logged(context, admin.tenant_id) == [(c, "journey", T0) for c in sorted(people[1:])]
    assert run(context, rec, T0 + timedelta(days=3)).steps == 0 and len(rec.sent) == 2


def test_the_daily_limit_drops_a_second_message_the_same_day(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 1)
    rules(context, admin, per_day=1)
    journey_id, start = started(context, admin, [{"id": "m1", "kind": "message", "text": "一"},
                                                 {"id": "w", "kind": "wait", "hours": 1},
                                                 {"id": "m2", "kind": "message", "text": "二"}])
    tags.apply_tags(context.uow(), admin, people, [start])
    rec = Recorder()
    assert run(context, rec, T0).steps == 1  # the first message; the wait ends an hour later
    report = run(context, rec, T0 + timedelta(hours=1))
    assert (report.steps, report.excluded) == (2, 1)
    assert [m["text"] for m in rec.sent] == ["一"]
    assert counts(context, admin, journey_id) == {"m1": (0, 1, 0, {}, {}), "w": (0, 1, 0, {}, {}),
                                                  "m2": (0, 0, 1, {"capped_day": 1}, {})}
    assert logged(context, admin.tenant_id) == [(people[0], "journey", T0)]


def test_the_weekly_limit_counts_shanghai_calendar_weeks(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 2)
    rules(context, admin, per_day=1, per_week=2)
    series = [{"id": "m1", "kind": "message", "text": "一"}, {"id": "w1", "kind": "wait", "days": 1},
              {"id": "m2", "kind": "message", "text": "二"}, {"id": "w2", "kind": "wait", "days": 1},
              {"id": "m3", "kind": "message", "text": "三"}]
    journey_id, start = started(context, admin, series)
    rec = Recorder()
    tags.apply_tags(context.uow(), admin, people[:1], [start])  # Tuesday: Tuesday, Wednesday, then Thursday is the third
    for day in range(3):
        run(context, rec, T0 + timedelta(days=day))
    assert [m["text"] for m in rec.sent] == ["一", "二"]
    saturday = T0 + timedelta(days=4)
    monkeypatch.setattr(clock, "utcnow", lambda: saturday)
    tags.apply_tags(context.uow(), admin, people[1:], [start])  # Saturday: Saturday, Sunday, then Monday is a new week
    for day in range(3):
        run(context, rec, saturday + timedelta(days=day))
    assert [m["text"] for m in rec.sent] == ["一", "二", "一", "二", "三"]
    assert counts(context, admin, journey_id)["m3"] == (0, 1, 1, {"capped_week": 1}, {})


def test_quiet_hours_put_the_message_off_until_they_end_then_it_is_screened_and_sent(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 2)
    rules(context, admin, quiet_start="21:30", quiet_end="08:00")
    journey_id, start = started(context, admin, [{"id": "w", "kind": "wait", "hours": 1, "at": "22:00"},
                                                 {"id": "m", "kind": "message", "text": "晚安"}])
    tags.apply_tags(context.uow(), admin, people, [start])
    rec = Recorder()
    run(context, rec, T0)
    night = T0 + timedelta(hours=12)  # 22:00 in Shanghai
    contact_pressure.opt_out(context.uow(), admin, people[1])  # an opt-out comes first even in quiet hours
    report = run(context, rec, night)
    assert (report.steps, report.excluded, report.deferred) == (2 + 1, 1, 1) and rec.sent == []
    assert counts(context, admin, journey_id)["m"] == (1, 0, 1, {"opted_out": 1}, {"quiet_hours": 1})
    with context.uow() as uow:
        e = journey_enrollments.c
        waiting = uow.session.execute(select(e.state, e.step_id, e.next_run_at, e.reason).where(e.customer_id == people[0])).one()
    morning = T0 + timedelta(hours=22)  # 08:00 the next day in Shanghai
    assert tuple(waiting) == ("waiting", "m", morning, "quiet_hours")
    assert run(context, rec, morning - timedelta(minutes=1)).steps == 0 and rec.sent == []
    report = run(context, rec, morning)
    assert (report.steps, report.deferred) == (1, 0) and [m["text"] for m in rec.sent] == ["晚安"]
    assert counts(context, admin, journey_id)["m"] == (0, 1, 1, {"opted_out": 1}, {})
    assert logged(context, admin.tenant_id) == [(people[0], "journey", morning)]


def test_a_deferred_message_is_screened_again_when_quiet_hours_end(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 1)
    rules(context, admin, per_day=1, quiet_start="21:30", quiet_end="08:00")
    journey_id, start = started(context, admin, [{"id": "w", "kind": "wait", "hours": 1, "at": "22:00"},
                                                 {"id": "m", "kind": "message", "text": "晚安"}])
    tags.apply_tags(context.uow(), admin, people, [start])
    rec = Recorder()
    run(context, rec, T0)
    assert run(context, rec, T0 + timedelta(hours=12)).deferred == 1
    morning = T0 + timedelta(hours=22)
    with context.uow() as uow:  # a mass send reached them at 08:00 sharp, before the journey's turn
        contact_pressure.record_in(uow, admin.tenant_id, [(people[0], None)], source_kind="mass_send", source_id=1, sent_at=morning)
        uow.commit()
    assert run(context, rec, morning + timedelta(minutes=1)).excluded == 1 and rec.sent == []
    assert counts(context, admin, journey_id)["m"] == (0, 0, 1, {"capped_day": 1}, {})


def test_a_mass_send_earlier_that_day_counts_and_a_journey_message_counts_for_mass_sends(context: Context) -> None:
    _, admin = factories.tenant(context)
    staff_id, people = reachable_customers(context, admin, 2)
    rules(context, admin, per_day=1)
    with context.uow() as uow:  # what the mass-send worker records for a delivery WeCom reported (services.mass_send_worker)
        contact_pressure.record_in(uow, admin.tenant_id, [(people[0], staff_id)], source_kind="mass_send", source_id=7,
                                   sent_at=T0 - timedelta(hours=1, minutes=59))  # 08:01 Shanghai, the same day
        uow.commit()
    journey_id, start = started(context, admin, [{"id": "m", "kind": "message", "text": "你好"}])
    tags.apply_tags(context.uow(), admin, people, [start])
    rec = Recorder()
    report = run(context, rec, T0)
    assert (report.excluded, len(rec.sent)) == (1, 1)
    assert counts(context, admin, journey_id)["m"] == (0, 1, 1, {"capped_day": 1}, {})
    # the other way round: a mass send planned later that day finds the journey's message
    with context.uow() as uow:
        screening = contact_pressure.screen_in(uow, admin.tenant_id, people, at=T0 + timedelta(hours=3), wecom_mass=True)
    assert screening.allowed == [] and screening.counts()["capped_day"] == 2
    rules(context, admin, wecom_cap="day")  # no limit of the brand's own: WeCom's cap (1 a day) counts the journey's too
    with context.uow() as uow:
        later = contact_pressure.screen_in(uow, admin.tenant_id, people, at=T0 + timedelta(hours=3), wecom_mass=True)
        nextday = contact_pressure.screen_in(uow, admin.tenant_id, people, at=T0 + timedelta(hours=14), wecom_mass=True)
    assert later.counts()["wecom_cap"] == 2
    assert nextday.allowed == people  # a new Shanghai day (00:00 is 16:00 UTC)


def test_a_refused_message_does_not_count_against_the_limits(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 1)
    rules(context, admin, per_day=1)
    first, start = started(context, admin, [{"id": "m", "kind": "message", "text": "一"}])
    second, again = started(context, admin, [{"id": "m", "kind": "message", "text": "二"}])
    tags.apply_tags(context.uow(), admin, people, [start])
    assert run(context, Recorder(fail=True), T0).steps == 1  # WeCom refused it: recorded failed, the journey went on
    assert logged(context, admin.tenant_id) == []
    tags.apply_tags(context.uow(), admin, people, [again])
    rec = Recorder()
    assert run(context, rec, T0 + timedelta(minutes=5)).excluded == 0 and [m["text"] for m in rec.sent] == ["二"]
    assert logged(context, admin.tenant_id) == [(people[0], "journey", T0 + timedelta(minutes=5))]


def test_a_retry_after_a_crash_is_not_screened_again_nor_sent_again(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 1)
    rules(context, admin, per_day=1)
    journey_id, start = started(context, admin, [{"id": "m", "kind": "message", "text": "你好"},
                                                 {"id": "after", "kind": "guide_task", "title": "回访"}])
    tags.apply_tags(context.uow(), admin, people, [start])
    rec = Recorder()
    real_finish = journey_runner._Runner._finish
    calls = {"n": 0}

    def crash_once(self, *args, **kwargs):  # the worker dies after WeCom took the message
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("worker died")
        return real_finish(self, *args, **kwargs)

    monkeypatch.setattr(journey_runner._Runner, "_finish", crash_once)
    with pytest.raises(ConnectionError):
        run(context, rec, T0)
    assert len(rec.sent) == 1 and logged(context, admin.tenant_id) == [(people[0], "journey", T0)]
    later = T0 + journey_runner.LEASE + timedelta(minutes=1)
    report = run(context, rec, later)  # its own logged message would cap it: the retry must not screen
    assert (report.steps, report.excluded) == (2, 0) and len(rec.sent) == 1
    assert counts(context, admin, journey_id)["m"] == (0, 1, 0, {}, {})
    with context.uow() as uow:
        assert uow.journeys.message_counts(admin.tenant_id) == {"unknown": 1}
    assert logged(context, admin.tenant_id) == [(people[0], "journey", T0)]  # an unknown message stays counted


def test_two_journeys_messaging_a_customer_in_one_round_the_first_counts_for_the_second(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 2)
    rules(context, admin, per_day=1)
    start = tag(context, admin)
    both = []
    for name in ("甲", "乙"):
        journey = journeys.create_journey(context.uow(), admin, name=f"{name}{factories.uid(4)}", definition={
            "trigger": {"kind": "tag_applied", "tag_ids": [start]}, "steps": [{"id": "m", "kind": "message", "text": name}]})
        journeys.start_journey(context.uow(), admin, journey.id)
        both.append(journey.id)
    tags.apply_tags(context.uow(), admin, people, [start])  # four message steps, all due in the same round
    rec = Recorder()
    report = run(context, rec, T0)
    assert (report.rounds, report.steps, report.excluded) == (1, 4, 2)
    assert sorted(m["to"] for m in rec.sent) == sorted({m["to"] for m in rec.sent}) and len(rec.sent) == 2  # one each
    stats = [counts(context, admin, j)["m"] for j in both]
    assert [s[1] + s[2] for s in stats] == [2, 2] and sum(s[2] for s in stats) == 2
    assert all(s[3] in ({}, {"capped_day": s[2]}) for s in stats)
    assert logged(context, admin.tenant_id) == [(c, "journey", T0) for c in sorted(people)]


def test_a_round_of_message_steps_is_screened_and_logged_in_one_call(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 5)
    contact_pressure.opt_out(context.uow(), admin, people[0])
    journey_id, start = started(context, admin, [{"id": "m", "kind": "message", "text": "你好"}])
    tags.apply_tags(context.uow(), admin, people, [start])
    calls: dict[str, list[Any]] = {"screen": [], "record": []}
    real_screen, real_record = contact_pressure.screen_in, contact_pressure.record_each_in

    def screen(uow: Any, tenant_id: int, customer_ids: Any, **kwargs: Any) -> contact_pressure.Screening:
        calls["screen"].append(sorted(customer_ids))
        return real_screen(uow, tenant_id, customer_ids, **kwargs)

    def record(uow: Any, tenant_id: int, deliveries: Any, **kwargs: Any) -> int:
        calls["record"].append(sorted(c for c, _, _ in deliveries))
        return real_record(uow, tenant_id, deliveries, **kwargs)

    monkeypatch.setattr(contact_pressure, "screen_in", screen)
    monkeypatch.setattr(contact_pressure, "record_each_in", record)
    rec = Recorder()
    report = run(context, rec, T0)
    assert (report.steps, report.excluded, len(rec.sent)) == (5, 1, 4)
    assert calls == {"screen": [sorted(people)], "record": [sorted(people[1:])]}
    assert counts(context, admin, journey_id)["m"] == (0, 4, 1, {"opted_out": 1}, {})


def test_a_message_step_whose_screening_fails_fails_alone(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Screening is one call for the tenant's round; when it fails, the claims are screened one by
    one, so the one bad claim fails (and is retried later) and the others still move on."""
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 3)
    bad = people[1]
    journey_id, start = started(context, admin, [{"id": "m", "kind": "message", "text": "你好"}])
    tags.apply_tags(context.uow(), admin, people, [start])
    real_screen = contact_pressure.screen_in

    def screen(uow: Any, tenant_id: int, customer_ids: Any, **kwargs: Any) -> contact_pressure.Screening:
        if bad in customer_ids:
            raise DomainError("test.broken", "this customer's screening always fails")
        return real_screen(uow, tenant_id, customer_ids, **kwargs)

    monkeypatch.setattr(contact_pressure, "screen_in", screen)
    rec = Recorder()
    report = run(context, rec, T0)
    assert report.failed == 1 and report.steps == 2
    assert len(rec.sent) == 2 and [c for c, _, _ in logged(context, admin.tenant_id)] == sorted(p for p in people if p != bad)
    monkeypatch.setattr(contact_pressure, "screen_in", real_screen)
    later = run(context, rec, T0 + journey_runner.LEASE + timedelta(seconds=1))  # its lease lapsed: retried, once
    assert later.steps == 1 and len(rec.sent) == 3
    assert counts(context, admin, journey_id)["m"][:2] == (0, 3)
