"""Guide task schemas: GuideTaskCreate, GuideTaskOut, GuideTaskPage, rules and leaderboards."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, Field

from siyu.api.schemas import Out, PageOut


class GuideTaskCreate(BaseModel):
    staff_id: int = Field(description="The assignee: a staff member the caller manages (a guide: themself)")
    customer_id: int | None = Field(default=None, description="The customer the task is about, if any")
    kind: str = Field(description="greet, follow_up, send_content, give_coupon, invite_to_group, add_friend, other", examples=["follow_up"])
    title: str = Field(min_length=1, max_length=100, examples=["回访上周到店的客户"])
    script: str = Field(default="", max_length=2000, description="The suggested words (话术)")
    due_at: AwareDatetime


class GuideTaskOut(Out):
    id: int
    staff_id: int
    staff_name: str
    store_id: int | None
    customer_id: int | None
    customer_name: str | None
    kind: str
    title: str
    script: str
    due_at: datetime
    state: str = Field(description="open, done, skipped, cancelled")
    source_kind: str = Field(description="manual, manager_assignment, journey, mass_send, lifecycle_rule, add_friend")
    source_key: str | None
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    reminded_at: datetime | None = Field(description="When the overdue alert was raised")


class GuideTaskPage(PageOut[GuideTaskOut]):
    pass


class RuleIn(BaseModel):
    stage_id: int
    days: int = Field(ge=1, le=365, description="Days in the stage before the task is made")
    kind: str = Field(examples=["follow_up"])
    title: str = Field(min_length=1, max_length=100, examples=["意向客户三天未跟进"])
    script: str = Field(default="", max_length=2000)
    active: bool = True


class RuleOut(Out):
    id: int
    stage_id: int
    stage_name: str
    days: int
    kind: str
    title: str
    script: str
    active: bool
    created_at: datetime


class BoardRowOut(Out):
    rank: int
    key: int | None = Field(description="The staff, store or region id (null: no store or region, or the nation)")
    label: str
    due: int = Field(description="Tasks due in the period, cancelled ones left out")
    done: int
    skipped: int
    completion_rate: float = Field(description="done / due")
    orders: int = Field(description="Orders of done tasks' customers within 7 days after done, each once")
    gmv: Decimal = Field(description="Their net amount (paid minus refunded)")
    replied: int = Field(description="Done tasks whose customer replied within 7 days after done: at least one `message_replied` "
                                     "event (POST /api/v1/events:batch); a task counts once however often the customer wrote")
    reply_rate: float = Field(description="replied / done (0 when nothing was done)")


class LeaderboardOut(Out):
    level: str = Field(description="guide, store, region or nation")
    since: datetime
    until: datetime
    rows: list[BoardRowOut]
