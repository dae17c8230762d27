"""A WeCom sync run: what it is doing, where it stands, and what it changed.

A run walks its steps in order (staff, tags, customers, groups, ending) and keeps its
``position`` (the step, the chunk of 100 staff, WeCom's cursor) with every page it commits,
so an interrupted run resumes exactly where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class SyncStatus(StrEnum):
    RUNNING = "running"
    INTERRUPTED = "interrupted"  # WeCom failed mid-way (after the client's retries): resumable
    DONE = "done"
    FAILED = "failed"  # a problem a retry will not fix (settings, permission)


class SyncStep(StrEnum):
    STAFF = "staff"
    TAGS = "tags"
    CUSTOMERS = "customers"
    GROUPS = "groups"
    ENDING = "ending"
    DONE = "done"


# What a run counts, in the order the console and the CLI show them.
COUNTS = (
    "staff_synced", "staff_unknown",
    "customers_created", "customers_updated", "customers_unchanged", "customers_merged",
    "relations_created", "relations_updated", "relations_unchanged", "relations_ended",
    "tags_added", "tags_removed", "tags_pushed",
    "corp_tags_imported", "corp_tags_exported",
    "groups_created", "groups_updated",
)


@dataclass(frozen=True, slots=True)
class SyncRun:
    id: int
    tenant_id: int
    full: bool
    status: SyncStatus
    position: dict[str, Any]
    userids: list[str]
    unknown_userids: list[str]
    counts: dict[str, int]
    error: str | None
    actor: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def step(self) -> SyncStep:
        return SyncStep(self.position.get("step", SyncStep.STAFF.value))

    def count(self, name: str) -> int:
        return int(self.counts.get(name, 0))
