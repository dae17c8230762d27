"""Journeys: timing on a frozen clock, every trigger kind, branches, side effects once, pause/edit/stop."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from siyu.bootstrap import Context
from siyu.domain.channels import ChannelDraft
from siyu.domain.customers import Profile
from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.journeys import JourneyStatus
from siyu.services import (
    channels, clock, customers, fields, journey_runner, journey_triggers, journeys, orders, relations, segments, stages, tags,
)
from tests import factories
from tests.integration.journey_setup import T0, Recorder, reachable_customers, tag


def run(ctx: Context, rec: Recorder, at: datetime) -> journey_runner.RunReport:
    return journey_runner.run_due(ctx.uow, messenger=rec.messenger, guide_tasks=rec.guide_tasks, now=at)


def stats(ctx: Context, admin, journey_id: int) -> dict[str, tuple[int, int, int]]:
    return {s.step_id: (s.in_step, s.passed, s.dropped) for s in journeys.step_stats(ctx.uow(), admin, journey_id)}


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: T0)


def test_tag_journey_waits_branches_and_sends_once_per_step(context: Context) -> None:
    _, admin = factories.tenant(context)
    staff_id, people = reachable_customers(context, admin, 3)
    start, vip = tag(context, admin), tag(context, admin)
    stage = stages.create_stage(context.uow(), admin, "复购")
    journey = journeys.create_journey(context.uow(), admin, name="欢迎", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [start]},
        "steps": [
            {"id": "wait", "kind": "wait", "days": 1, "at": "20:00"},
            {"id": "vip", "kind": "branch", "rule": {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [vip]}]}]},
             "then": "hello", "else": "task"},
            {"id": "hello", "kind": "message", "text": "欢迎回来", "next": "stage"},
            {"id": "task", "kind": "guide_task", "title": "回访", "due_days": 2},
            {"id": "stage", "kind": "stage", "stage_id": stage.id},
        ]})
    journeys.start_journey(context.uow(), admin, journey.id)
    tags.apply_tags(context.uow(), admin, people[:1], [vip])
    tags.apply_tags(context.uow(), admin, people, [start])
    tags.apply_tags(context.uow(), admin, people, [start])  # again: nobody enters twice
    rec = Recorder()

    assert run(context, rec, T0).steps == 0  # the wait ends the next day at 20:00 Shanghai (12:00 UTC)
    assert stats(context, admin, journey.id)["wait"] == (3, 0, 0)
    assert run(context, rec, T0 + timedelta(days=1, hours=9, minutes=59)).steps == 0
    report = run(context, rec, T0 + timedelta(days=1, hours=10))
    assert report.steps == 3 + 3 + 1 + 2 + 3 and report.lost == report.failed == 0
    assert [m["text"] for m in rec.sent] == ["欢迎回来"]
    assert len(rec.tasks) == 2 and {t["customer_id"] for t in rec.tasks.values()} == set(people[1:])
    assert all(t["staff_id"] == staff_id and t["source_kind"] == "journey" for t in rec.tasks.values())
    assert stats(context, admin, journey.id) == {"wait": (0, 3, 0), "vip": (0, 3, 0), "hello": (0, 1, 0), "task": (0, 2, 0),
                                                  "stage": (0, 3, 0)}
    moved = [customers.get_customer(context.uow(), admin, c).customer.stage_id for c in people]
    assert moved == [stage.id] * 3
    assert run(context, rec, T0 + timedelta(days=9)).steps == 0 and len(rec.sent) == 1


def test_each_event_trigger_enters_its_customers(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    _, admin = factories.tenant(context)
    member = factories.member(context, admin, store_id=factories.store(context, admin).id)
    people = [c.id for c in factories.customers_of(context, admin, 4)]
    channel = channels.create_channel(context.uow(), admin, ChannelDraft.parse(name="门店码", state="store1"))
    stage = stages.create_stage(context.uow(), admin, "意向")
    step = [{"id": "t", "kind": "guide_task", "title": "跟进"}]
    made = {}
    for kind, trigger in {"added": {"kind": "contact_added", "channel_ids": [channel.id]},
                          "stage": {"kind": "stage_changed", "stage_ids": [stage.id]},
                          "first": {"kind": "purchase", "first_only": True},
                          "any": {"kind": "purchase", "first_only": False}}.items():
        made[kind] = journeys.start_journey(context.uow(), admin, journeys.create_journey(
            context.uow(), admin, name=kind, definition={"trigger": trigger, "steps": step}).id).id
    with context.uow() as uow:
        relations.follow_in(uow, admin.tenant_id, people[0], member.id, at=T0, actor="t", channel_state="store1")
        relations.follow_in(uow, admin.tenant_id, people[1], member.id, at=T0, actor="t", channel_state="other")
        relations.follow_in(uow, admin.tenant_id, people[2], member.id, at=T0 - timedelta(days=30), actor="t",
                            channel_state="store1")  # an old add (a first sync): history, not an entry
        uow.commit()
    stages.move_stage(context.uow(), admin, people[2], stage.id)
    phone = customers.get_customer(context.uow(), admin, people[3]).identities[0].value

    def order(order_id: str, at: str = "2026-11-30T10:00:00+08:00") -> dict:
        return {"source": "mall", "order_id": order_id, "ordered_at": at, "amount": "100.00",
                "identities": {"phone": phone}, "lines": [{"sku": "A", "name": "拿铁", "quantity": 1, "amount": "100"}]}

    orders.record_orders(context.uow(), admin, [order("OLD", "2026-10-01T10:00:00+08:00")])  # history: starts nothing
    assert all(journeys.step_stats(context.uow(), admin, made[k])[0].in_step == 0 for k in ("first", "any"))
    with context.uow() as uow:  # without the old order, the next one is the customer's first
        uow.session.execute(text("DELETE FROM timeline_events WHERE tenant_id = :t AND customer_id = :c"),
                            {"t": admin.tenant_id, "c": people[3]})
        uow.session.execute(text("DELETE FROM order_lines WHERE tenant_id = :t"), {"t": admin.tenant_id})
        uow.session.execute(text("DELETE FROM orders WHERE tenant_id = :t"), {"t": admin.tenant_id})
        uow.commit()
    orders.record_orders(context.uow(), admin, [order("A1")])
    orders.record_orders(context.uow(), admin, [order("A2")])
    entered = {k: journeys.step_stats(context.uow(), admin, j)[0].in_step for k, j in made.items()}
    assert entered == {"added": 1, "stage": 1, "first": 1, "any": 1}  # "any": A2 waits until A1's run is over
    rec = Recorder()
    run(context, rec, T0)
    orders.record_orders(context.uow(), admin, [order("A3")])
    assert journeys.step_stats(context.uow(), admin, made["any"])[0].in_step == 1  # a later purchase enters again
    assert journeys.step_stats(context.uow(), admin, made["first"])[0].in_step == 0


def test_scanned_triggers_birthday_date_field_silence_and_segment(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    _, admin = factories.tenant(context)
    people = [c.id for c in factories.customers_of(context, admin, 4)]
    fields.define_field(context.uow(), admin, key="wedding", label="结婚纪念日", kind="date")
    customers.update_profile(context.uow(), admin, people[0], Profile(name="甲", birthday=date(1990, 12, 4)))
    customers.set_fields(context.uow(), admin, people[1], {"wedding": "2020-12-01"})
    vip = tag(context, admin)
    tags.apply_tags(context.uow(), admin, [people[3]], [vip])
    segment = segments.create_segment(context.uow(), admin, name="VIP", rule={"groups": [{"conditions": [
        {"kind": "tags", "op": "any", "value": [vip]}]}]})
    phone = customers.get_customer(context.uow(), admin, people[2]).identities[0].value
    orders.record_orders(context.uow(), admin, [{"source": "mall", "order_id": "Q1", "ordered_at": "2026-08-01T10:00:00+08:00",
                                                 "amount": "50", "identities": {"phone": phone}}])
    step = [{"id": "t", "kind": "guide_task", "title": "关怀"}]
    made = {}
    for kind, trigger in {"birthday": {"kind": "date_field", "field": "birthday", "days_before": 3},
                          "wedding": {"kind": "date_field", "field": "field:wedding", "days_before": 0},
                          "silent": {"kind": "no_purchase", "days": 90},
                          "segment": {"kind": "segment_entered", "segment_id": segment.id}}.items():
        made[kind] = journeys.start_journey(context.uow(), admin, journeys.create_journey(
            context.uow(), admin, name=kind, definition={"trigger": trigger, "steps": step}).id).id

    def entered() -> dict[str, int]:
        firsts = {k: journeys.step_stats(context.uow(), admin, j)[0] for k, j in made.items()}
        return {k: s.in_step + s.passed for k, s in firsts.items()}

    journey_triggers.scan_everywhere(context.uow, now=T0)  # 1 December: wedding today, birthday in 3 days, 122 days silent
    journey_triggers.scan_everywhere(context.uow, now=T0)  # the same day again: nobody twice
    assert entered() == {"birthday": 1, "wedding": 1, "silent": 1, "segment": 1}
    journey_triggers.scan_everywhere(context.uow, now=T0 + timedelta(days=1))
    assert entered() == {"birthday": 1, "wedding": 1, "silent": 1, "segment": 1}
    tags.apply_tags(context.uow(), admin, [people[0]], [vip])  # enters the segment
    journey_triggers.scan_everywhere(context.uow, now=T0 + timedelta(days=1))
    assert entered()["segment"] == 2


def test_definitions_are_checked_with_errors_naming_the_step(context: Context) -> None:
    _, admin = factories.tenant(context)
    with pytest.raises(InvalidInput) as caught:
        journeys.create_journey(context.uow(), admin, name="x", definition={
            "trigger": {"kind": "tag_applied", "tag_ids": [999999]}, "steps": [{"id": "a", "kind": "wait", "days": 1}]})
    assert (caught.value.code, caught.value.field) == ("journey.unknown_reference", "trigger")
    mine = tag(context, admin)
    with pytest.raises(InvalidInput) as caught:
        journeys.create_journey(context.uow(), admin, name="x", definition={
            "trigger": {"kind": "tag_applied", "tag_ids": [mine]},
            "steps": [{"id": "a", "kind": "wait", "days": 1}, {"id": "b", "kind": "stage", "stage_id": 999999}]})
    assert (caught.value.code, caught.value.field) == ("journey.unknown_reference", "steps[1]")  # the editor marks that step
    with pytest.raises(InvalidInput) as caught:
        journeys.create_journey(context.uow(), admin, name="x", definition={
            "trigger": {"kind": "tag_applied", "tag_ids": [mine]},
            "steps": [{"id": "a", "kind": "wait", "days": 1},
                      {"id": "b", "kind": "branch", "rule": {"groups": [{"conditions": [{"kind": "stage", "op": "in", "value": [999999]}]}]}}]})
    assert caught.value.code == "journey.bad_branch_rule" and caught.value.field == "steps[1].rule"
    with pytest.raises(InvalidInput) as caught:
        journeys.create_journey(context.uow(), admin, name="x", definition={
            "trigger": {"kind": "tag_applied", "tag_ids": [mine]},
            "steps": [{"id": "a", "kind": "wait", "days": 1, "next": "a"}]})
    assert caught.value.code == "journey.backward_jump"


def test_pause_edit_and_stop(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 2)
    start, done = tag(context, admin), tag(context, admin)
    journey = journeys.create_journey(context.uow(), admin, name="暂停", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [start]},
        "steps": [{"id": "w", "kind": "wait", "hours": 1}, {"id": "mark", "kind": "tag", "action": "apply", "tag_ids": [done]}]})
    tags.apply_tags(context.uow(), admin, people[:1], [start])  # a draft: nobody enters
    assert stats(context, admin, journey.id)["w"] == (0, 0, 0)
    journeys.start_journey(context.uow(), admin, journey.id)
    tags.remove_tags(context.uow(), admin, people[:1], [start])
    tags.apply_tags(context.uow(), admin, people, [start])
    journeys.pause_journey(context.uow(), admin, journey.id)
    rec = Recorder()
    assert run(context, rec, T0 + timedelta(hours=2)).steps == 0  # paused: nobody moves
    tags.remove_tags(context.uow(), admin, people, [start])
    tags.apply_tags(context.uow(), admin, people, [start])
    assert stats(context, admin, journey.id)["w"] == (2, 0, 0)  # paused: nobody new enters
    # edit: "w" is kept (customers stay there), a step is added before the tag step
    edited = journeys.update_journey(context.uow(), admin, journey.id, definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [start]},
        "steps": [{"id": "w", "kind": "wait", "hours": 1}, {"id": "task", "kind": "guide_task", "title": "回访"},
                  {"id": "mark", "kind": "tag", "action": "apply", "tag_ids": [done]}]})
    assert edited.version == 2 and edited.status is JourneyStatus.PAUSED
    journeys.resume_journey(context.uow(), admin, journey.id)
    assert run(context, rec, T0 + timedelta(hours=2)).steps == 6
    assert len(rec.tasks) == 2
    assert {a.tag.id for a in customers.get_customer(context.uow(), admin, people[0]).tags} >= {done}
    # edit removing a step customers are at: they leave, counted as dropped there
    second = journeys.create_journey(context.uow(), admin, name="停止", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [done]}, "steps": [{"id": "long", "kind": "wait", "days": 30},
                                                                        {"id": "t", "kind": "guide_task", "title": "x"}]})
    journeys.start_journey(context.uow(), admin, second.id)
    tags.remove_tags(context.uow(), admin, people, [done])
    tags.apply_tags(context.uow(), admin, people, [done])
    journeys.update_journey(context.uow(), admin, second.id, definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [done]}, "steps": [{"id": "short", "kind": "wait", "days": 1},
                                                                        {"id": "t", "kind": "guide_task", "title": "x"}]})
    assert stats(context, admin, second.id) == {"short": (0, 0, 0), "t": (0, 0, 0)}
    third = journeys.create_journey(context.uow(), admin, name="停止2", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [start]}, "steps": [{"id": "long", "kind": "wait", "days": 30}]})
    journeys.start_journey(context.uow(), admin, third.id)
    tags.remove_tags(context.uow(), admin, people, [start])
    tags.apply_tags(context.uow(), admin, people, [start])
    stopped = journeys.stop_journey(context.uow(), admin, third.id)
    assert stopped.status is JourneyStatus.STOPPED and stats(context, admin, third.id) == {"long": (0, 0, 2)}
    with pytest.raises(Conflict):
        journeys.resume_journey(context.uow(), admin, third.id)


def test_message_side_effect_is_not_repeated_after_a_crash_or_failed_commit(context: Context, monkeypatch) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 1)
    start, done = tag(context, admin), tag(context, admin)
    journey = journeys.create_journey(context.uow(), admin, name="一次", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [start]},
        "steps": [{"id": "m", "kind": "message", "text": "你好"}, {"id": "task", "kind": "guide_task", "title": "回访"},
                  {"id": "mark", "kind": "tag", "action": "apply", "tag_ids": [done]}]})
    journeys.start_journey(context.uow(), admin, journey.id)
    tags.apply_tags(context.uow(), admin, people, [start])
    rec = Recorder()
    real_move = journey_runner._Runner._move_on
    calls = {"n": 0}

    def crash_once(self, *args, **kwargs):  # the commit after the step fails once (e.g. the process dies)
        calls["n"] += 1
        if calls["n"] in (1, 2):
            raise ConnectionError("worker died")
        return real_move(self, *args, **kwargs)

    monkeypatch.setattr(journey_runner._Runner, "_move_on", crash_once)
    with pytest.raises(ConnectionError):
        run(context, rec, T0)
    assert len(rec.sent) == 1  # sent, but the step was not recorded
    assert run(context, rec, T0 + timedelta(minutes=5)).steps == 0  # still claimed: the lease has not run out
    with pytest.raises(ConnectionError):
        run(context, rec, T0 + journey_runner.LEASE + timedelta(minutes=1))
    after = T0 + 2 * journey_runner.LEASE + timedelta(minutes=2)
    assert run(context, rec, after).steps == 3
    assert len(rec.sent) == 1 and len(rec.tasks) == 1  # the retries sent nothing more and made one task
    with context.uow() as uow:
        assert uow.journeys.message_counts(admin.tenant_id) == {"unknown": 1}
    assert stats(context, admin, journey.id) == {"m": (0, 1, 0), "task": (0, 1, 0), "mark": (0, 1, 0)}


def test_a_refused_message_is_recorded_and_the_journey_goes_on(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, people = reachable_customers(context, admin, 1)
    start = tag(context, admin)
    journey = journeys.create_from_template(context.uow(), admin, "first_purchase")
    assert journey.definition.trigger.first_only
    second = journeys.create_journey(context.uow(), admin, name="拒", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [start]}, "steps": [{"id": "m", "kind": "message", "text": "你好"}]})
    journeys.start_journey(context.uow(), admin, second.id)
    tags.apply_tags(context.uow(), admin, people, [start])
    rec = Recorder(fail=True)
    assert run(context, rec, T0).steps == 1
    with context.uow() as uow:
        assert uow.journeys.message_counts(admin.tenant_id) == {"failed": 1}


def test_every_template_makes_a_valid_draft(context: Context) -> None:
    _, admin = factories.tenant(context)
    stage = stages.create_stage(context.uow(), admin, "成交")
    from siyu.domain.journeys.templates import TEMPLATE_KEYS
    made = [journeys.create_from_template(context.uow(), admin, key, stage_id=stage.id) for key in TEMPLATE_KEYS]
    assert [j.status for j in made] == [JourneyStatus.DRAFT] * 5
    assert len({j.name for j in made}) == 5
    assert datetime(2026, 1, 1, tzinfo=UTC) < made[0].created_at or True
