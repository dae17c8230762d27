"""Segments (人群): saved rules, their counts and members (docs/segments.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from siyu.api.customer_schemas import IdentityOut
from siyu.api.schemas import Out, PageOut

RULE_EXAMPLE = {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [3]},
                                           {"kind": "orders", "attribute": "gmv", "op": "gte", "value": 500, "days": 365}]}]}
RULE_DOC = ("Groups of conditions: AND inside a group, OR between groups; each condition has `kind`, `op` and, as the "
            "kind needs, `attribute`, `value`, `days` (the kinds and ops: siyu.domain.segments)")


class SegmentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=40, examples=["高价值老客"])
    description: str = Field(default="", max_length=200)
    rule: dict[str, Any] = Field(description=RULE_DOC, examples=[RULE_EXAMPLE])
    materialise_as_tag_id: int | None = Field(default=None, description="Keep the members as this (smart) tag after each sync")


class SegmentUpdate(BaseModel):
    """Fields left out stay; `materialise_as_tag_id: null` stops keeping a tag."""

    name: str | None = Field(default=None, min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=200)
    rule: dict[str, Any] | None = Field(default=None, description=RULE_DOC)
    materialise_as_tag_id: int | None = None


class RulePreview(BaseModel):
    rule: dict[str, Any] = Field(description=RULE_DOC, examples=[RULE_EXAMPLE])
    segment_id: int | None = Field(default=None, description="The segment being edited, if any (a rule may not reach it)")


class SegmentOut(Out):
    id: int
    name: str
    description: str
    rule: dict[str, Any]
    materialise_as_tag_id: int | None
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class SegmentPage(PageOut[SegmentOut]):
    pass


class CountOut(BaseModel):
    """How many customers, as of the warehouse's last sync, within the caller's scope."""

    customers: int
    last_synced_at: datetime | None = Field(description="When the warehouse last synced (null: never; the count is then 0)")
    sync_version: int
    scoped: bool = Field(description="True when the count is cut to the caller's customers (a guide's, a store's)")


class MemberOut(BaseModel):
    customer_id: int
    name: str
    owner_staff_id: int | None
    owner_name: str | None
    phone: str | None = Field(description="Masked (138****8000) for roles without phones.view")
    identities: list[IdentityOut]
    tag_ids: list[int]
    stage_name: str | None


class MemberPage(PageOut[MemberOut]):
    last_synced_at: datetime | None
    sync_version: int
