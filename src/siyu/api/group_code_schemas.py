"""Request and response schemas of group live codes (群活码)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from siyu.api.schemas import Out, PageOut


class GroupCodeCreate(BaseModel):
    channel_id: int
    name: str = Field(min_length=1, max_length=64, examples=["门店福利群"])
    state: str = Field(min_length=1, max_length=30, description="The join way's `state`; the code's joins count for its channel")
    chat_ids: list[str] = Field(min_length=1, max_length=100, description="The pool: WeCom chat ids of synced customer groups, in the order used")
    threshold: int = Field(default=190, ge=1, le=500, description="A group counts as full at this many members (staff included)")
    auto_create_room: bool = Field(default=False, description="When every group is full, WeCom creates the next one itself")
    room_base_name: str = Field(default="", max_length=40, examples=["会员福利群"])
    room_base_id: int | None = Field(default=None, ge=0, description="The number of the first group WeCom creates")


class GroupCodeUpdate(GroupCodeCreate):
    pass


class PoolChatOut(Out):
    chat_id: str
    name: str
    members: int | None = Field(description="None: Siyu has no row for the group (not synced yet)")
    live: bool = Field(description="Listed on the code in WeCom now")
    full: bool
    dismissed: bool = Field(description="WeCom dismissed the group: it is never listed again")


class GroupCodeOut(Out):
    id: int
    channel_id: int
    name: str
    state: str
    chat_ids: list[str]
    threshold: int
    auto_create_room: bool
    room_base_name: str
    room_base_id: int | None
    config_id: str | None
    qr_code: str | None = Field(description="WeCom's QR image URL; GET …/qr serves the image")
    live_chat_ids: list[str]
    rotated_at: datetime | None
    exhausted_at: datetime | None = Field(description="Since when no group of the pool is open (None: some are)")
    archived_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    joins: int = Field(default=0, description="Customers who joined by scanning the code")
    pool: list[PoolChatOut] = Field(default_factory=list, description="On GET of one code: each pool group's members")


class GroupCodePage(PageOut[GroupCodeOut]):
    pass
