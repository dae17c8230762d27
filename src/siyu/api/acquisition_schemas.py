"""Request and response schemas of contact ways, materials and welcome messages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from siyu.api.schemas import Out, PageOut


class StaffRuleIn(BaseModel):
    staff_id: int
    weight: int = Field(default=1, ge=1, le=100, description="weighted rotation: share of adds")
    weekdays: list[int] | None = Field(default=None, description="0 Monday … 6 Sunday (Asia/Shanghai); empty: every day")
    start_hour: int = Field(default=0, ge=0, le=23)
    end_hour: int = Field(default=24, ge=1, le=24)
    daily_cap: int | None = Field(default=None, ge=1, description="adds per day (Asia/Shanghai) before the next staff member")
    fallback: bool = Field(default=False, description="takes customers only when nobody else may")


class StaffRuleOut(Out):
    staff_id: int
    weight: int
    weekdays: list[int]
    start_hour: int
    end_hour: int
    daily_cap: int | None
    fallback: bool


class ContactWayCreate(BaseModel):
    channel_id: int
    name: str = Field(min_length=1, max_length=64, examples=["门店海报"])
    state: str = Field(min_length=1, max_length=30, description="WeCom's `state`: every add through the way carries it")
    kind: str = Field(default="multi", pattern="^(single|multi)$")
    rotation: str = Field(default="round_robin", pattern="^(round_robin|weighted)$")
    staff: list[StaffRuleIn] = Field(min_length=1, max_length=100)
    skip_verify: bool = True
    tag_ids: list[int] = Field(default_factory=list, max_length=100)
    remark_template: str | None = Field(default=None, max_length=40, examples=["{channel_name}-{customer_name}"])
    stage_id: int | None = None


class ContactWayUpdate(ContactWayCreate):
    pass


class ContactWayOut(Out):
    id: int
    channel_id: int
    name: str
    state: str
    kind: str
    rotation: str
    staff: list[StaffRuleOut]
    skip_verify: bool
    tag_ids: list[int]
    remark_template: str | None
    stage_id: int | None
    config_id: str | None
    qr_code: str | None
    bound_staff_ids: list[int]
    bound_at: datetime | None
    archived_at: datetime | None
    adds_today: dict[int, int] = Field(default_factory=dict, description="adds today (Asia/Shanghai) per staff id")


class ContactWayPage(PageOut[ContactWayOut]):
    pass


class MaterialCreate(BaseModel):
    kind: str = Field(pattern="^(image|video|file|link|miniprogram)$")
    title: str = Field(min_length=1, max_length=64)
    url: str | None = Field(default=None, max_length=500, description="image, video, file: the file (uploaded to WeCom when sent); link: the page")
    pic_url: str | None = Field(default=None, max_length=500, description="link: thumbnail; mini-program: cover")
    description: str | None = Field(default=None, max_length=120)
    appid: str | None = Field(default=None, max_length=32)
    page: str | None = Field(default=None, max_length=200)


class MaterialUpdate(MaterialCreate):
    pass


class MaterialOut(Out):
    id: int
    kind: str
    title: str
    url: str
    pic_url: str
    description: str
    appid: str
    page: str
    created_at: datetime
    updated_at: datetime


class MaterialPage(PageOut[MaterialOut]):
    pass


class WelcomeCreate(BaseModel):
    scope: str = Field(pattern="^(default|channel|way)$")
    text: str = Field(default="", max_length=3800, examples=["{customer_name}您好，我是{staff_name}"])
    material_ids: list[int] = Field(default_factory=list, max_length=9)
    channel_id: int | None = None
    contact_way_id: int | None = None


class WelcomeUpdate(WelcomeCreate):
    pass


class WelcomeOut(Out):
    id: int
    scope: str
    text: str
    material_ids: list[int]
    channel_id: int | None
    contact_way_id: int | None
    updated_at: datetime


class WelcomePage(PageOut[WelcomeOut]):
    pass


class WelcomeSendOut(Out):
    id: int
    status: str
    errcode: int | None
    received_at: datetime
    sent_at: datetime | None
    latency_ms: int | None
    contact_way_id: int | None
    welcome_message_id: int | None
