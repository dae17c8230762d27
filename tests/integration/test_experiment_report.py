"""The experiment report on the operational store: converters and GMV per arm over the window, net of refunds,
and repliers (customers with a ``message_replied`` event in the window)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert

from siyu.adapters.db.tables import events, experiment_assignments, orders
from siyu.bootstrap import Context
from siyu.domain.access import Actor, Role
from siyu.domain.errors import InvalidInput, PermissionDenied
from siyu.domain.experiment_stats import NoTest, ProportionTest
from siyu.domain.experiments import Arm, ExperimentDraft
from siyu.services import experiments
from tests import factories

START = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _seed(context: Context, admin: Actor, arms: dict[str, list[int]], placed: list[tuple[int, int, str, str]]) -> None:
    """Assignments as given (not hashed, so the test knows each arm) and orders (customer, day after start, amount, refunded)."""
    with context.uow() as uow:
        rows = [{"tenant_id": admin.tenant_id, "experiment_id": eid, "customer_id": c, "arm": arm, "assigned_at": START}
                for (eid, arm), people in arms.items() for c in people]  # type: ignore[misc]
        if rows:
            uow.session.execute(insert(experiment_assignments), rows)
        for i, (customer_id, day, amount, refunded) in enumerate(placed):
            status = "paid" if refunded == "0" else ("refunded" if refunded == amount else "partially_refunded")
            uow.session.execute(insert(orders).values(
                tenant_id=admin.tenant_id, source="mall", source_order_id=f"x-{factories.uid()}-{i}", customer_id=customer_id,
                identities={}, ordered_at=START + timedelta(days=day), amount=Decimal(amount), refunded_amount=Decimal(refunded),
                status=status, digest="d", created_at=START, updated_at=START))
        uow.commit()


def test_report_counts_converters_and_net_gmv_inside_the_window(context: Context) -> None:
    _, admin = factories.tenant(context)
    people = [c.id for c in factories.customers_of(context, admin, 7)]
    made = experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="双十二", holdout_percent=50,
                                                                                       window_days=7), started_at=START)
    holdout, send = people[:3], people[3:]
    _seed(context, admin, {(made.id, "holdout"): holdout, (made.id, "send"): send}, [
        (send[0], 1, "100.00", "0"),       # converts: 100
        (send[0], 2, "50.00", "20.00"),    # the same customer again, part refunded: +30
        (send[1], 3, "80.00", "80.00"),    # wholly refunded: not a conversion
        (send[2], 6, "10.50", "0"),        # day 6, inside a 7-day window
        (send[3], 8, "999.00", "0"),       # day 8: outside 7 days, inside 14
        (send[3], -1, "999.00", "0"),      # before the start
        (holdout[0], 0, "40.00", "0"),
    ])
    report = experiments.experiment_report(context.uow(), admin, made.id, now=START + timedelta(days=30))
    control, variant = report.arms
    assert (control.key, control.customers, control.converters, control.gmv) == ("holdout", 3, 1, Decimal("40.00"))
    assert (variant.key, variant.customers, variant.converters, variant.gmv) == ("send", 4, 2, Decimal("140.50"))
    assert variant.gmv_per_customer == Decimal("35.12") and control.gmv_per_customer == Decimal("13.33")
    assert report.window_days == 7 and report.complete
    [comparison] = report.comparisons
    assert isinstance(comparison.conversion, ProportionTest) and comparison.conversion.small_sample
    assert comparison.conversion.difference == pytest.approx(2 / 4 - 1 / 3)

    longer = experiments.experiment_report(context.uow(), admin, made.id, window_days=14, now=START + timedelta(days=10))
    assert longer.arms[1].converters == 3 and longer.arms[1].gmv == Decimal("1139.50") and not longer.complete


def test_report_of_an_experiment_nobody_converted_in_says_why_there_is_no_test(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, other = factories.tenant(context)
    people = [c.id for c in factories.customers_of(context, admin, 4)]
    theirs = factories.customers_of(context, other, 1)[0].id
    draft = ExperimentDraft.parse(name="三臂", arms=[Arm("holdout", 1, control=True), Arm("a", 1), Arm("b", 1)])
    made = experiments.create_experiment(context.uow(), admin, draft, started_at=START)
    _seed(context, admin, {(made.id, "holdout"): people[:2], (made.id, "a"): people[2:]}, [])
    _seed(context, other, {}, [(theirs, 1, "10.00", "0")])  # another tenant's orders never count
    report = experiments.experiment_report(context.uow(), admin, made.id, now=START)
    assert [(a.key, a.customers, a.converters) for a in report.arms] == [("holdout", 2, 0), ("a", 2, 0), ("b", 0, 0)]
    a, b = report.comparisons
    assert a.conversion == NoTest("no_converters") and a.gmv_per_customer == NoTest("no_variance")
    assert b.conversion == NoTest("no_customers")
    with pytest.raises(InvalidInput) as caught:
        experiments.experiment_report(context.uow(), admin, made.id, window_days=0)
    assert caught.value.code == "experiment.bad_window"


def test_guides_may_not_read_reports(context: Context) -> None:
    _, admin = factories.tenant(context)
    made = experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="x", holdout_percent=10))
    guide = Actor(tenant_id=admin.tenant_id, role=Role.GUIDE, staff_id=1, store_id=1)
    with pytest.raises(PermissionDenied):
        experiments.experiment_report(context.uow(), guide, made.id)


def _events(context: Context, admin: Actor, happened: list[tuple[int | None, float, str]]) -> None:
    """Behaviour events (customer or None for unmatched, days after the start, name)."""
    with context.uow() as uow:
        for customer_id, day, name in happened:
            at = START + timedelta(days=day)
            uow.session.execute(insert(events).values(
                tenant_id=admin.tenant_id, event_id=f"e-{factories.uid()}", name=name, occurred_at=at, customer_id=customer_id,
                identity_kind="phone", identity_value="13900000000", properties={}, received_at=at, created_at=at, updated_at=at))
        uow.commit()


def test_report_counts_repliers_per_arm_inside_the_window(context: Context) -> None:
    """send 2 of 6 replied (s1 twice, s4 late on day 6), holdout 1 of 4 (h1 at the very start).
    By hand: p1 = 1/3, p2 = 1/4, pooled p = 3/10; SE = sqrt(0.3 * 0.7 * (1/6 + 1/4)) = 0.295804;
    z = (1/3 - 1/4) / 0.295804 = 0.2817; p = 2 * (1 - Phi(0.2817)) = 0.7782 (scipy.stats.norm.sf agrees)."""
    _, admin = factories.tenant(context)
    people = [c.id for c in factories.customers_of(context, admin, 11)]
    made = experiments.create_experiment(context.uow(), admin, ExperimentDraft.holdout(name="回复", holdout_percent=40, window_days=7),
                                         started_at=START)
    holdout, send, outsider = people[:4], people[4:10], people[10]
    _seed(context, admin, {(made.id, "holdout"): holdout, (made.id, "send"): send}, [])
    reply = "message_replied"
    _events(context, admin, [
        (send[0], 1, reply), (send[0], 2, reply),   # two replies: one replier
        (send[1], -0.01, reply),                    # just before the start: not in the window
        (send[2], 7, reply), (send[2], 8, reply),   # at the window's end (exclusive) and after it
        (send[3], 6.9, reply),                      # late on day 6: counts
        (send[4], 1, "miniprogram_visit"),          # another event is not a reply
        (holdout[0], 0, reply),                     # at the very start (inclusive): counts
        (outsider, 1, reply),                       # in no arm: counts nowhere
        (None, 1, reply),                           # not matched to a customer yet
    ])
    report = experiments.experiment_report(context.uow(), admin, made.id, now=START + timedelta(days=30))
    control, variant = report.arms
    assert (control.customers, control.repliers, variant.customers, variant.repliers) == (4, 1, 6, 2)
    assert control.reply_rate == pytest.approx(0.25) and variant.reply_rate == pytest.approx(1 / 3)
    assert control.converters == variant.converters == 0
    [comparison] = report.comparisons
    assert isinstance(comparison.replies, ProportionTest) and comparison.replies.small_sample
    assert comparison.replies.z == pytest.approx(0.2817, abs=5e-5) and comparison.replies.p_value == pytest.approx(0.7782, abs=5e-5)
    assert not comparison.replies.significant and comparison.conversion == NoTest("no_converters")

    longer = experiments.experiment_report(context.uow(), admin, made.id, window_days=14, now=START)
    assert [a.repliers for a in longer.arms] == [1, 3]  # send[2]'s day-7 and day-8 replies: one more replier
