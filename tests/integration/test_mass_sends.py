"""Mass sends: the plan (who reaches whom, exclusions, tasks), submission to the fake WeCom,
results, reminders, cancelling, experiments, and recovery from an unanswered submit."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from siyu.adapters.channels.sandbox.mass_send import confirm_mass_message
from siyu.domain.errors import InvalidInput
from siyu.domain.experiments import Arm, ExperimentDraft
from siyu.domain.mass_sends import MassSendDraft, SendStatus, TaskState
from siyu.services import experiments, mass_send_plan, mass_send_worker, mass_sends
from siyu.services.mass_send_worker import Timing
from siyu.testing.fake_wecom import FakeWeCom
from tests.mass_send_setup import T0, brand, customer

EC = "/cgi-bin/externalcontact"
QUICK = Timing(reconcile_after=timedelta(seconds=30), remind_every=timedelta(hours=2), expire_after=timedelta(days=3))


@pytest.fixture
def fake():
    with FakeWeCom() as server:
        now = [T0.timestamp()]
        server.corp.clock = lambda: now[0]
        server.corp.mass_confirm_seconds = None  # staff confirm when the test says so
        server.now = now  # type: ignore[attr-defined]
        yield server


def _advance(context, b, send_id, at, fake):  # type: ignore[no-untyped-def]
    fake.now[0] = at.timestamp()
    return mass_send_worker.advance(context.uow(), context.secret_box, context.wecom_channel, b.tenant_id, send_id, timing=QUICK, now=at)


def _wait_for(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.02)


def _send(context, b, **kw):  # type: ignore[no-untyped-def]
    draft = MassSendDraft.parse(name=kw.pop("name", "春季上新"), text=kw.pop("text", "{staff_name} 给您推荐春季新品"),
                                customer_ids=kw.pop("customer_ids", b.customer_ids), **kw)
    return mass_sends.create_mass_send(context.uow(), b.admin, draft, now=T0)


def _targets(context, b, send_id):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from siyu.adapters.db.tables import mass_send_targets as g
    uow = context.uow()
    with uow:
        rows = uow.session.execute(select(g.c.customer_id, g.c.staff_id, g.c.status, g.c.reason, g.c.arm)
                                   .where(g.c.mass_send_id == send_id)).all()
    return {r.customer_id: r for r in rows}


def test_each_customer_is_reached_once_through_the_owner_or_the_latest_relation(context, fake):
    b = brand(context, fake, staff_count=3)
    s1, s2, s3 = b.staff
    owned = customer(context, fake, b, follows=[(s1, T0 - timedelta(days=9)), (s2, T0 - timedelta(days=1))], owner=s1)
    latest = customer(context, fake, b, follows=[(s1, T0 - timedelta(days=9)), (s3, T0 - timedelta(days=2))], owner=s2)
    nobody = customer(context, fake, b, follows=[], ended=[s1])
    no_id = customer(context, fake, b, follows=[(s2, T0 - timedelta(days=3))], wecom=False)
    send = _send(context, b)
    counts = mass_send_plan.plan_mass_send(context.uow(), b.tenant_id, send.id, now=T0)
    assert counts is not None and counts.audience == 4 and counts.planned == 2 and counts.tasks == 2
    assert counts.excluded == {"no_relation": 1, "no_wecom_id": 1}
    targets = _targets(context, b, send.id)
    assert (targets[owned].staff_id, targets[owned].status) == (s1.id, "planned")
    assert (targets[latest].staff_id, targets[latest].status) == (s3.id, "planned")  # the owner s2 has no relation
    assert (targets[nobody].status, targets[nobody].reason) == ("excluded", "no_relation")
    assert targets[no_id].reason == "no_wecom_id"
    assert mass_send_plan.plan_mass_send(context.uow(), b.tenant_id, send.id, now=T0) is None  # planned once


def test_one_task_per_staff_member_per_chunk(context, fake, monkeypatch):
    monkeypatch.setattr(mass_send_plan, "TASK_SIZE", 2)
    b = brand(context, fake, staff_count=2)
    for _ in range(5):
        customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    customer(context, fake, b, follows=[(b.staff[1], T0 - timedelta(days=1))])
    send = _send(context, b)
    assert _advance(context, b, send.id, T0, fake) is SendStatus.POLLING
    uow = context.uow()
    with uow:
        tasks = uow.mass_sends.tasks(b.tenant_id, send.id)
    assert sorted((t.staff_id, t.chunk, t.customers) for t in tasks) == [
        (b.staff[0].id, 0, 2), (b.staff[0].id, 1, 2), (b.staff[0].id, 2, 1), (b.staff[1].id, 0, 1)]
    assert len({t.idempotency_key for t in tasks}) == 4
    assert fake.corp.count(f"{EC}/add_msg_template") == 4
    sent = [c for m in fake.corp.mass_messages.values() for c in m["customers"]]
    assert sorted(sent) == sorted(b.external.values())  # every customer once
    staff_name = {m["sender"]: m["text"]["content"] for m in fake.corp.mass_messages.values()}
    assert staff_name[b.staff[1].wecom_userid] == f"{b.staff[1].name} 给您推荐春季新品"


def test_results_are_polled_until_final_with_per_customer_status_and_staff_confirmation(context, fake):
    b = brand(context, fake, staff_count=2)
    s1, s2 = b.staff
    friend = customer(context, fake, b, follows=[(s1, T0 - timedelta(days=1))])
    gone = customer(context, fake, b, follows=[(s1, T0 - timedelta(days=1))], friend_in_wecom=False)
    other = customer(context, fake, b, follows=[(s2, T0 - timedelta(days=1))])
    send = _send(context, b)
    assert _advance(context, b, send.id, T0, fake) is SendStatus.POLLING
    report = mass_sends.mass_send_report(context.uow(), b.admin, send.id)
    assert report.targets == {"waiting": 3} and report.tasks["submitted"] == 2
    msg_of = {m["sender"]: m["msgid"] for m in fake.corp.mass_messages.values()}
    confirm_mass_message(fake.corp, msg_of[s1.wecom_userid])
    assert _advance(context, b, send.id, T0 + timedelta(minutes=1), fake) is SendStatus.POLLING
    targets = _targets(context, b, send.id)
    assert (targets[friend].status, targets[gone].status, targets[other].status) == ("sent", "not_friend", "waiting")
    report = mass_sends.mass_send_report(context.uow(), b.admin, send.id)
    progress = {p.staff_id: p for p in report.staff}
    assert (progress[s1.id].confirmed, progress[s1.id].sent) == (1, 1) and progress[s2.id].confirmed == 0
    confirm_mass_message(fake.corp, msg_of[s2.wecom_userid])
    assert _advance(context, b, send.id, T0 + timedelta(minutes=2), fake) is SendStatus.DONE
    assert mass_sends.mass_send_report(context.uow(), b.admin, send.id).targets == {"sent": 2, "not_friend": 1}
    calls = fake.corp.count(f"{EC}/get_groupmsg_send_result")
    assert _advance(context, b, send.id, T0 + timedelta(minutes=3), fake) is SendStatus.DONE
    assert fake.corp.count(f"{EC}/get_groupmsg_send_result") == calls  # a finished send asks WeCom nothing


def test_staff_who_have_not_confirmed_are_reminded_at_most_three_times_a_day(context, fake):
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    send = _send(context, b)
    _advance(context, b, send.id, T0, fake)
    for hours in (1, 2, 4, 6, 8, 10, 12):
        _advance(context, b, send.id, T0 + timedelta(hours=hours), fake)
    assert fake.corp.count(f"{EC}/remind_groupmsg_send") == 3  # at 2 h, 4 h, 6 h; then WeCom's 3 per 24 h
    _advance(context, b, send.id, T0 + timedelta(hours=26), fake)
    assert fake.corp.count(f"{EC}/remind_groupmsg_send") == 4  # the first of them left the 24-hour window
    assert mass_sends.mass_send_report(context.uow(), b.admin, send.id).staff[0].reminders == 4
    assert _advance(context, b, send.id, T0 + timedelta(days=3, hours=1), fake) is SendStatus.DONE  # never confirmed
    assert mass_sends.mass_send_report(context.uow(), b.admin, send.id).targets == {"unsent": 1}
    assert fake.corp.count(f"{EC}/cancel_groupmsg_send") == 1


def test_an_unanswered_submit_is_found_in_wecom_and_never_sent_twice(context, fake):
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    send = _send(context, b)
    from tests.api.wecom_setup import QUICK as FAST
    context.wecom_retry = FAST.__class__(attempts=2, initial_wait=0.001, max_wait=0.002, jitter=0.001, timeout=0.2)
    fake.corp.faults.slow(0.5, times=1)  # WeCom makes the task, the answer comes too late (the token fetch is spared)
    _advance(context, b, send.id, T0, fake)
    _wait_for(lambda: len(fake.corp.mass_messages) == 1)  # the fake finishes the call it was stalling
    uow = context.uow()
    with uow:
        [task] = uow.mass_sends.tasks(b.tenant_id, send.id)
    assert task.state is TaskState.SUBMITTING and len(fake.corp.mass_messages) == 1
    _advance(context, b, send.id, T0 + timedelta(seconds=10), fake)  # too early to look: nothing happens
    assert fake.corp.count(f"{EC}/get_groupmsg_list_v2") == 0
    assert _advance(context, b, send.id, T0 + timedelta(seconds=40), fake) is SendStatus.POLLING
    with uow:
        [task] = uow.mass_sends.tasks(b.tenant_id, send.id)
    assert task.state is TaskState.SUBMITTED and task.msgid == next(iter(fake.corp.mass_messages))
    assert fake.corp.count(f"{EC}/add_msg_template") == 1


def test_a_submit_that_never_reached_wecom_is_sent_again_after_the_check(context, fake):
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    send = _send(context, b)
    fake.corp.faults.server_errors(times=1)  # a 502 from the gateway: WeCom made nothing
    _advance(context, b, send.id, T0, fake)
    assert fake.corp.mass_messages == {} and fake.corp.count(f"{EC}/add_msg_template") == 1  # not retried blindly
    assert _advance(context, b, send.id, T0 + timedelta(seconds=40), fake) is SendStatus.POLLING
    assert fake.corp.count(f"{EC}/get_groupmsg_list_v2") == 1 and len(fake.corp.mass_messages) == 1


def test_an_experiment_holds_customers_out_and_variants_get_their_text(context, fake):
    b = brand(context, fake, staff_count=1)
    for _ in range(30):
        customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    experiment = experiments.create_experiment(context.uow(), b.admin, ExperimentDraft.parse(
        name="春季实验", arms=(Arm("holdout", 20, control=True), Arm("a", 40), Arm("b", 40))))
    send = _send(context, b, text="默认文案", experiment_id=experiment.id, variant_texts={"b": "B 组文案"})
    _advance(context, b, send.id, T0, fake)
    targets = _targets(context, b, send.id)
    by_arm: dict[str, set[str]] = {}
    for row in targets.values():
        by_arm.setdefault(row.arm, set()).add(row.reason or row.status)
    assert by_arm["holdout"] == {"holdout"} and by_arm["a"] == {"waiting"} and by_arm["b"] == {"waiting"}
    texts = {m["text"]["content"]: len(m["customers"]) for m in fake.corp.mass_messages.values()}
    arms = [r.arm for r in targets.values()]
    assert texts == {"默认文案": arms.count("a"), "B 组文案": arms.count("b")}
    report = mass_sends.mass_send_report(context.uow(), b.admin, send.id)
    assert report.exclusions == {"holdout": arms.count("holdout")}


def test_cancelling_stops_what_is_not_sent_and_cancels_the_tasks_in_wecom(context, fake):
    b = brand(context, fake, staff_count=2)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    customer(context, fake, b, follows=[(b.staff[1], T0 - timedelta(days=1))])
    send = _send(context, b)
    _advance(context, b, send.id, T0, fake)
    first = next(m for m in fake.corp.mass_messages.values() if m["sender"] == b.staff[0].wecom_userid)
    confirm_mass_message(fake.corp, first["msgid"])
    assert mass_sends.cancel_mass_send(context.uow(), b.admin, send.id).status is SendStatus.CANCELLED
    assert _advance(context, b, send.id, T0 + timedelta(minutes=1), fake) is SendStatus.CANCELLED
    assert fake.corp.count(f"{EC}/cancel_groupmsg_send") == 1  # only the unconfirmed one
    assert mass_sends.mass_send_report(context.uow(), b.admin, send.id).targets == {"sent": 1, "unsent": 1}
    assert mass_sends.get_mass_send(context.uow(), b.admin, send.id).finished_at is not None
    assert mass_send_worker.unfinished(context.uow(), now=T0 + timedelta(minutes=2)) == []


def test_a_scheduled_send_waits_for_its_time(context, fake):
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    send = _send(context, b, scheduled_at=T0 + timedelta(hours=3))
    assert _advance(context, b, send.id, T0 + timedelta(hours=1), fake) is SendStatus.SCHEDULED
    assert (b.tenant_id, send.id) not in mass_send_worker.unfinished(context.uow(), now=T0 + timedelta(hours=1))
    assert (b.tenant_id, send.id) in mass_send_worker.unfinished(context.uow(), now=T0 + timedelta(hours=3))
    assert _advance(context, b, send.id, T0 + timedelta(hours=3), fake) is SendStatus.POLLING


def test_the_text_takes_the_staff_name_but_not_a_per_customer_field():
    with pytest.raises(InvalidInput) as raised:
        MassSendDraft.parse(name="x", text="{customer_name} 您好", customer_ids=[1])
    assert raised.value.code == "mass_send.per_customer_field"
    with pytest.raises(InvalidInput) as raised:
        MassSendDraft.parse(name="x", text="hi", customer_ids=[1], segment_id=2)
    assert raised.value.code == "mass_send.audience"


def test_contact_pressure_exclusions_are_counted_and_deliveries_recorded(context, fake):
    from siyu.domain.contact_pressure import ContactRules
    from siyu.services import contact_pressure

    b = brand(context, fake, staff_count=1)
    opted = customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    reached = customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    contact_pressure.opt_out(context.uow(), b.admin, opted)
    contact_pressure.update_rules(context.uow(), b.admin, ContactRules.parse(per_day=1))
    send = _send(context, b)
    _advance(context, b, send.id, T0, fake)
    assert mass_sends.mass_send_report(context.uow(), b.admin, send.id).exclusions == {"opted_out": 1}
    confirm_mass_message(fake.corp, next(iter(fake.corp.mass_messages)))
    assert _advance(context, b, send.id, T0 + timedelta(minutes=1), fake) is SendStatus.DONE
    again = _send(context, b, name="第二次")  # the same day: the delivery recorded above counts
    _advance(context, b, again.id, T0 + timedelta(minutes=2), fake)
    report = mass_sends.mass_send_report(context.uow(), b.admin, again.id)
    assert report.exclusions == {"opted_out": 1, "capped_day": 1} and report.send.status is SendStatus.DONE
    assert _targets(context, b, again.id)[reached].reason == "capped_day"


def test_the_planning_query_picks_staff_by_the_domain_rule(context, fake):
    import random

    from siyu.domain.mass_sends import Relation, pick_staff

    rng = random.Random(3)
    b = brand(context, fake, staff_count=4)
    expected = {}
    for _ in range(16):
        people = rng.sample(b.staff, rng.randint(1, 4))
        follows = [(p, T0 - timedelta(days=rng.choice((1, 2, 2, 5)))) for p in people]
        owner = rng.choice([None, *b.staff])
        customer_id = customer(context, fake, b, follows=follows, owner=owner)
        expected[customer_id] = pick_staff(owner.id if owner else None, [Relation(customer_id, p.id, at) for p, at in follows])
    uow = context.uow()
    with uow:
        assert uow.mass_sends.chosen_staff(b.tenant_id) == expected


def test_attachments_come_from_the_material_library(context, fake):
    from siyu.domain.errors import NotFound
    from siyu.domain.welcome import MaterialDraft
    from siyu.services import welcome

    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    link = welcome.create_material(context.uow(), b.admin, MaterialDraft.parse(kind="link", title="春季新品", url="https://x.cn/p"))
    send = _send(context, b, text="", material_ids=[link.id])
    _advance(context, b, send.id, T0, fake)
    [message] = fake.corp.mass_messages.values()
    assert message["attachments"] == [{"msgtype": "link", "link": {"title": "春季新品", "url": "https://x.cn/p"}}]
    assert message["text"] is None
    with pytest.raises(NotFound):
        _send(context, b, material_ids=[link.id + 999])
