"""The customer's timeline: one chronological feed of everything that happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    CREATED = "created"
    IDENTITY_ADDED = "identity_added"
    RELATION_ADDED = "relation_added"
    RELATION_CHANGED = "relation_changed"  # deleted by either side, transferred
    TAGGED = "tagged"
    UNTAGGED = "untagged"
    STAGE_CHANGED = "stage_changed"
    PROFILE_CHANGED = "profile_changed"
    FIELDS_CHANGED = "fields_changed"
    MERGED = "merged"  # another customer was merged into this one
    UNMERGED = "unmerged"
    ORDER_PLACED = "order_placed"  # an order was matched to the customer (data: the order's id, source, amount)
    ORDER_REFUNDED = "order_refunded"
    OPTED_OUT = "opted_out"  # do-not-disturb set (data: source, note)
    OPTED_IN = "opted_in"  # do-not-disturb removed (data: the source it had)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    id: int
    customer_id: int
    kind: EventKind
    occurred_at: datetime
    actor: str
    data: dict[str, Any]
