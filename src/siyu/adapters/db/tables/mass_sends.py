"""Mass sends (群发): the send, its durable plan (one target per customer, one task per staff
member and chunk of at most 10,000) and what WeCom said about each (services/mass_send_worker)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Integer, String, Table, Text, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

mass_sends = Table(
    "mass_sends",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("material_ids", JSON, nullable=False),
    Column("segment_id", Integer),  # the audience: a segment's rule at planning time (no FK: a segment may be deleted later) ...
    Column("customer_ids", JSON),  # ... or hand-picked customers
    Column("experiment_id", Integer),
    Column("variant_texts", JSON, nullable=False),  # experiment arm -> text
    Column("status", String(12), nullable=False),  # domain.mass_sends.SendStatus
    Column("scheduled_at", UTCDateTime(), nullable=False),
    Column("planned_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Column("error", String(300)),
    Column("created_by", String(80), nullable=False),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "experiment_id"], ["experiments.tenant_id", "experiments.id"]),
    Index("ix_mass_sends_status", "status", "scheduled_at"),  # the worker's sweep over every tenant
)

# One row per staff member, experiment arm and chunk: one add_msg_template.
mass_send_tasks = Table(
    "mass_send_tasks",
    metadata,
    id_column(),
    tenant_column(),
    Column("mass_send_id", Integer, nullable=False),
    Column("staff_id", Integer, nullable=False),
    Column("arm", String(32), nullable=False, default=""),
    Column("chunk", Integer, nullable=False),
    Column("idempotency_key", String(80), nullable=False),  # domain.mass_sends.idempotency_key
    Column("state", String(12), nullable=False),  # domain.mass_sends.TaskState
    Column("customers", Integer, nullable=False),
    Column("submit_started_at", UTCDateTime()),  # when add_msg_template was (last) attempted
    Column("msgid", String(64)),
    Column("confirmed_at", UTCDateTime()),  # the staff member confirmed in WeCom
    Column("reminded", JSON, nullable=False),  # epoch seconds of each remind_groupmsg_send
    Column("polled_at", UTCDateTime()),
    Column("errcode", Integer),
    Column("error", String(300)),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("idempotency_key"),
    ForeignKeyConstraint(["tenant_id", "mass_send_id"], ["mass_sends.tenant_id", "mass_sends.id"]),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
    Index("ix_mass_send_tasks_send", "tenant_id", "mass_send_id", "state"),
)

# One row per customer of the audience: through whom, in which task, and how it went (or why not).
mass_send_targets = Table(
    "mass_send_targets",
    metadata,
    id_column(),
    tenant_column(),
    Column("mass_send_id", Integer, nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("staff_id", Integer),
    Column("task_id", Integer),
    Column("arm", String(32)),
    Column("status", String(12), nullable=False),  # domain.mass_sends.TargetStatus
    Column("reason", String(32)),  # why excluded (domain.mass_sends.ExclusionReason, or contact pressure's)
    Column("sent_at", UTCDateTime()),
    UniqueConstraint("tenant_id", "mass_send_id", "customer_id"),
    ForeignKeyConstraint(["tenant_id", "mass_send_id"], ["mass_sends.tenant_id", "mass_sends.id"]),
    Index("ix_mass_send_targets_task", "tenant_id", "task_id", "status"),
)
