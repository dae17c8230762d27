"""Journeys (SOP 旅程): definitions, each customer's place in one, the steps passed, the messages sent."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

journeys = Table(
    "journeys",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(40), nullable=False),
    Column("status", String(10), nullable=False),  # domain.journeys.JourneyStatus
    Column("trigger_kind", String(20), nullable=False),  # the definition's, to find the journeys an event starts
    Column("definition", JSON, nullable=False),
    Column("version", Integer, nullable=False),  # +1 on every edit
    Column("created_by", String(64), nullable=False),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),
    Index("ix_journeys_status_trigger", "status", "trigger_kind"),
)

# One row per customer per entry: where they are and when they go on. ``entry_key`` tells one
# entry from another of the same customer (``once``, a year for a birthday, an order id...), so a
# trigger seen twice enters once. ``version`` changes on every claim and move: a worker only
# writes a row whose version it read (UPDATE ... WHERE version = :read).
journey_enrollments = Table(
    "journey_enrollments",
    metadata,
    id_column(),
    tenant_column(),
    Column("journey_id", Integer, nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("entry_key", String(40), nullable=False),
    Column("step_id", String(32), nullable=False),
    Column("state", String(10), nullable=False),  # domain.journeys.EnrollmentState
    Column("next_run_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("claimed_at", UTCDateTime()),
    Column("reason", String(40)),  # why a dropped enrollment left
    Column("entered_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "journey_id", "customer_id", "entry_key"),
    ForeignKeyConstraint(["tenant_id", "journey_id"], ["journeys.tenant_id", "journeys.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_journey_enrollments_due", "state", "next_run_at"),
    Index("ix_journey_enrollments_journey_step", "tenant_id", "journey_id", "state", "step_id"),
)

# One row per enrollment per step passed (jumps only go forward, so a step is passed at most
# once): the step counts, and the idempotency key of the step's side effects.
journey_step_runs = Table(
    "journey_step_runs",
    metadata,
    id_column(),
    tenant_column(),
    Column("journey_id", Integer, nullable=False),
    Column("enrollment_id", Integer, nullable=False),
    Column("step_id", String(32), nullable=False),
    Column("outcome", String(10), nullable=False),  # passed / dropped
    Column("detail", String(200)),
    Column("ran_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "enrollment_id", "step_id"),
    ForeignKeyConstraint(["tenant_id", "enrollment_id"], ["journey_enrollments.tenant_id", "journey_enrollments.id"],
                         ondelete="CASCADE"),
    Index("ix_journey_step_runs_journey", "tenant_id", "journey_id", "step_id", "outcome"),
)

# The message steps' outbox: written (and committed) before WeCom is called, keyed by
# ``journey:<enrollment>:<step>``, so a retry after a crash never sends twice.
journey_messages = Table(
    "journey_messages",
    metadata,
    id_column(),
    tenant_column(),
    Column("idempotency_key", String(80), nullable=False),
    Column("enrollment_id", Integer, nullable=False),
    Column("staff_id", Integer, nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("status", String(10), nullable=False),  # pending / sent / failed / unknown
    Column("msgid", String(64)),
    Column("error", String(200)),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "idempotency_key"),
)
