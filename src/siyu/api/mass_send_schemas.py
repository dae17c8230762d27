"""Request and response shapes of the mass-send API (群发)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from siyu.api.experiment_schemas import SendExperimentIn
from siyu.api.schemas import Out, PageOut


class MassSendCreate(BaseModel):
    name: str = Field(max_length=64)
    text: str = Field(default="", max_length=4000, description="{staff_name} is filled per staff member; per-customer fields are refused")
    material_ids: list[int] = Field(default_factory=list, max_length=9, description="Attachments from the material library")
    segment_id: int | None = Field(default=None, description="The audience: a segment (evaluated when the send is planned) ...")
    customer_ids: list[int] = Field(default_factory=list, max_length=100_000, description="... or hand-picked customers")
    experiment_id: int | None = Field(default=None, description="Holds out the control arm; variant arms get their text")
    variant_texts: dict[str, str] = Field(default_factory=dict, description="Experiment arm -> its text")
    experiment: SendExperimentIn | None = Field(default=None, description="Make the send's own experiment (a holdout and/or a "
                                                                          "variant B) with it; not with experiment_id")
    scheduled_at: datetime | None = Field(default=None, description="Leave out to send now")


class MassSendAudience(BaseModel):
    segment_id: int | None = None
    customer_ids: list[int] = Field(default_factory=list, max_length=100_000)


class AudienceCountOut(BaseModel):
    customers: int = Field(description="Live customers in the audience now, before exclusions")


class MassSendOut(Out):
    id: int
    name: str
    text: str
    material_ids: list[int]
    segment_id: int | None
    customer_ids: list[int]
    experiment_id: int | None
    variant_texts: dict[str, str]
    status: str = Field(description="scheduled, sending, polling (results), done, cancelled, failed")
    scheduled_at: datetime
    planned_at: datetime | None
    finished_at: datetime | None
    created_by: str
    created_at: datetime
    error: str | None


class MassSendPage(PageOut[MassSendOut]):
    pass


class StaffProgressOut(Out):
    staff_id: int
    staff_name: str
    tasks: int
    confirmed: int = Field(description="Tasks the staff member confirmed in WeCom")
    customers: int
    sent: int
    reminders: int


class MassSendReportOut(BaseModel):
    send: MassSendOut
    audience: int
    targets: dict[str, int] = Field(description="Customers per status: excluded, planned, waiting, sent, not_friend, capped, refused, unsent")
    exclusions: dict[str, int] = Field(description="Excluded customers per reason: no_relation, no_wecom_id, holdout, opted_out, "
                                                   "quiet_hours, capped_day/week/month, wecom_cap")
    staff: list[StaffProgressOut]
    tasks: dict[str, int] = Field(description="WeCom tasks per state: planned, submitting, submitted, final")
