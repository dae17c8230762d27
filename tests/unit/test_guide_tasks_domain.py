"""Guide tasks in the domain: drafts, closing, rule windows and ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.guide_tasks import (
    BoardCounts, GuideTask, LifecycleRule, RuleDraft, TaskDraft, TaskKind, TaskSource, TaskState, rank_rows,
)

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def _task(state: TaskState = TaskState.OPEN, due: datetime = NOW) -> GuideTask:
    return GuideTask(id=1, staff_id=2, staff_name="小王", store_id=3, customer_id=None, customer_name=None, kind=TaskKind.GREET,
                     title="t", script="", due_at=due, state=state, source_kind=TaskSource.MANUAL, source_key=None, created_by="x",
                     created_at=NOW, closed_at=None, reminded_at=None)


def test_a_draft_cleans_its_title_and_refuses_what_it_cannot_store() -> None:
    draft = TaskDraft.parse(kind="give_coupon", title="  送  优惠券 ", script=" 送您一张券 ", due_at=NOW)
    assert (draft.kind, draft.title, draft.script) == (TaskKind.GIVE_COUPON, "送 优惠券", "送您一张券")
    for bad, code in (({"kind": "sing"}, "guide_task.unknown_kind"), ({"title": ""}, "guide_task.title_required"),
                      ({"title": "长" * 101}, "guide_task.title_too_long"), ({"script": "话" * 2001}, "guide_task.script_too_long"),
                      ({"due_at": datetime(2026, 12, 3)}, "guide_task.naive_time")):
        values = {"kind": "greet", "title": "t", "script": "", "due_at": NOW, **bad}
        with pytest.raises(InvalidInput) as caught:
            TaskDraft.parse(**values)  # type: ignore[arg-type]
        assert caught.value.code == code


def test_only_an_open_task_closes_and_overdue_means_open_past_due() -> None:
    assert _task().close(TaskState.DONE) is TaskState.DONE
    with pytest.raises(Conflict):
        _task(TaskState.SKIPPED).close(TaskState.DONE)
    with pytest.raises(InvalidInput):
        _task().close(TaskState.OPEN)
    assert _task(due=NOW - timedelta(seconds=1)).overdue(NOW) and not _task(due=NOW).overdue(NOW)
    assert not _task(TaskState.DONE, due=NOW - timedelta(days=1)).overdue(NOW)


def test_a_rule_looks_at_entries_n_days_old_within_its_catch_up() -> None:
    rule = LifecycleRule(id=7, stage_id=1, stage_name="意向", days=3, kind=TaskKind.FOLLOW_UP, title="t", script="", active=True,
                         created_at=NOW)
    assert rule.entered_window(NOW, timedelta(days=7)) == (NOW - timedelta(days=10), NOW - timedelta(days=3))
    assert rule.source_key(42, 99) == "rule:7:customer:42:entry:99"
    with pytest.raises(InvalidInput):
        RuleDraft.parse(stage_id=1, days=366, kind="greet", title="t", script="")


def _counts(key: int, due: int, done: int, gmv: str = "0") -> BoardCounts:
    return BoardCounts(key=key, label=f"s{key}", due=due, done=done, skipped=0, orders=0, gmv=Decimal(gmv), replied=0)


def test_ranking_puts_the_best_rate_first_and_shares_ties() -> None:
    rows = rank_rows([_counts(1, 4, 2), _counts(2, 2, 2), _counts(3, 2, 1), _counts(4, 0, 0), _counts(5, 4, 2, "9"),
                      _counts(6, 4, 2)])
    assert [(r.key, r.rank, r.completion_rate) for r in rows] == [
        (2, 1, 1.0), (5, 2, 0.5), (1, 3, 0.5), (6, 3, 0.5), (3, 5, 0.5), (4, 6, 0.0)]


def test_rolling_up_counts_an_order_once_per_row_and_adds_up_replied_tasks() -> None:
    from siyu.domain.guide_tasks import BoardLevel, GuideTally, Outcome, roll_up

    tallies = [GuideTally(1, "甲", 10, "A店", 100, "华东", due=4, done=2, skipped=1, replied=1),
               GuideTally(2, "乙", 10, "A店", 100, "华东", due=2, done=2, skipped=0, replied=2),
               GuideTally(3, "丙", 20, "B店", None, "", due=1, done=0, skipped=1, replied=0)]
    outcomes = [Outcome(1, 10, 501, Decimal("100.00")), Outcome(1, 10, 502, Decimal("150.00")), Outcome(2, 10, 502, Decimal("150.00"))]
    by = {level: {(r.key, r.label, r.due, r.done, r.skipped, r.orders, r.gmv) for r in roll_up(level, tallies, outcomes)}
          for level in BoardLevel}
    assert by[BoardLevel.GUIDE] == {(1, "甲", 4, 2, 1, 2, Decimal("250.00")), (2, "乙", 2, 2, 0, 1, Decimal("150.00")),
                                    (3, "丙", 1, 0, 1, 0, Decimal("0.00"))}
    assert by[BoardLevel.STORE] == {(10, "A店", 6, 4, 1, 2, Decimal("250.00")), (20, "B店", 1, 0, 1, 0, Decimal("0.00"))}
    assert by[BoardLevel.REGION] == {(100, "华东", 6, 4, 1, 2, Decimal("250.00")), (None, "", 1, 0, 1, 0, Decimal("0.00"))}
    assert by[BoardLevel.NATION] == {(None, "", 7, 4, 2, 2, Decimal("250.00"))}
    assert [(r.key, r.due) for r in roll_up(BoardLevel.NATION, [], [])] == [(None, 0)]
    replied = {level: {(r.key, r.replied) for r in roll_up(level, tallies, outcomes)} for level in BoardLevel}
    assert replied[BoardLevel.GUIDE] == {(1, 1), (2, 2), (3, 0)}
    assert replied[BoardLevel.STORE] == {(10, 3), (20, 0)} and replied[BoardLevel.REGION] == {(100, 3), (None, 0)}
    assert replied[BoardLevel.NATION] == {(None, 3)}
    [store_a] = [r for r in rank_rows(roll_up(BoardLevel.STORE, tallies, outcomes)) if r.key == 10]
    assert store_a.reply_rate == pytest.approx(3 / 4)  # replied / done
    assert rank_rows([_counts(9, 1, 0)])[0].reply_rate == 0.0  # nothing done: 0, not a division by zero
