"""Journeys (SOP 旅程): a trigger and steps, kept per customer and advanced by the worker.

``definition`` holds the rule language (trigger, steps, checks); ``templates`` the common
journeys to start from. A journey is ``draft`` until started, then ``active`` (customers
enter and move), ``paused`` (nobody enters, nobody moves; the clock keeps running, so a
wait that ended while paused goes on at resume) or ``stopped`` (everyone still in leaves,
counted as dropped; a stopped journey does not start again).

Editing a journey that has customers in it (the rule chosen): a
customer stays on the step with the same id in the new definition; a customer whose step is
gone leaves the journey (dropped, reason ``step_removed``). Waiting times already computed
are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from siyu.domain.errors import InvalidInput
from siyu.domain.journeys.definition import (
    END, SCANNED, JourneyDefinition, Step, StepKind, Trigger, TriggerKind,
)

__all__ = [
    "DROP_REASONS", "END", "SCANNED", "EnrollmentState", "Journey", "JourneyDefinition", "JourneyStatus", "Step", "StepKind", "StepStats",
    "Trigger", "TriggerKind", "clean_journey_name",
]


class JourneyStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"


class EnrollmentState(StrEnum):
    WAITING = "waiting"  # at ``step_id``, to run at ``next_run_at``
    RUNNING = "running"  # claimed by a worker (``claimed_at``); given back after the lease if it died
    DONE = "done"
    DROPPED = "dropped"  # left before the end (stopped, step removed, customer gone)


@dataclass(frozen=True, slots=True)
class Journey:
    id: int
    name: str
    status: JourneyStatus
    definition: JourneyDefinition
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime

    def allowed(self, action: str) -> bool:
        s = self.status
        return {"start": s is JourneyStatus.DRAFT, "pause": s is JourneyStatus.ACTIVE, "resume": s is JourneyStatus.PAUSED,
                "stop": s in (JourneyStatus.ACTIVE, JourneyStatus.PAUSED, JourneyStatus.DRAFT)}[action]


# Why a customer leaves a journey at a step: the journey's own (a removed step, a stop, a customer
# merged away) and contact pressure's for a message step (domain.contact_pressure.ExclusionReason,
# all but quiet_hours, which puts the message off instead).
DROP_REASONS = ("step_removed", "stopped", "customer_gone", "opted_out", "capped_day", "capped_week", "capped_month", "wecom_cap")


@dataclass(frozen=True, slots=True)
class StepStats:
    step_id: str
    kind: str
    in_step: int  # customers at this step now
    passed: int  # customers who went through it
    dropped: int  # customers who left the journey at it
    dropped_by: dict[str, int] = field(default_factory=dict)  # ``dropped`` per reason (DROP_REASONS)
    waiting_by: dict[str, int] = field(default_factory=dict)  # of ``in_step``, those put off by a rule (``quiet_hours``)


def clean_journey_name(name: str | None) -> str:
    text = (name or "").strip()
    if not text or len(text) > 40:
        raise InvalidInput("journey.bad_name", "a journey name is 1 to 40 characters", field="name")
    return text
