"""Shared helpers of the journey tests: recording fakes for the two ports, a customer WeCom can reach."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from siyu.bootstrap import Context
from siyu.domain.access import Actor
from siyu.domain.errors import Unavailable
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.services import relations, tags
from tests import factories

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@dataclass
class Recorder:
    """The message port and the guide-task port, recording every call."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail: bool = False

    def messenger(self, uow_factory: Any, tenant_id: int, *, sender: str, external_userid: str, text: str) -> str:
        if self.fail:
            raise Unavailable("queue.unavailable", "the worker queue could not take the import (%(reason)s); upload the file again",
                              reason="test")
        self.sent.append({"tenant_id": tenant_id, "sender": sender, "to": external_userid, "text": text})
        return f"msg{len(self.sent)}"

    def guide_tasks(self, uow: Any, tenant_id: int, *, staff_id: int, customer_id: int | None, kind: str, title: str, script: str,
                    due_at: datetime, source_kind: str, source_key: str) -> int:
        self.tasks.setdefault(source_key, {"staff_id": staff_id, "customer_id": customer_id, "title": title, "due_at": due_at,
                                           "source_kind": source_kind, "kind": kind})
        return list(self.tasks).index(source_key) + 1


def reachable_customers(ctx: Context, admin: Actor, n: int) -> tuple[int, list[int]]:
    """A staff member and ``n`` customers they follow in WeCom (each with an external_userid)."""
    member = factories.member(ctx, admin, store_id=factories.store(ctx, admin).id)
    people = [c.id for c in factories.customers_of(ctx, admin, n)]
    with ctx.uow() as uow:
        for i, customer_id in enumerate(people):
            uow.identities.add(admin.tenant_id, customer_id, [IdentityKey(IdentityKind.WECOM_EXTERNAL, f"wm{factories.uid()}{i}")],
                               source="manual", now=T0)
            relations.follow_in(uow, admin.tenant_id, customer_id, member.id, at=T0, actor="test")
        uow.commit()
    return member.id, people


def tag(ctx: Context, admin: Actor, name: str | None = None) -> int:
    return tags.create_tag(ctx.uow(), admin, group="旅程", name=name or f"标签{factories.uid(4)}").id


def pressured_journey(ctx: Context, admin: Actor) -> tuple[int, datetime]:
    """A running one-message journey with three customers in it, run at 23:00 Shanghai (quiet hours
    22:00-06:00): one opted out (dropped, ``opted_out``), two waiting for the quiet hours to end.
    Returns (journey id, when it was run)."""
    from datetime import timedelta

    from siyu.domain.contact_pressure import ContactRules
    from siyu.services import clock, contact_pressure, journey_runner, journeys

    _, people = reachable_customers(ctx, admin, 3)
    contact_pressure.update_rules(ctx.uow(), admin, ContactRules.parse(quiet_start="22:00", quiet_end="06:00"))
    contact_pressure.opt_out(ctx.uow(), admin, people[0])
    start = tag(ctx, admin)
    journey = journeys.create_journey(ctx.uow(), admin, name=f"夜间{factories.uid(4)}", definition={
        "trigger": {"kind": "tag_applied", "tag_ids": [start]}, "steps": [{"id": "hello", "kind": "message", "text": "你好"}]})
    journeys.start_journey(ctx.uow(), admin, journey.id)
    tags.apply_tags(ctx.uow(), admin, people, [start])
    now = clock.utcnow()
    shanghai = now + timedelta(hours=8)
    at = (shanghai.replace(hour=23, minute=0, second=0, microsecond=0) + timedelta(days=1)) - timedelta(hours=8)
    journey_runner.run_due(ctx.uow, messenger=Recorder().messenger, guide_tasks=Recorder().guide_tasks, now=at)
    return journey.id, at
