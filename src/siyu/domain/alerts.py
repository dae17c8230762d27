"""Alerts for the console: a customer deleted a staff member, a staff member deleted a
customer, one staff member deleted more customers in a day than the tenant allows, or a guide
task is overdue (services/guide_tasks.remind_overdue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

DEFAULT_MASS_DELETION_THRESHOLD = 10


class AlertKind(StrEnum):
    DELETED_BY_CUSTOMER = "deleted_by_customer"  # the customer deleted the staff member
    DELETED_BY_STAFF = "deleted_by_staff"  # the staff member deleted the customer
    MASS_DELETION = "mass_deletion"  # a staff member deleted more than N customers in one day
    TASK_OVERDUE = "task_overdue"  # a guide task is still open past its due time (once per task)
    GROUP_CODE_FULL = "group_code_full"  # every group of a group code's pool is full (data: group_code_id, name)


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    kind: AlertKind
    store_id: int | None
    staff_id: int
    staff_name: str
    customer_id: int | None
    customer_name: str | None
    channel_state: str | None
    day: date
    occurred_at: datetime
    data: dict[str, Any]
    read: bool


@dataclass(frozen=True, slots=True)
class AlertCount:
    """Deletions on one day, by one staff member or through one channel."""

    day: date
    kind: AlertKind
    key: str  # the staff member's id, or the channel state ("" when the relation had none)
    label: str
    count: int
