"""Experiments (实验): holdouts and variant splits of an audience, and who fell in which arm."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

experiments = Table(
    "experiments",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(64), nullable=False),
    Column("salt", String(32), nullable=False),  # hashed with the customer id to pick the arm (domain/experiments.py)
    Column("arms", JSON, nullable=False),  # [{key, weight, control}]
    Column("window_days", Integer, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),  # an operator finds a report by its name
)

# One row per customer per experiment: the first arm they were assigned, kept for ever.
experiment_assignments = Table(
    "experiment_assignments",
    metadata,
    id_column(),
    tenant_column(),
    Column("experiment_id", Integer, nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("arm", String(32), nullable=False),
    Column("assigned_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "experiment_id", "customer_id"),
    ForeignKeyConstraint(["tenant_id", "experiment_id"], ["experiments.tenant_id", "experiments.id"]),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_experiment_assignments_tenant_customer", "tenant_id", "customer_id"),
)
