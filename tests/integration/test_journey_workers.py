"""Two workers advancing the same journey at the same moment run every step exactly once (SQLite and PostgreSQL).

These tests need their own database (the usual fixture's rolled-back connection is one
connection): a migrated SQLite file, or a fresh PostgreSQL schema.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from siyu import bootstrap
from siyu.adapters.db.repositories.journeys import JourneyRepository
from siyu.adapters.db.tables import journey_step_runs
from siyu.services import clock, journey_runner, journeys, tags
from tests.conftest import BACKENDS
from tests.own_database import own_database
from tests import factories
from tests.integration.journey_setup import T0, reachable_customers, tag


@pytest.fixture(params=BACKENDS)
def own_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[bootstrap.Context]:
    with own_database(request.param, tmp_path, "workers") as ctx:
        yield ctx


class CountingPorts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sends: Counter[str] = Counter()
        self.tasks: Counter[str] = Counter()

    def messenger(self, uow_factory, tenant_id, *, sender, external_userid, text):  # noqa: ANN001
        with self.lock:
            self.sends[external_userid] += 1
        return "m"

    def guide_tasks(self, uow, tenant_id, *, source_key, **_):  # noqa: ANN001
        with self.lock:
            self.tasks[source_key] += 1
        return 1


def test_two_workers_run_each_step_exactly_once(own_db: bootstrap.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: T0)
    ctx = own_db
    _, admin = factories.tenant(ctx)
    _, people = reachable_customers(ctx, admin, 40)
    start, done = tag(ctx, admin), tag(ctx, admin)
    journey = journeys.create_journey(ctx.uow(), admin, name="并发", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [start]},
        "steps": [{"id": "m", "kind": "message", "text": "你好"}, {"id": "t", "kind": "guide_task", "title": "回访"},
                  {"id": "mark", "kind": "tag", "action": "apply", "tag_ids": [done]}]})
    journeys.start_journey(ctx.uow(), admin, journey.id)
    tags.apply_tags(ctx.uow(), admin, people, [start])

    # Both workers read the same due rows before either claims: the claim alone must split them.
    barrier = threading.Barrier(2, timeout=30)
    real_due = JourneyRepository.due

    def due_together(self, now, limit):  # noqa: ANN001
        found = real_due(self, now, limit)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the other worker has finished
        return found

    monkeypatch.setattr(JourneyRepository, "due", due_together)
    ports = CountingPorts()
    reports: list[journey_runner.RunReport] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            reports.append(journey_runner.run_due(ctx.uow, messenger=ports.messenger, guide_tasks=ports.guide_tasks, now=T0, batch=7))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            barrier.abort()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(reports) == 2, (errors, reports)
    assert sum(r.steps for r in reports) == 40 * 3 and sum(r.failed for r in reports) == 0
    assert len(ports.sends) == 40 and set(ports.sends.values()) == {1}
    assert len(ports.tasks) == 40 and set(ports.tasks.values()) == {1}
    with ctx.uow() as uow:
        runs = uow.session.execute(select(func.count()).select_from(journey_step_runs)).scalar_one()
    assert runs == 40 * 3
    assert {s.step_id: (s.in_step, s.passed) for s in journeys.step_stats(ctx.uow(), admin, journey.id)} == {
        "m": (0, 40), "t": (0, 40), "mark": (0, 40)}



def test_two_workers_never_let_two_journeys_pass_the_daily_limit_together(own_db: bootstrap.Context,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """One customer in two journeys that message them at once, one message a day allowed, each
    worker holding one of the two enrollments. Each worker, once it has screened, waits for the
    other to have screened too (a barrier that gives up after a few seconds): without the lock on
    the customer's row both would find no message today and both would send. With it the second
    screens only after the first committed its message: one message, the other ``capped_day``."""
    from siyu.domain.contact_pressure import ContactRules
    from siyu.services import contact_pressure

    monkeypatch.setattr(clock, "utcnow", lambda: T0)
    ctx = own_db
    _, admin = factories.tenant(ctx)
    _, people = reachable_customers(ctx, admin, 1)
    contact_pressure.update_rules(ctx.uow(), admin, ContactRules.parse(per_day=1))
    start = tag(ctx, admin)
    made = []
    for name in ("甲", "乙"):
        journey = journeys.create_journey(ctx.uow(), admin, name=name, definition={
            "trigger": {"kind": "tag_applied", "tag_ids": [start]}, "steps": [{"id": "m", "kind": "message", "text": name}]})
        journeys.start_journey(ctx.uow(), admin, journey.id)
        made.append(journey.id)
    tags.apply_tags(ctx.uow(), admin, people, [start])

    mine = threading.local()  # each worker takes the enrollment at its end of the due list
    real_due, real_screen = JourneyRepository.due, contact_pressure.screen_in
    screened = threading.Barrier(2, timeout=3)

    def due_apart(self, now, limit):  # noqa: ANN001
        found = real_due(self, now, 100)
        return (found[::-1] if mine.reverse else found)[:1]

    def screen_then_meet(*args, **kwargs):  # noqa: ANN002, ANN003
        result = real_screen(*args, **kwargs)
        try:
            screened.wait()
        except threading.BrokenBarrierError:
            pass  # the other worker is waiting for this one's lock (or has finished)
        return result

    monkeypatch.setattr(JourneyRepository, "due", due_apart)
    monkeypatch.setattr(contact_pressure, "screen_in", screen_then_meet)
    ports = CountingPorts()
    reports: list[journey_runner.RunReport] = []
    errors: list[BaseException] = []

    def worker(reverse: bool) -> None:
        mine.reverse = reverse
        try:
            reports.append(journey_runner.run_due(ctx.uow, messenger=ports.messenger, guide_tasks=ports.guide_tasks, now=T0, batch=1))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(r,)) for r in (False, True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(reports) == 2, (errors, reports)
    assert sum(ports.sends.values()) == 1  # one message, from one of the journeys
    assert sum(r.excluded for r in reports) == 1 and sum(r.failed for r in reports) == 0
    stats = [journeys.step_stats(ctx.uow(), admin, j)[0] for j in made]
    assert sorted((s.passed, s.dropped_by) for s in stats) == [(0, {"capped_day": 1}), (1, {})]
