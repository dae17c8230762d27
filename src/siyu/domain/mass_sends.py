"""Mass sends (群发): one message to many customers, each reached once through one staff member.

WeCom delivers a mass send as *tasks*: one ``add_msg_template`` per staff member (at most
10,000 customers each), delivered only once that staff member confirms in the WeCom client.
A send here is planned into a durable plan — one target row per customer (who sends, or why
not) and one task row per staff member and chunk — that the worker advances step by step
(``siyu.services.mass_send_worker``).

Text carries ``{staff_name}``: one task goes out under one staff member, so it is filled per
task. ``{customer_name}`` is refused: WeCom sends a task's text unchanged to every customer of
it, so a per-customer field would need one task (and one confirmation) per customer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from siyu.domain.contact_ways import fill
from siyu.domain.errors import InvalidInput
from siyu.domain.organisation import clean_name

TASK_MAX_CUSTOMERS = 10_000  # WeCom: external_userid per add_msg_template
TEXT_MAX_BYTES = 4000
FILL_ROOM_BYTES = 200  # room left for the staff name once filled
MAX_ATTACHMENTS = 9
MAX_PICKED = 100_000  # hand-picked customers per send
REMINDS_PER_DAY = 3  # WeCom: remind_groupmsg_send per message per 24 h
PER_CUSTOMER_FIELDS = ("{customer_name}", "{name}")


class SendStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time (an immediate send is scheduled for now)
    SENDING = "sending"  # planned: tasks are being submitted to WeCom
    POLLING = "polling"  # every task is in WeCom: results are read until final
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"  # planning itself failed (e.g. the segment was deleted)


class TaskState(StrEnum):
    PLANNED = "planned"  # not sent to WeCom
    SUBMITTING = "submitting"  # add_msg_template may or may not have reached WeCom: reconcile before anything else
    SUBMITTED = "submitted"  # WeCom has it (msgid known): waiting for the staff member and the results
    FINAL = "final"  # results final, refused by WeCom, or cancelled


class TargetStatus(StrEnum):
    EXCLUDED = "excluded"  # not sent, for ``reason``
    PLANNED = "planned"  # in a task not yet in WeCom
    WAITING = "waiting"  # in WeCom, the staff member has not confirmed (WeCom status 0)
    SENT = "sent"  # 1
    NOT_FRIEND = "not_friend"  # 2: no longer a contact of the staff member
    CAPPED = "capped"  # 3: already received WeCom's maximum of mass messages
    REFUSED = "refused"  # in add_msg_template's fail_list, or the task was refused
    UNSENT = "unsent"  # final without delivery: the staff member never confirmed, or the send was cancelled


WECOM_RESULT = {0: TargetStatus.WAITING, 1: TargetStatus.SENT, 2: TargetStatus.NOT_FRIEND, 3: TargetStatus.CAPPED}
OPEN_TARGETS = (TargetStatus.PLANNED.value, TargetStatus.WAITING.value)


class ExclusionReason(StrEnum):
    NO_RELATION = "no_relation"  # no active relation with a staff member who is still here
    NO_WECOM_ID = "no_wecom_id"  # the customer has no WeCom external_userid
    HOLDOUT = "holdout"  # the experiment's control arm
    # ... and contact pressure's own reasons, stored as they come (domain.contact_pressure.ExclusionReason):
    # opted_out, quiet_hours, capped_day, capped_week, capped_month, wecom_cap


@dataclass(frozen=True, slots=True)
class MassSendDraft:
    name: str
    text: str
    material_ids: tuple[int, ...] = ()
    segment_id: int | None = None
    customer_ids: tuple[int, ...] = ()
    experiment_id: int | None = None
    variant_texts: Mapping[str, str] = field(default_factory=dict)  # experiment arm -> its text (default: ``text``)
    scheduled_at: datetime | None = None

    @classmethod
    def parse(cls, *, name: str, text: str | None, material_ids: Iterable[int] = (), segment_id: int | None = None,
              customer_ids: Iterable[int] = (), experiment_id: int | None = None,
              variant_texts: Mapping[str, str] | None = None, scheduled_at: datetime | None = None) -> MassSendDraft:
        body = check_text(text, "text", required=not material_ids)
        ids = tuple(dict.fromkeys(material_ids))
        if len(ids) > MAX_ATTACHMENTS:
            raise InvalidInput("mass_send.too_many_attachments", "at most %(max)s attachments", field="material_ids",
                               max=MAX_ATTACHMENTS)
        picked = tuple(sorted(set(customer_ids)))
        if (segment_id is None) == (not picked):
            raise InvalidInput("mass_send.audience", "choose a segment or pick customers (one of the two)", field="segment_id")
        if len(picked) > MAX_PICKED:
            raise InvalidInput("mass_send.too_many_picked", "at most %(max)s hand-picked customers; save a segment instead",
                               field="customer_ids", max=MAX_PICKED)
        variants = {str(k): check_text(v, f"variant_texts.{k}", required=not ids) for k, v in (variant_texts or {}).items()}
        if variants and experiment_id is None:
            raise InvalidInput("mass_send.variants_need_experiment", "variant texts need an experiment", field="variant_texts")
        if scheduled_at is not None and scheduled_at.tzinfo is None:
            raise InvalidInput("mass_send.naive_time", "give the scheduled time with its time zone", field="scheduled_at")
        return cls(clean_name(name), body, ids, segment_id, picked, experiment_id, variants, scheduled_at)


def check_text(text: str | None, field_name: str, *, required: bool) -> str:
    body = (text or "").strip()
    if required and not body:
        raise InvalidInput("mass_send.empty", "a mass send needs text or an attachment", field=field_name)
    if len(body.encode()) > TEXT_MAX_BYTES - FILL_ROOM_BYTES:
        raise InvalidInput("mass_send.too_long", "a mass-send text is at most %(max)s bytes", field=field_name,
                           max=TEXT_MAX_BYTES - FILL_ROOM_BYTES)
    for placeholder in PER_CUSTOMER_FIELDS:
        if placeholder in body:
            raise InvalidInput("mass_send.per_customer_field",
                               "%(placeholder)s cannot be used: WeCom sends one text to all customers of a staff member; use {staff_name}",
                               field=field_name, placeholder=placeholder)
    return body


def render(text: str, *, staff_name: str) -> str:
    """The text as one staff member's task sends it (the welcome messages' filling)."""
    return fill(text, customer_name="", staff_name=staff_name)


@dataclass(frozen=True, slots=True)
class Relation:
    customer_id: int
    staff_id: int
    added_at: datetime


def pick_staff(owner_staff_id: int | None, relations: Iterable[Relation]) -> int | None:
    """Who reaches the customer: the owner when their relation is active, else the most recent
    active relation (ties: the lower staff id). ``relations`` are the customer's active ones.

    The rule as the domain states it; planning runs the same rule as one window query over the
    tenant (``MassSendRepository.chosen_staff``), and a test holds the two to the same answers."""
    best: Relation | None = None
    for relation in relations:
        if relation.staff_id == owner_staff_id:
            return relation.staff_id
        if best is None or (relation.added_at, -relation.staff_id) > (best.added_at, -best.staff_id):
            best = relation
    return best.staff_id if best else None


def chunks(customer_ids: list[int], size: int = TASK_MAX_CUSTOMERS) -> Iterator[list[int]]:
    for start in range(0, len(customer_ids), size):
        yield customer_ids[start : start + size]


def idempotency_key(send_id: int, staff_id: int, arm: str, chunk: int) -> str:
    """One task's stable name: the same plan always yields the same keys (unique in the database)."""
    return f"ms{send_id}:s{staff_id}:{arm or '-'}:{chunk}"


def reminders_left(sent: Iterable[float], now: float) -> int:
    """How many reminders WeCom still takes for a message (3 per rolling 24 hours)."""
    return REMINDS_PER_DAY - sum(1 for t in sent if now - t < 86_400)


@dataclass(frozen=True, slots=True)
class MassSend:
    id: int
    name: str
    text: str
    material_ids: tuple[int, ...]
    segment_id: int | None
    customer_ids: tuple[int, ...]
    experiment_id: int | None
    variant_texts: Mapping[str, str]
    status: SendStatus
    scheduled_at: datetime
    planned_at: datetime | None
    finished_at: datetime | None
    created_by: str
    created_at: datetime
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StaffProgress:
    staff_id: int
    staff_name: str
    tasks: int
    confirmed: int  # tasks the staff member confirmed in WeCom
    customers: int
    sent: int
    reminders: int


@dataclass(frozen=True, slots=True)
class MassSendReport:
    send: MassSend
    audience: int
    targets: dict[str, int]  # status -> customers
    exclusions: dict[str, int]  # reason -> customers
    staff: list[StaffProgress]
    tasks: dict[str, int]  # state -> tasks


@dataclass(frozen=True, slots=True)
class MassSendTask:
    id: int
    mass_send_id: int
    staff_id: int
    arm: str
    chunk: int
    idempotency_key: str
    state: TaskState
    customers: int
    submit_started_at: datetime | None
    msgid: str | None
    confirmed_at: datetime | None
    reminded: tuple[float, ...]
    polled_at: datetime | None
    errcode: int | None
    error: str | None
