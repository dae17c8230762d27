"""Guide tasks (导购任务): one thing for one staff member to do, about one customer (or none).

A task comes from somewhere (its *source*): a manager's assignment, the guide's own note, a
journey step, a mass send, or a lifecycle rule of the tenant ("in stage 意向 for 3 days ->
follow up"). Generated tasks carry a *source key* so the generator can run again and make
nothing twice: ``(tenant, source kind, source key)`` is unique.

A task is open until its assignee (or their manager) marks it done or skipped; a manager may
also cancel it. Only an open task changes state. Overdue = still open after its due time.

Outcomes of a done task are the orders of its customer in the :data:`OUTCOME_DAYS` after it
was done, and whether the customer replied in that time: a behaviour event named
``message_replied`` (the conversation archive's replies, sent through the events API; see
:mod:`siyu.domain.experiment_reports`). A replied task counts once however often they wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from siyu.domain.errors import Conflict, InvalidInput

OUTCOME_DAYS = 7
MAX_TITLE = 100
MAX_SCRIPT = 2000
MAX_SOURCE_KEY = 120
MAX_RULE_DAYS = 365


class TaskKind(StrEnum):
    GREET = "greet"
    FOLLOW_UP = "follow_up"
    SEND_CONTENT = "send_content"
    GIVE_COUPON = "give_coupon"
    INVITE_TO_GROUP = "invite_to_group"
    ADD_FRIEND = "add_friend"  # add a phone of a bulk add-friend batch (services/add_friend.py)
    OTHER = "other"


class TaskState(StrEnum):
    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class TaskSource(StrEnum):
    MANUAL = "manual"  # the guide's own
    MANAGER_ASSIGNMENT = "manager_assignment"
    JOURNEY = "journey"
    MASS_SEND = "mass_send"
    LIFECYCLE_RULE = "lifecycle_rule"
    ADD_FRIEND = "add_friend"


def parse_kind(value: str) -> TaskKind:
    try:
        return TaskKind(value)
    except ValueError:
        raise InvalidInput("guide_task.unknown_kind", "unknown task kind “%(kind)s”", field="kind", kind=value) from None


def parse_source(value: str) -> TaskSource:
    try:
        return TaskSource(value)
    except ValueError:
        raise InvalidInput("guide_task.unknown_source", "unknown task source “%(source)s”", field="source_kind",
                           source=value) from None


def parse_state(value: str) -> TaskState:
    try:
        return TaskState(value)
    except ValueError:
        raise InvalidInput("guide_task.unknown_state", "unknown task state “%(state)s”", field="state", state=value) from None


def clean_title(value: str) -> str:
    title = " ".join((value or "").split())
    if not title:
        raise InvalidInput("guide_task.title_required", "a task needs a title", field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput("guide_task.title_too_long", "a task title is at most %(max)s characters", field="title", max=MAX_TITLE)
    return title


def clean_script(value: str | None) -> str:
    script = (value or "").strip()
    if len(script) > MAX_SCRIPT:
        raise InvalidInput("guide_task.script_too_long", "a suggested script is at most %(max)s characters", field="script",
                           max=MAX_SCRIPT)
    return script


def clean_source_key(value: str) -> str:
    key = (value or "").strip()
    if not key or len(key) > MAX_SOURCE_KEY:
        raise InvalidInput("guide_task.bad_source_key", "a source key is 1 to %(max)s characters", field="source_key",
                           max=MAX_SOURCE_KEY)
    return key


def require_aware(value: datetime, field: str = "due_at") -> datetime:
    if value.tzinfo is None:
        raise InvalidInput("guide_task.naive_time", "give the time with its time zone", field=field)
    return value


@dataclass(frozen=True, slots=True)
class TaskDraft:
    """Validated input for a new task."""

    kind: TaskKind
    title: str
    script: str
    due_at: datetime

    @classmethod
    def parse(cls, *, kind: str, title: str, script: str | None, due_at: datetime) -> TaskDraft:
        return cls(kind=parse_kind(kind), title=clean_title(title), script=clean_script(script), due_at=require_aware(due_at))


@dataclass(frozen=True, slots=True)
class GuideTask:
    id: int
    staff_id: int
    staff_name: str
    store_id: int | None
    customer_id: int | None
    customer_name: str | None
    kind: TaskKind
    title: str
    script: str
    due_at: datetime
    state: TaskState
    source_kind: TaskSource
    source_key: str | None
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    reminded_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return self.state is TaskState.OPEN and self.due_at < now

    def close(self, to: TaskState) -> TaskState:
        """The state after closing; only an open task closes, and not back to open."""
        if to is TaskState.OPEN:
            raise InvalidInput("guide_task.bad_state", "a task is closed as done, skipped or cancelled", field="state")
        if self.state is not TaskState.OPEN:
            raise Conflict("guide_task.not_open", "this task is closed already (%(state)s)", state=self.state.value)
        return to


@dataclass(frozen=True, slots=True)
class TaskFilter:
    staff_id: int | None = None
    store_id: int | None = None
    customer_id: int | None = None
    state: TaskState | None = None
    source_kind: TaskSource | None = None
    due_from: datetime | None = None
    due_before: datetime | None = None
    overdue_at: datetime | None = None  # open and due before this moment


@dataclass(frozen=True, slots=True)
class LifecycleRule:
    """"A customer in stage S for N days -> a task of this kind for their owner staff member"."""

    id: int
    stage_id: int
    stage_name: str
    days: int
    kind: TaskKind
    title: str
    script: str
    active: bool
    created_at: datetime

    def entered_window(self, now: datetime, catch_up: timedelta) -> tuple[datetime, datetime]:
        """Stage entries (exclusive start, inclusive end) that are due a task at ``now``: N days old,
        and not older than ``catch_up`` beyond that (a rule does not reach back into years of history)."""
        end = now - timedelta(days=self.days)
        return end - catch_up, end

    def source_key(self, customer_id: int, stage_change_id: int) -> str:
        """One task per rule per customer per entry into the stage."""
        return f"rule:{self.id}:customer:{customer_id}:entry:{stage_change_id}"


@dataclass(frozen=True, slots=True)
class RuleDraft:
    stage_id: int
    days: int
    kind: TaskKind
    title: str
    script: str
    active: bool = True

    @classmethod
    def parse(cls, *, stage_id: int, days: int, kind: str, title: str, script: str | None, active: bool = True) -> RuleDraft:
        if not 1 <= days <= MAX_RULE_DAYS:
            raise InvalidInput("guide_task.bad_rule_days", "a rule waits 1 to %(max)s days", field="days", max=MAX_RULE_DAYS)
        return cls(stage_id=stage_id, days=days, kind=parse_kind(kind), title=clean_title(title), script=clean_script(script),
                   active=active)


class BoardLevel(StrEnum):
    GUIDE = "guide"
    STORE = "store"
    REGION = "region"
    NATION = "nation"


def parse_level(value: str) -> BoardLevel:
    try:
        return BoardLevel(value)
    except ValueError:
        raise InvalidInput("guide_task.unknown_level", "choose guide, store, region or nation", field="level") from None


@dataclass(frozen=True, slots=True)
class BoardCounts:
    """Raw counts of one row of a leaderboard, as the store's query returns them."""

    key: int | None  # the staff, store or region id (None: no store / no region / the nation)
    label: str
    due: int  # tasks due in the period, cancelled ones left out
    done: int
    skipped: int
    orders: int  # distinct orders of done tasks' customers within OUTCOME_DAYS after done
    gmv: Decimal  # their net amount (paid minus refunded)
    replied: int  # done tasks whose customer replied within OUTCOME_DAYS after done


@dataclass(frozen=True, slots=True)
class GuideTally:
    """Tasks due in a period for one guide in one store (the task's store), with where that store is."""

    staff_id: int
    staff_name: str
    store_id: int | None
    store_name: str
    region_id: int | None
    region_name: str
    due: int
    done: int
    skipped: int
    replied: int  # of the done ones: the customer replied (message_replied) within OUTCOME_DAYS after done


@dataclass(frozen=True, slots=True)
class Outcome:
    """An order that followed a done task of this guide in this store (once per guide, store and order)."""

    staff_id: int
    store_id: int | None
    order_id: int
    net: Decimal


def roll_up(level: BoardLevel, tallies: list[GuideTally], outcomes: list[Outcome]) -> list[BoardCounts]:
    """The rows of one leaderboard from the per-guide tallies: counts add up; an order counts once per row,
    however many of the row's done tasks it followed. The nation is always one row."""
    region_of = {t.store_id: t.region_id for t in tallies}

    def key_of(staff_id: int, store_id: int | None) -> int | None:
        if level is BoardLevel.GUIDE:
            return staff_id
        if level is BoardLevel.STORE:
            return store_id
        return region_of.get(store_id) if level is BoardLevel.REGION else None

    labels: dict[int | None, str] = {None: ""} if level is BoardLevel.NATION else {}
    sums: dict[int | None, tuple[int, int, int, int]] = {None: (0, 0, 0, 0)} if level is BoardLevel.NATION else {}
    for t in tallies:
        key = key_of(t.staff_id, t.store_id)
        labels[key] = {BoardLevel.GUIDE: t.staff_name, BoardLevel.STORE: t.store_name, BoardLevel.REGION: t.region_name}.get(level, "")
        due, done, skipped, replied = sums.get(key, (0, 0, 0, 0))
        sums[key] = (due + t.due, done + t.done, skipped + t.skipped, replied + t.replied)
    orders: dict[int | None, dict[int, Decimal]] = {}
    for o in outcomes:
        orders.setdefault(key_of(o.staff_id, o.store_id), {})[o.order_id] = o.net
    cent = Decimal("0.01")
    return [BoardCounts(key=key, label=labels[key], due=due, done=done, skipped=skipped, orders=len(orders.get(key, {})),
                        gmv=sum(orders.get(key, {}).values(), Decimal(0)).quantize(cent), replied=replied)
            for key, (due, done, skipped, replied) in sums.items()]


@dataclass(frozen=True, slots=True)
class BoardRow:
    rank: int
    key: int | None
    label: str
    due: int
    done: int
    skipped: int
    completion_rate: float  # done / due, 0.0 when nothing was due
    orders: int
    gmv: Decimal
    replied: int

    @property
    def reply_rate(self) -> float:
        """replied / done, 0.0 when nothing was done."""
        return self.replied / self.done if self.done else 0.0


def completion_rate(done: int, due: int) -> float:
    return done / due if due else 0.0


def rank_rows(rows: list[BoardCounts]) -> list[BoardRow]:
    """Best completion rate first, then more done, then more GMV; equal on all three share a rank
    (1, 1, 3). Rows with nothing due rank last."""
    def score(r: BoardCounts) -> tuple[int, float, int, Decimal]:
        return (1 if r.due else 0, completion_rate(r.done, r.due), r.done, r.gmv)

    def order(r: BoardCounts) -> tuple[int, float, int, Decimal, str, int]:
        has_due, rate, done, gmv = score(r)
        return (-has_due, -rate, -done, -gmv, r.label, r.key or 0)

    ordered = sorted(rows, key=order)
    ranked: list[BoardRow] = []
    previous: tuple[int, float, int, Decimal] | None = None
    rank = 0
    for position, r in enumerate(ordered, start=1):
        if score(r) != previous:
            rank, previous = position, score(r)
        ranked.append(BoardRow(rank=rank, key=r.key, label=r.label, due=r.due, done=r.done, skipped=r.skipped,
                               completion_rate=completion_rate(r.done, r.due), orders=r.orders, gmv=r.gmv,
                               replied=r.replied))
    return ranked


@dataclass(frozen=True, slots=True)
class Leaderboard:
    level: BoardLevel
    since: datetime
    until: datetime
    rows: list[BoardRow]

    def rank_of(self, key: int | None) -> BoardRow | None:
        return next((r for r in self.rows if r.key == key), None)
