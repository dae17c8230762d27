"""Request and response schemas of the customer API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from siyu.api.schemas import Out, PageOut
from siyu.domain.customers import RelationState
from siyu.domain.fields import FieldKind
from siyu.domain.identities import IdentityKind


class IdentityIn(BaseModel):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=128, examples=["13800138000"])


class IdentityOut(Out):
    kind: IdentityKind
    value: str = Field(description="Phone numbers are masked for roles without phones.view")
    source: str


class ProfileIn(BaseModel):
    name: str | None = Field(default=None, max_length=64, examples=["张三"])
    gender: str | int | None = Field(default=None, examples=["女"])
    avatar: str | None = Field(default=None, max_length=500)
    birthday: date | None = None
    region: str | None = Field(default=None, max_length=64, examples=["上海"])
    member_level: str | None = Field(default=None, max_length=32, examples=["金卡"],
                                     description="The mall's member level, by name (the tenant's list: settings)")


class CustomerCreate(ProfileIn):
    identities: list[IdentityIn] = Field(min_length=1, max_length=20)
    fields: dict[str, Any] = Field(default_factory=dict)


class CustomerUpdate(ProfileIn):
    """A partial change of the profile. A field left out stays as it is; a field sent as JSON
    `null` is cleared (`gender` goes back to unknown). `name` cannot be cleared: send a new one."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"region": "杭州", "birthday": None}]})

    def cleared(self) -> list[str]:
        """The fields sent as an explicit null."""
        return sorted(name for name in self.model_fields_set if getattr(self, name) is None)


class CustomerOut(Out):
    id: int
    name: str
    gender: int
    avatar: str | None
    birthday: date | None
    region: str | None
    member_level: str | None
    stage_id: int | None
    owner_staff_id: int | None
    fields: dict[str, Any]
    added_at: datetime
    created_at: datetime
    updated_at: datetime


class CustomerRowOut(BaseModel):
    customer: CustomerOut
    identities: list[IdentityOut]
    tag_ids: list[int]
    stage_name: str | None
    owner_name: str | None


class CustomerPage(PageOut[CustomerRowOut]):
    total_capped: bool = Field(
        False,
        description="True when there are more than `total` matching customers: the list counts up to 10,000 and then "
        "stops (shown as \"10,000+\"); `pages` is then a lower bound. Later pages are still served: keep paging "
        "while `has_next` is true. Exports always contain every matching customer.",
    )
    has_next: bool = Field(description="Whether a next page exists (exact, also past a capped total).")


class ResolutionOut(BaseModel):
    customer_id: int
    created: bool
    merged_ids: list[int]


class RelationOut(BaseModel):
    staff_id: int
    staff_name: str
    state: RelationState
    added_at: datetime
    add_way: int | None
    channel_state: str | None
    remark: str | None
    description: str | None
    ended_at: datetime | None


class AppliedTagOut(BaseModel):
    tag_id: int
    label: str
    source: str
    applied_by: str | None
    applied_at: datetime


class FieldValueOut(BaseModel):
    key: str
    label: str
    kind: FieldKind
    value: Any


class CustomerDetailOut(BaseModel):
    customer: CustomerOut
    identities: list[IdentityOut]
    relations: list[RelationOut]
    tags: list[AppliedTagOut]
    stage: str | None
    fields: list[FieldValueOut]


class FieldsUpdate(BaseModel):
    values: dict[str, Any] = Field(examples=[{"taste": "拿铁"}])


class StageMove(BaseModel):
    stage_id: int | None


class OwnerUpdate(BaseModel):
    staff_id: int | None


class TagOut(Out):
    id: int
    group_id: int
    group_name: str
    name: str


class TagCreate(BaseModel):
    group: str = Field(min_length=1, max_length=30, examples=["兴趣偏好"])
    name: str = Field(min_length=1, max_length=30, examples=["手冲"])


class TagUpdate(BaseModel):
    name: str = Field(min_length=1, max_length=30)


class TagBulk(BaseModel):
    customer_ids: list[int] = Field(min_length=1, max_length=10_000)
    tag_ids: list[int] = Field(min_length=1, max_length=100)


class TagChangeOut(BaseModel):
    customers: int
    changed: int


class StageOut(Out):
    id: int
    name: str
    position: int


class StageCreate(BaseModel):
    name: str = Field(min_length=1, max_length=30, examples=["意向"])


class StageOrder(BaseModel):
    stage_ids: list[int]


class FieldOut(Out):
    key: str
    label: str
    kind: FieldKind
    options: list[str]
    required: bool


class FieldCreate(BaseModel):
    key: str = Field(min_length=1, max_length=40, examples=["taste"])
    label: str = Field(min_length=1, max_length=30, examples=["口味偏好"])
    kind: FieldKind
    options: list[str] = Field(default_factory=list)
    required: bool = False


class FieldUpdate(BaseModel):
    label: str = Field(min_length=1, max_length=30)
    options: list[str] | None = None
    required: bool = False


class MergeCreate(BaseModel):
    customer_ids: list[int] = Field(min_length=2, max_length=2)
    reason: str = Field(default="merged by hand", max_length=200)


class MergeOut(Out):
    id: int
    survivor_id: int
    merged_id: int
    reason: str
    actor: str
    created_at: datetime
    undone_at: datetime | None


class MergePage(PageOut[MergeOut]):
    pass


class DuplicateOut(BaseModel):
    first_id: int
    second_id: int
    reasons: list[str]


class TimelineEventOut(Out):
    id: int
    kind: str
    occurred_at: datetime
    actor: str
    data: dict[str, Any]


class TimelinePage(PageOut[TimelineEventOut]):
    pass
