"""The demo brand's replies: what a conversation-archive pipeline would send (docs/orders.md, "Replies").

Made at load, after the orders, from the seed, through the ordinary services. The tasks and
their replies are the same for the same seed; the experiment's arms hash the customer ids with a
salt fixed by the seed, so they are the same in a fresh database (ids from 1), as ``make demo``
loads it:

- an experiment, 会员日召回（演示）, that started 10 days before today with a 7-day window: a
  20% holdout and a sent arm, over the first 5,000 customers a guide added; about 18% of the
  sent arm reply in the window against 6% of the holdout, some twice;
- per guide, a few follow-up tasks about their own customers due in the past six days, most
  done; about half of the done ones are answered within a day and a half.

Live (:func:`simulate_replies`, the worker, every minute beside the simulated adds): customers
of the sandbox-linked demo brand answer what reaches them, a delivered mass send (one in five,
within four hours) or a done guide task (one in two, within three hours), decided by the seed
and what they answer, so the worker sends each reply once whenever it runs.

A reply is a ``message_replied`` event (:data:`siyu.domain.events.REPLY_EVENT`) with the
customer's WeCom id when they have one, the guide's userid in ``staff_userid`` and a message id
of its own as ``event_id`` (where the archive's msgid would go), so the experiment page and the leaderboards show replies.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from siyu.adapters.channels.sandbox import SANDBOX_URL
from siyu.adapters.db.repositories.demo_commerce import SHANGHAI, DemoBuyer, DemoCommerceReader, Reached
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.events import REPLY_EVENT, EventOutcome
from siyu.domain.experiments import ExperimentDraft
from siyu.services import events, experiments, guide_tasks
from siyu.services.auth import system_actor
from siyu.services.demo.organisation import DemoOrganisation
from siyu.services.wecom_settings import load_secrets

READ_BATCH = 1000
MAX_CUSTOMERS = 5_000  # the experiment's customers: the first a guide added, however big the brand
KINDS = ("wecom_external", "unionid", "phone", "openid", "member_no")  # the identity a reply names, by preference
EXPERIMENT_NAME = "会员日召回（演示）"
REPLY_CHANCE = {"holdout": 0.06, "send": 0.18}
TASKS_PER_GUIDE = 4
TASK_DONE_CHANCE = 0.8
TASK_REPLY_CHANCE = 0.5
LIVE_LOOKBACK = timedelta(days=2)  # what reached a customer this long ago may still be answered by the worker
LIVE_ANSWER = {"send": (0.2, 4.0), "task": (0.5, 3.0)}  # chance of a reply, and within how many hours


@dataclass(frozen=True, slots=True)
class RepliesSummary:
    assigned: int  # customers in the demo experiment
    tasks: int  # guide tasks made (done or not)
    replies: int  # message_replied events stored


def load_replies(new_uow: Callable[[], SqlUnitOfWork], organisation: DemoOrganisation, *, seed: int, today: date) -> RepliesSummary:
    actor = system_actor(organisation.tenant_id)
    end = datetime(today.year, today.month, today.day, tzinfo=SHANGHAI).astimezone(UTC)  # the start of today, as the orders
    guides = {g.staff_id: g.wecom_userid for s in organisation.stores for g in s.guides}
    buyers = _buyers(new_uow, organisation.tenant_id, guides)
    start = end - timedelta(days=10)
    made = experiments.create_experiment(new_uow(), actor, ExperimentDraft.holdout(name=EXPERIMENT_NAME, holdout_percent=20),
                                         started_at=start, salt=f"demo-replies-{seed}")
    arms = experiments.assign(new_uow(), actor, made.id, [b.customer_id for b in buyers])
    replies: list[dict[str, Any]] = []
    for rank, buyer in enumerate(buyers):  # each customer's own stream: their arm changes only their replies
        rng = random.Random(f"reply-{seed}-{rank}")
        if rng.random() < REPLY_CHANCE[arms[buyer.customer_id]]:
            at = start + timedelta(hours=rng.uniform(1, 24 * made.window_days - 1))
            replies.append(_reply(f"demo-msg-x{rank}", buyer, guides, at))
            if rng.random() < 0.3:
                replies.append(_reply(f"demo-msg-x{rank}b", buyer, guides, at + timedelta(minutes=rng.uniform(1, 90))))
    tasks = 0
    rng = random.Random(f"task-replies-{seed}")
    for g, staff_id in enumerate(sorted(guides)):
        theirs = [b for b in buyers if b.staff_id == staff_id]
        for n, buyer in enumerate(rng.sample(theirs, min(TASKS_PER_GUIDE, len(theirs)))):
            due = end - timedelta(days=rng.randint(1, 6)) + timedelta(hours=10)
            task = guide_tasks.create_task(new_uow(), actor, staff_id=staff_id, customer_id=buyer.customer_id, kind="follow_up",
                                           title="回访会员日到店客户", script="您好，上次的咖啡还喜欢吗？本周会员日第二杯半价。", due_at=due)
            tasks += 1
            if rng.random() > TASK_DONE_CHANCE:
                continue
            done_at = due - timedelta(hours=rng.uniform(0.5, 6))
            guide_tasks.complete_task(new_uow(), actor, task.id, now=done_at)
            answered = done_at + timedelta(hours=rng.uniform(0.2, 36))
            if rng.random() < TASK_REPLY_CHANCE and answered < end:
                replies.append(_reply(f"demo-msg-t{g}-{n}", buyer, guides, answered))
    stored = 0
    for first in range(0, len(replies), events.MAX_BATCH):
        results = events.track_events(new_uow(), actor, replies[first : first + events.MAX_BATCH], now=end + timedelta(days=1))
        stored += sum(1 for r in results if r.customer_id is not None)
    return RepliesSummary(len(arms), tasks, stored)


def _buyers(new_uow: Callable[[], SqlUnitOfWork], tenant_id: int, guides: dict[int, str]) -> list[DemoBuyer]:
    """The first customers (by id) a guide added who have an identity a reply can name."""
    found: list[DemoBuyer] = []
    after = 0
    while len(found) < MAX_CUSTOMERS:
        with new_uow() as uow:
            batch = DemoCommerceReader(uow.session).buyers(tenant_id, after, READ_BATCH)
        if not batch:
            break
        after = batch[-1].customer_id
        found += [b for b in batch if b.staff_id in guides and any(k in b.keys for k in KINDS)]
    return found[:MAX_CUSTOMERS]


def _reply(event_id: str, buyer: DemoBuyer, guides: dict[int, str], at: datetime) -> dict[str, Any]:
    return _event(event_id, buyer.keys, guides[buyer.staff_id or 0], at)


def _event(event_id: str, keys: dict[str, str], staff_userid: str | None, at: datetime) -> dict[str, Any]:
    kind = next(k for k in KINDS if k in keys)
    properties = {"msgtype": "text"} | ({"staff_userid": staff_userid} if staff_userid else {})
    return {"event_id": event_id, "name": REPLY_EVENT, "occurred_at": at.isoformat(), "source": "archive",
            "identity": {"kind": kind, "value": keys[kind]}, "properties": properties}


def simulate_replies(new_uow: Callable[[], SqlUnitOfWork], box: SecretBox, *, slug: str, now: datetime, seed: int = 7) -> int:
    """The live demo's replies that are due by ``now`` (see the module doc); returns those stored now."""
    with new_uow() as uow:
        tenant = uow.tenants.find_by_slug(slug)
        secrets = load_secrets(uow, box, tenant.id) if tenant else None
        if tenant is None or secrets is None or secrets.api_base_url != SANDBOX_URL:
            return 0  # only a tenant linked to the sandbox is simulated
        reached = DemoCommerceReader(uow.session).reached_since(tenant.id, now - LIVE_LOOKBACK)
    due = [reply for r in reached if (reply := _answer(r, seed, now)) is not None]
    stored = 0
    for first in range(0, len(due), events.MAX_BATCH):
        results = events.track_events(new_uow(), system_actor(tenant.id), due[first : first + events.MAX_BATCH], now=now)
        stored += sum(1 for r in results if r.outcome is EventOutcome.STORED)
    return stored


def _answer(reached: Reached, seed: int, now: datetime) -> dict[str, Any] | None:
    """The customer's reply to what reached them, if they answer and it is due by ``now``."""
    if not any(k in reached.keys for k in KINDS):
        return None
    rng = random.Random(f"live-{seed}-{reached.key}")
    chance, hours = LIVE_ANSWER[reached.key.split("-", 1)[0]]
    if rng.random() >= chance:
        return None
    at = reached.at + timedelta(hours=rng.uniform(0.02, hours))
    return _event(f"demo-live-{reached.key}", reached.keys, reached.staff_userid, at) if at <= now else None
