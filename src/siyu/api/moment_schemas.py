"""Moments tasks (朋友圈任务): MomentCreate, MomentOut, MomentDetailOut, MomentPage."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from siyu.api.schemas import Out, PageOut
from siyu.domain.moments import IMAGES_MAX, SENDERS_MAX, TAGS_MAX, TEXT_MAX


class MomentCreate(BaseModel):
    text: str = Field(default="", max_length=TEXT_MAX, examples=["双十二新品上架，到店有礼"])
    material_ids: list[int] = Field(default_factory=list, max_length=IMAGES_MAX,
                                    description="From the material library: up to 9 images, or one link")
    staff_ids: list[int] = Field(default_factory=list, max_length=SENDERS_MAX, description="Staff who post it")
    store_ids: list[int] = Field(default_factory=list, max_length=SENDERS_MAX, description="... and/or every active staff member of these stores")
    tag_ids: list[int] = Field(default_factory=list, max_length=TAGS_MAX,
                               description="Visible to customers with any of these tags (synced to WeCom); none: all their customers")


class MomentOut(Out):
    id: int
    text: str
    material_ids: list[int]
    staff_ids: list[int]
    store_ids: list[int]
    tag_ids: list[int]
    status: str = Field(description="queued, submitted (WeCom is making it), publishing (staff are posting it), done, cancelled, failed")
    error: str | None = Field(description="Why it failed")
    senders: int = Field(description="Staff asked to post it")
    published: int
    invalid: int = Field(description="Senders WeCom did not take (left, no permission)")
    completion_rate: float | None = Field(description="published / (senders - invalid)")
    actor: str
    created_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None


class MomentSenderOut(Out):
    staff_id: int
    userid: str
    status: str = Field(description="waiting, published, invalid")
    published_at: datetime | None = Field(description="When Siyu first saw it published")


class MomentDetailOut(MomentOut):
    sender_list: list[MomentSenderOut] = Field(description="Each sender's publish status")


class MomentPage(PageOut[MomentOut]):
    pass
