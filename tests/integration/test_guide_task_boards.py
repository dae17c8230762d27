"""Leaderboards on a hand-built history, with every expected number worked out below.

Region 华东 holds stores A and B; store C has no region. now = 10 December 12:00 Shanghai, a
7-day period: tasks due from 4 December 00:00 to 11 December 00:00 (Shanghai).

- g1 (A): 4 tasks: done about customer X on 5 Dec 10:00, done about X on 6 Dec 10:00, skipped,
  open -> 2/4 = 0.5. X's orders: 4 Dec (before any task was done: no), 5 Dec 18:00 100.00
  (after the first), 7 Dec 08:00 200.00 with 50.00 refunded (after both: counted once, 150.00),
  8 Dec fully refunded (no) -> 2 orders, 250.00.
- g2 (A): 2 due tasks, both done: about Y on 9 Dec 09:00 (Y ordered 80.00 on 9 Dec 13:00) and
  about X on 6 Dec 11:00 (X's 7 Dec order again) -> 2/2 = 1.0, 2 orders, 230.00. Plus one
  cancelled (not due) and one done task due 1 Dec (outside the period).
- g3 (B): done (no customer) + open -> 1/2 = 0.5, no orders.  g4 (C): skipped -> 0/1 = 0.
- Guides: g2 1.0 (#1); g1 and g3 both 0.5, g1 did more (#2, #3); g4 (#4).
- Stores: A 4/6 with X's two orders and Y's one, each once: 3 orders, 100 + 150 + 80 = 330.00;
  B 1/2; C 0/1.  Regions: 华东 5/8 = 0.625, 3 orders, 330.00; no region 0/1.
- Nation: 9 due, 5 done, 2 skipped, 3 orders, 330.00.

Replies (``test_replied_tasks_per_guide_store_region_and_nation``; a done task is replied when its
customer has a ``message_replied`` event in (done, done + 7 days]): X writes 5 Dec 12:00 and 15:00
(g1's first task, once), 6 Dec 10:30 (g1's second; g2's X task is done at 11:00, after it) and
6 Dec 11:00 (exactly when g2's X task was done: not after it); Y writes 9 Dec 08:00 (before g2's Y
task was done), 10 Dec 09:00 (after: replied) and 16 Dec 10:00 (past its window, 16 Dec 09:00);
a customer with no task writes too, and Y opens the mini-program (not a reply).
-> g1 2 of 2 done, g2 1 of 2, g3 0 of 1 (no customer), g4 0; stores A 3, B 0, C 0; regions
华东 3, none 0; nation 3 of 5 done = 0.6.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert

from siyu.adapters.db.tables import events, orders
from siyu.bootstrap import Context
from siyu.domain.access import Actor, Role
from siyu.domain.errors import InvalidInput
from siyu.domain.guide_tasks import BoardLevel
from siyu.services import guide_tasks, regions
from tests import factories

SH = timedelta(hours=8)
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC) - SH


def sh(day: int, hour: int = 12) -> datetime:
    """A December time in Shanghai, as UTC."""
    return datetime(2026, 12, day, hour, 0, tzinfo=UTC) - SH


def _order(context: Context, tenant_id: int, customer_id: int, at: datetime, amount: str, refunded: str = "0") -> None:
    status = "refunded" if refunded == amount else ("partially_refunded" if refunded != "0" else "paid")
    with context.uow() as uow:
        uow.session.execute(insert(orders).values(
            tenant_id=tenant_id, source="mall", source_order_id=factories.uid(), customer_id=customer_id, identities={}, ordered_at=at,
            amount=Decimal(amount), refunded_amount=Decimal(refunded), status=status, digest="x", created_at=at, updated_at=at))
        uow.commit()


def _event(context: Context, tenant_id: int, customer_id: int, at: datetime, name: str = "message_replied") -> None:
    with context.uow() as uow:
        uow.session.execute(insert(events).values(
            tenant_id=tenant_id, event_id=factories.uid(), name=name, occurred_at=at, customer_id=customer_id, identity_kind="phone",
            identity_value="13900000000", properties={}, received_at=at, created_at=at, updated_at=at))
        uow.commit()


class History:
    def __init__(self, context: Context) -> None:
        self.context = context
        _, self.admin = factories.tenant(context)
        self.region = regions.create_region(context.uow(), self.admin, "华东")
        self.a = factories.store(context, self.admin, region_id=self.region.id)
        self.b = factories.store(context, self.admin, region_id=self.region.id)
        self.c = factories.store(context, self.admin)
        self.g1, self.g2 = (factories.member(context, self.admin, store_id=self.a.id) for _ in range(2))
        self.g3 = factories.member(context, self.admin, store_id=self.b.id)
        self.g4 = factories.member(context, self.admin, store_id=self.c.id)
        self.x, self.y = (c.id for c in factories.customers_of(context, self.admin, 2))
        self.n = 0

    def task(self, member, due: datetime, *, customer: int | None = None, close: str | None = None,  # type: ignore[no-untyped-def]
             at: datetime | None = None) -> int:
        self.n += 1
        with self.context.uow() as uow:
            task_id = guide_tasks.add_source_task_in(uow, self.admin.tenant_id, staff_id=member.id, customer_id=customer,
                                                     kind="follow_up", title=f"任务{self.n}", script="", due_at=due,
                                                     source_kind="journey", source_key=f"k{self.n}")
            uow.commit()
        if close:
            getattr(guide_tasks, f"{close}_task")(self.context.uow(), self.admin, task_id, now=at or due)
        return task_id


@pytest.fixture
def history(context: Context) -> History:
    h = History(context)
    h.task(h.g1, sh(5), customer=h.x, close="complete", at=sh(5, 10))
    h.task(h.g1, sh(6), customer=h.x, close="complete", at=sh(6, 10))
    h.task(h.g1, sh(6), close="skip")
    h.task(h.g1, sh(10, 20))
    h.task(h.g2, sh(9), customer=h.y, close="complete", at=sh(9, 9))
    h.task(h.g2, sh(6), customer=h.x, close="complete", at=sh(6, 11))
    h.task(h.g2, sh(7), close="cancel")
    h.task(h.g2, sh(1), customer=h.y, close="complete", at=sh(1))  # due before the period
    h.task(h.g3, sh(8), close="complete")
    h.task(h.g3, sh(9))
    h.task(h.g4, sh(8), close="skip")
    t = h.admin.tenant_id
    _order(context, t, h.x, sh(4), "999.00")
    _order(context, t, h.x, sh(5, 18), "100.00")
    _order(context, t, h.x, sh(7, 8), "200.00", "50.00")
    _order(context, t, h.x, sh(8), "60.00", "60.00")
    _order(context, t, h.y, sh(9, 13), "80.00")
    _, other = factories.tenant(context)  # another brand's tasks count nowhere here
    elsewhere = factories.member(context, other, store_id=factories.store(context, other).id)
    with context.uow() as uow:
        guide_tasks.add_source_task_in(uow, other.tenant_id, staff_id=elsewhere.id, customer_id=None, kind="greet", title="x",
                                       script="", due_at=sh(8), source_kind="journey", source_key="other")
        uow.commit()
    return h


def _rows(board):  # type: ignore[no-untyped-def]
    return [(r.rank, r.key, r.due, r.done, r.skipped, round(r.completion_rate, 4), r.orders, r.gmv) for r in board.rows]


def test_guide_leaderboard(context: Context, history: History) -> None:
    h = history
    board = guide_tasks.leaderboard(context.uow(), h.admin, BoardLevel.GUIDE, now=NOW)
    assert (board.since, board.until) == (sh(4, 0), sh(11, 0))
    assert _rows(board) == [
        (1, h.g2.id, 2, 2, 0, 1.0, 2, Decimal("230.00")),
        (2, h.g1.id, 4, 2, 1, 0.5, 2, Decimal("250.00")),
        (3, h.g3.id, 2, 1, 0, 0.5, 0, Decimal("0.00")),
        (4, h.g4.id, 1, 0, 1, 0.0, 0, Decimal("0.00")),
    ]
    assert board.rows[0].label == h.g2.name


def test_store_region_and_nation_leaderboards(context: Context, history: History) -> None:
    h = history
    stores = guide_tasks.leaderboard(context.uow(), h.admin, BoardLevel.STORE, now=NOW)
    assert _rows(stores) == [
        (1, h.a.id, 6, 4, 1, 0.6667, 3, Decimal("330.00")),
        (2, h.b.id, 2, 1, 0, 0.5, 0, Decimal("0.00")),
        (3, h.c.id, 1, 0, 1, 0.0, 0, Decimal("0.00")),
    ]
    areas = guide_tasks.leaderboard(context.uow(), h.admin, BoardLevel.REGION, now=NOW)
    assert _rows(areas) == [(1, h.region.id, 8, 5, 1, 0.625, 3, Decimal("330.00")), (2, None, 1, 0, 1, 0.0, 0, Decimal("0.00"))]
    assert areas.rows[0].label == "华东"
    nation = guide_tasks.leaderboard(context.uow(), h.admin, BoardLevel.NATION, now=NOW)
    assert _rows(nation) == [(1, None, 9, 5, 2, round(5 / 9, 4), 3, Decimal("330.00"))]


def test_a_shorter_period_and_a_guide_sees_the_boards(context: Context, history: History) -> None:
    h = history
    guide = Actor(tenant_id=h.admin.tenant_id, role=Role.GUIDE, staff_id=h.g1.id, store_id=h.a.id)
    # 2 days: tasks due 9 and 10 December only -> g1's open task, g2's Y task, g3's open task.
    board = guide_tasks.leaderboard(context.uow(), guide, BoardLevel.GUIDE, days=2, now=NOW)
    rows = _rows(board)
    assert rows[0] == (1, h.g2.id, 1, 1, 0, 1.0, 1, Decimal("80.00"))
    assert sorted(rows[1:]) == sorted([(2, h.g1.id, 1, 0, 0, 0.0, 0, Decimal("0.00")), (2, h.g3.id, 1, 0, 0, 0.0, 0, Decimal("0.00"))])
    assert board.rank_of(h.g1.id).rank == 2  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        guide_tasks.leaderboard(context.uow(), guide, BoardLevel.GUIDE, days=0, now=NOW)


def test_the_nation_board_of_a_brand_without_tasks_is_zero(context: Context) -> None:
    _, admin = factories.tenant(context)
    assert _rows(guide_tasks.leaderboard(context.uow(), admin, BoardLevel.NATION, now=NOW)) == [(1, None, 0, 0, 0, 0.0, 0, Decimal("0.00"))]


def test_replied_tasks_per_guide_store_region_and_nation(context: Context, history: History) -> None:
    h, t = history, history.admin.tenant_id
    for customer, at in ((h.x, sh(5, 12)), (h.x, sh(5, 15)), (h.x, datetime(2026, 12, 6, 2, 30, tzinfo=UTC)), (h.x, sh(6, 11)),
                         (h.y, sh(9, 8)), (h.y, sh(10, 9)), (h.y, sh(16, 10))):
        _event(context, t, customer, at)
    _event(context, t, h.y, sh(9, 10), name="miniprogram_visit")
    stranger = factories.customers_of(context, h.admin, 1)[0].id
    _event(context, t, stranger, sh(8))

    def replied(level: BoardLevel) -> dict[int | None, tuple[int, float]]:
        board = guide_tasks.leaderboard(context.uow(), h.admin, level, now=NOW)
        return {r.key: (r.replied, round(r.reply_rate, 4)) for r in board.rows}

    assert replied(BoardLevel.GUIDE) == {h.g1.id: (2, 1.0), h.g2.id: (1, 0.5), h.g3.id: (0, 0.0), h.g4.id: (0, 0.0)}
    assert replied(BoardLevel.STORE) == {h.a.id: (3, 0.75), h.b.id: (0, 0.0), h.c.id: (0, 0.0)}
    assert replied(BoardLevel.REGION) == {h.region.id: (3, 0.6), None: (0, 0.0)}
    assert replied(BoardLevel.NATION) == {None: (3, 0.6)}
    assert _rows(guide_tasks.leaderboard(context.uow(), h.admin, BoardLevel.GUIDE, now=NOW))[0] == (
        1, h.g2.id, 2, 2, 0, 1.0, 2, Decimal("230.00"))  # replies do not change the ranking
