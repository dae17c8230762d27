"""Customer transfers (在职继承 / 离职继承) and WeCom's rules for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

PER_CALL = 100  # customers per transfer_customer call
MAX_ONJOB_TRANSFERS = 2  # an on-job transfer moves a customer at most twice ...
PROTECTION_DAYS = 90  # ... in 90 days

# transfer_result's status codes
RESULT_DONE, RESULT_WAITING = 1, 2
RESULT_REASONS = {3: "refused", 4: "takeover_at_limit", 5: "no_record"}
# transfer_customer's per-customer errcodes, as the reason on the item
ERRCODE_REASONS = {40096: "bad_external_userid", 40097: "handover_not_resigned", 40100: "already_transferring",
                   40128: "too_frequent", 40129: "being_transferred", 40130: "same_staff", 40131: "not_a_follower",
                   84061: "no_relation"}


class TransferStatus(StrEnum):
    SUBMITTING = "submitting"  # customers not yet sent to WeCom
    WAITING = "waiting"  # sent; WeCom has not confirmed every one yet (takeover completes within 24 h)
    DONE = "done"


class ItemStatus(StrEnum):
    PENDING = "pending"
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Transfer:
    id: int
    resigned: bool
    handover_staff_id: int
    takeover_staff_id: int
    status: TransferStatus
    message: str | None
    counts: dict[str, int]
    actor: str
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class TransferItem:
    id: int
    customer_id: int
    external_userid: str
    status: ItemStatus
    reason: str | None
    updated_at: datetime
