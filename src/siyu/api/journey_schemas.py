"""Journeys in the API: the definition is the domain's JSON form (``siyu.domain.journeys.definition``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from siyu.domain.journeys import Journey, StepStats


class JourneyCreate(BaseModel):
    name: str = Field(max_length=40)
    definition: dict[str, Any]


class JourneyFromTemplate(BaseModel):
    template: str
    name: str | None = Field(default=None, max_length=40)
    tag_id: int | None = None
    stage_id: int | None = None


class JourneyUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=40)
    definition: dict[str, Any] | None = None


class JourneyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    status: str
    version: int
    definition: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, journey: Journey) -> JourneyOut:
        return cls(id=journey.id, name=journey.name, status=journey.status.value, version=journey.version,
                   definition=journey.definition.to_dict(), created_by=journey.created_by, created_at=journey.created_at,
                   updated_at=journey.updated_at)


class JourneyPage(BaseModel):
    items: list[JourneyOut]
    total: int
    page: int
    page_size: int
    pages: int


class StepStatsOut(BaseModel):
    step_id: str
    kind: str
    in_step: int = Field(description="Customers at this step now")
    passed: int = Field(description="Customers who went through it")
    dropped: int = Field(description="Customers who left the journey at it")
    dropped_by: dict[str, int] = Field(default_factory=dict, description=(
        "`dropped` per reason: step_removed, stopped, customer_gone, and for a message step the contact-pressure rule "
        "that stopped it: opted_out, capped_day/week/month, wecom_cap"), examples=[{"opted_out": 2, "capped_day": 1}])
    waiting_by: dict[str, int] = Field(default_factory=dict, description=(
        "Of `in_step`, the customers whose message a contact-pressure rule put off: quiet_hours (sent when they end)"),
        examples=[{"quiet_hours": 3}])

    @classmethod
    def of(cls, stats: StepStats) -> StepStatsOut:
        return cls(step_id=stats.step_id, kind=stats.kind, in_step=stats.in_step, passed=stats.passed, dropped=stats.dropped,
                   dropped_by=stats.dropped_by, waiting_by=stats.waiting_by)
