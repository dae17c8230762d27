"""Bulk add-friend batches (批量加好友) and their numbers, each tracked until its customer is added."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

add_friend_batches = Table(
    "add_friend_batches",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(64), nullable=False),
    Column("due_days", Integer, nullable=False),
    Column("cursor", Integer, nullable=False, default=0),  # round-robin assignments made so far (the next import goes on)
    Column("created_by", String(80), nullable=False),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
)

add_friend_numbers = Table(
    "add_friend_numbers",
    metadata,
    id_column(),
    tenant_column(),
    Column("batch_id", Integer, nullable=False),
    Column("phone", String(11), nullable=False),  # normalised (domain/phones.py)
    Column("name", String(64), nullable=False, default=""),
    Column("note", String(200), nullable=False, default=""),
    Column("row_number", Integer, nullable=False),  # in the file it came from
    Column("staff_id", Integer, nullable=False),  # assigned
    Column("state", String(24), nullable=False),  # pending, added, added_by_other_staff, invalid
    Column("customer_id", Integer),  # the phone's customer, once known
    Column("added_by_staff_id", Integer),  # who added them (the assigned staff member, or another)
    Column("added_at", UTCDateTime()),
    Column("task_id", Integer),  # the assignee's guide task
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "batch_id", "phone"),  # importing a file twice adds nothing
    ForeignKeyConstraint(["tenant_id", "batch_id"], ["add_friend_batches.tenant_id", "add_friend_batches.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    ForeignKeyConstraint(["tenant_id", "task_id"], ["guide_tasks.tenant_id", "guide_tasks.id"]),
    Index("ix_add_friend_numbers_phone", "tenant_id", "phone", "state"),  # matching a customer's phones
    Index("ix_add_friend_numbers_batch_state", "tenant_id", "batch_id", "state", "staff_id"),  # progress, the filtered list
    Index("ix_add_friend_numbers_state", "state", "tenant_id", "id"),  # the sweep over open numbers
)
