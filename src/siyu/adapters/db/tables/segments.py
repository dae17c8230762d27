"""Segments (人群): saved rules over customers, and the scores the rules read (RFM, LTV)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKeyConstraint, Integer, PrimaryKeyConstraint, String, Table, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

segments = Table(
    "segments",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(40), nullable=False),
    Column("description", String(200), nullable=False, default=""),
    Column("rule", JSON, nullable=False),  # SegmentRule.to_dict()
    Column("materialise_as_tag_id", Integer),  # a smart tag kept equal to the members after each sync
    # the last materialisation into that tag (services/smart_tags.refresh_segment_tags)
    Column("refreshed_at", UTCDateTime()),
    Column("refreshed_members", Integer),
    Column("refreshed_added", Integer),
    Column("refreshed_removed", Integer),
    Column("created_by", String(80), nullable=False),
    created_column(),
    Column("updated_by", String(80), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),
    ForeignKeyConstraint(["tenant_id", "materialise_as_tag_id"], ["tags.tenant_id", "tags.id"]),
)

# The analyses' per-customer scores, written after each warehouse sync (RFM segment, BG/NBD and
# Gamma-Gamma predictions), so a rule reads the same scores on the operational store and the warehouse.
customer_scores = Table(
    "customer_scores",
    metadata,
    tenant_column(),
    Column("customer_id", Integer, nullable=False),
    Column("rfm_segment", String(24)),
    Column("p_alive", Float),
    Column("predicted_purchases_90", Float),
    Column("predicted_purchases_365", Float),
    Column("predicted_value_90", Float),
    Column("predicted_value_365", Float),
    Column("scored_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "customer_id"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
)
