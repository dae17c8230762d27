"""Customers and everything known about them: identities (OneID), staff relations, tags,
lifecycle stages, tenant-defined fields, the timeline, merges, and imports."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

LIVE = text("merged_into_id IS NULL")
MERGED = text("merged_into_id IS NOT NULL")
HAS_REMARK = text("remark IS NOT NULL")

stages = Table(
    "stages",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(30), nullable=False),
    Column("position", Integer, nullable=False),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),
)

# The tenant's member levels, lowest first; ``loyal`` marks the threshold and the levels above it.
member_levels = Table(
    "member_levels",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(32), nullable=False),
    Column("position", Integer, nullable=False),
    Column("loyal", Boolean, nullable=False),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),
)

customers = Table(
    "customers",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(64), nullable=False, default=""),
    Column("gender", SmallInteger, nullable=False, default=0),  # 0 unknown, 1 male, 2 female (WeCom's codes)
    Column("avatar", String(500)),
    Column("birthday", Date),
    Column("region", String(64)),
    Column("member_level", String(32)),  # the mall's level, by name (siyu.domain.member_levels)
    Column("stage_id", Integer),
    Column("owner_staff_id", Integer),
    Column("fields", JSON, nullable=False, default=dict),
    Column("added_at", UTCDateTime(), nullable=False),  # first became known to the brand
    Column("merged_into_id", Integer),  # set on a customer merged away; lists hide it
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "stage_id"], ["stages.tenant_id", "stages.id"]),
    ForeignKeyConstraint(["tenant_id", "owner_staff_id"], ["staff.tenant_id", "staff.id"]),
    ForeignKeyConstraint(["tenant_id", "merged_into_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_customers_tenant_added", "tenant_id", "added_at"),
    Index("ix_customers_tenant_name", "tenant_id", "name"),
    Index("ix_customers_tenant_stage", "tenant_id", "stage_id"),
    Index("ix_customers_tenant_owner", "tenant_id", "owner_staff_id"),
    # Lists show live customers newest first: these two answer the page and its count from the
    # index alone (partial: merged-away customers are not in them).
    Index("ix_customers_live_added", "tenant_id", "added_at", sqlite_where=LIVE, postgresql_where=LIVE),
    Index("ix_customers_live_stage", "tenant_id", "stage_id", "added_at", sqlite_where=LIVE, postgresql_where=LIVE),
    # "is this customer live?" from the index alone, for counts that start from relations or tags
    Index("ix_customers_live_id", "tenant_id", "id", sqlite_where=LIVE, postgresql_where=LIVE),
    # who was merged into these customers (contact pressure counts their opt-outs and messages too)
    Index("ix_customers_merged_into", "tenant_id", "merged_into_id", sqlite_where=MERGED, postgresql_where=MERGED),
)

customer_identities = Table(
    "customer_identities",
    metadata,
    id_column(),
    tenant_column(),
    Column("customer_id", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("value", String(128), nullable=False),
    Column("source", String(20), nullable=False),
    created_column(),
    # A key belongs to one customer at a time: this is what makes OneID resolution sound.
    UniqueConstraint("tenant_id", "kind", "value"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_identities_tenant_customer", "tenant_id", "customer_id"),
    Index("ix_identities_tenant_value", "tenant_id", "value"),
)

staff_relations = Table(
    "staff_relations",
    metadata,
    id_column(),
    tenant_column(),
    Column("customer_id", Integer, nullable=False),
    Column("staff_id", Integer, nullable=False),
    Column("state", String(24), nullable=False),
    Column("added_at", UTCDateTime(), nullable=False),
    Column("add_way", Integer),  # WeCom's add_way code
    Column("channel_state", String(30)),  # the contact way's `state`: the channel of the add
    Column("remark", String(20)),
    Column("description", String(150)),
    Column("ended_at", UTCDateTime()),
    # The WeCom sync's marks: the last run that saw this relation, and a hash of what WeCom
    # and Siyu said then (an incremental run skips a relation whose hash is unchanged).
    Column("wecom_seen_run_id", Integer),
    Column("wecom_fingerprint", String(32)),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "customer_id", "staff_id"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
    Index("ix_relations_staff_customer", "tenant_id", "staff_id", "state", "customer_id"),  # covers "followed by"
    Index("ix_relations_remark", "tenant_id", "remark", "customer_id", sqlite_where=HAS_REMARK, postgresql_where=HAS_REMARK),
)

tag_groups = Table(
    "tag_groups",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(30), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("wecom_group_id", String(64)),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),
)

tags = Table(
    "tags",
    metadata,
    id_column(),
    tenant_column(),
    Column("group_id", Integer, nullable=False),
    Column("name", String(30), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("wecom_tag_id", String(64)),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "group_id", "name"),
    ForeignKeyConstraint(["tenant_id", "group_id"], ["tag_groups.tenant_id", "tag_groups.id"], ondelete="CASCADE"),
)

customer_tags = Table(
    "customer_tags",
    metadata,
    tenant_column(),
    Column("customer_id", Integer, nullable=False),
    Column("tag_id", Integer, nullable=False),
    Column("source", String(20), nullable=False),
    Column("applied_by", String(80)),
    Column("applied_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "customer_id", "tag_id"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    ForeignKeyConstraint(["tenant_id", "tag_id"], ["tags.tenant_id", "tags.id"], ondelete="CASCADE"),
    Index("ix_customer_tags_tag_customer", "tenant_id", "tag_id", "customer_id"),  # covers "has tag"
)

stage_changes = Table(
    "stage_changes",
    metadata,
    id_column(),
    tenant_column(),
    Column("customer_id", Integer, nullable=False),
    Column("from_stage_id", Integer),
    Column("to_stage_id", Integer),
    Column("actor", String(80), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_stage_changes_customer", "tenant_id", "customer_id"),
    Index("ix_stage_changes_stage_time", "tenant_id", "to_stage_id", "changed_at"),  # lifecycle rules: who entered when
)

custom_fields = Table(
    "custom_fields",
    metadata,
    id_column(),
    tenant_column(),
    Column("key", String(40), nullable=False),
    Column("label", String(40), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("options", JSON, nullable=False, default=list),
    Column("required", Boolean, nullable=False, default=False),
    Column("position", Integer, nullable=False, default=0),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "key"),
)

timeline_events = Table(
    "timeline_events",
    metadata,
    id_column(),
    tenant_column(),
    Column("customer_id", Integer, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_timeline_customer_time", "tenant_id", "customer_id", "occurred_at"),
)

customer_merges = Table(
    "customer_merges",
    metadata,
    id_column(),
    tenant_column(),
    Column("survivor_id", Integer, nullable=False),
    Column("merged_id", Integer, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("moved", JSON, nullable=False),  # what moved, so the merge can be undone exactly
    created_column(),
    Column("undone_at", UTCDateTime()),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "survivor_id"], ["customers.tenant_id", "customers.id"]),
    ForeignKeyConstraint(["tenant_id", "merged_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_merges_tenant_survivor", "tenant_id", "survivor_id"),
)

duplicate_dismissals = Table(
    "duplicate_dismissals",
    metadata,
    tenant_column(),
    Column("customer_a", Integer, nullable=False),  # the smaller id of the pair
    Column("customer_b", Integer, nullable=False),
    Column("actor", String(80), nullable=False),
    created_column(),
    PrimaryKeyConstraint("tenant_id", "customer_a", "customer_b"),
)

imports = Table(
    "imports",
    metadata,
    id_column(),
    tenant_column(),
    Column("filename", String(200), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("status", String(12), nullable=False),  # running, done, failed
    Column("rows_expected", Integer),  # estimated from the file at upload (None when unknown)
    Column("rows_total", Integer, nullable=False, default=0),
    Column("rows_good", Integer, nullable=False, default=0),
    Column("rows_bad", Integer, nullable=False, default=0),
    Column("customers_created", Integer, nullable=False, default=0),
    Column("customers_updated", Integer, nullable=False, default=0),
    Column("customers_merged", Integer, nullable=False, default=0),
    Column("message", Text),
    Column("message_code", String(64)),  # the failure's error code and values (message is the English)
    Column("message_params", JSON),
    Column("actor", String(80), nullable=False),
    created_column(),
    Column("finished_at", UTCDateTime()),
    Column("rows_done", Integer, nullable=False, default=0, server_default="0"),  # where a resumed run continues
    Column("upload", String(500)),  # the stored file the worker reads (None: read in-process, by the CLI)
    Column("encoding", String(32)),
    Column("attempt", Integer, nullable=False, default=0, server_default="0"),  # bumped by each worker taking the run
    Column("progress_at", UTCDateTime()),  # when that worker took it or last committed a batch
    UniqueConstraint("tenant_id", "id"),
)

import_errors = Table(
    "import_errors",
    metadata,
    id_column(),
    tenant_column(),
    Column("import_id", Integer, nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("column", String(64)),
    Column("value", String(200)),
    Column("reason", String(300), nullable=False),
    Column("code", String(64)),  # the reason's error code and values, for the console's languages
    Column("params", JSON),
    ForeignKeyConstraint(["tenant_id", "import_id"], ["imports.tenant_id", "imports.id"], ondelete="CASCADE"),
    Index("ix_import_errors_import", "tenant_id", "import_id", "row_number"),
)
