"""Guide tasks (导购任务) and the tenant's lifecycle rules that generate some of them."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKeyConstraint, Index, Integer, String, Table, Text, UniqueConstraint, text

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

UNREMINDED = text("state = 'open' AND reminded_at IS NULL")

guide_tasks = Table(
    "guide_tasks",
    metadata,
    id_column(),
    tenant_column(),
    Column("staff_id", Integer, nullable=False),  # the assignee
    Column("store_id", Integer),  # the assignee's store when the task was made: its managers see it
    Column("customer_id", Integer),
    Column("kind", String(20), nullable=False),  # greet, follow_up, send_content, give_coupon, invite_to_group, other
    Column("title", String(100), nullable=False),
    Column("script", Text, nullable=False, default=""),  # the suggested words
    Column("due_at", UTCDateTime(), nullable=False),
    Column("state", String(12), nullable=False),  # open, done, skipped, cancelled
    Column("source_kind", String(20), nullable=False),  # manual, manager_assignment, journey, mass_send, lifecycle_rule
    Column("source_key", String(120)),  # the generator's idempotency key (NULL for people's tasks)
    Column("created_by", String(80), nullable=False),
    created_column(),
    Column("closed_at", UTCDateTime()),
    Column("closed_by", String(80)),
    Column("outcome_until", UTCDateTime()),  # done tasks: orders up to this moment are its outcome
    Column("reminded_at", UTCDateTime()),  # the overdue alert was raised (once per task)
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "source_kind", "source_key"),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
    ForeignKeyConstraint(["tenant_id", "store_id"], ["stores.tenant_id", "stores.id"]),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_guide_tasks_staff_state_due", "tenant_id", "staff_id", "state", "due_at"),  # a guide's daily list
    Index("ix_guide_tasks_tenant_due", "tenant_id", "due_at"),  # leaderboards and managers' lists
    Index("ix_guide_tasks_store_due", "tenant_id", "store_id", "due_at"),
    Index("ix_guide_tasks_customer", "tenant_id", "customer_id"),
    Index("ix_guide_tasks_unreminded", "due_at", sqlite_where=UNREMINDED, postgresql_where=UNREMINDED),  # the overdue job
)

guide_task_rules = Table(
    "guide_task_rules",
    metadata,
    id_column(),
    tenant_column(),
    Column("stage_id", Integer, nullable=False),
    Column("days", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("title", String(100), nullable=False),
    Column("script", Text, nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "stage_id"], ["stages.tenant_id", "stages.id"], ondelete="CASCADE"),
)
