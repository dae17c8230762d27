"""The operational schema, as SQLAlchemy Core tables, one module per area."""

from siyu.adapters.db.tables.add_friend import add_friend_batches, add_friend_numbers
from siyu.adapters.db.tables.acquisition import contact_ways, materials, welcome_messages, welcome_sends
from siyu.adapters.db.tables.alerts import alert_reads, alerts
from siyu.adapters.db.tables.base import UTCDateTime, metadata
from siyu.adapters.db.tables.commerce import (channel_costs, channels, events, order_import_errors, order_imports, order_lines,
                                             orders, refunds)
from siyu.adapters.db.tables.contact_pressure import contact_rules, customer_messages, customer_opt_outs
from siyu.adapters.db.tables.customers import (
    custom_fields,
    customer_identities,
    customer_merges,
    customer_tags,
    customers,
    duplicate_dismissals,
    import_errors,
    imports,
    member_levels,
    stage_changes,
    stages,
    staff_relations,
    tag_groups,
    tags,
    timeline_events,
)
from siyu.adapters.db.tables.experiments import experiment_assignments, experiments
from siyu.adapters.db.tables.group_codes import group_code_joins, group_codes
from siyu.adapters.db.tables.mass_sends import mass_send_targets, mass_send_tasks, mass_sends
from siyu.adapters.db.tables.journeys import journey_enrollments, journey_messages, journey_step_runs, journeys
from siyu.adapters.db.tables.guide_tasks import guide_task_rules, guide_tasks
from siyu.adapters.db.tables.moments import moment_senders, moments
from siyu.adapters.db.tables.organisation import api_tokens, regions, sessions, staff, stores, tenants, users
from siyu.adapters.db.tables.segments import customer_scores, segments
from siyu.adapters.db.tables.transfers import transfer_items, transfers
from siyu.adapters.db.tables.warehouse import warehouse_changes, warehouse_sync_tokens
from siyu.adapters.db.tables.wecom import (wecom_callbacks, wecom_group_chats, wecom_media, wecom_settings,
                                         wecom_sign_in_states, wecom_sync_runs)

__all__ = [
    "add_friend_batches",
    "add_friend_numbers",
    "mass_send_targets",
    "mass_send_tasks",
    "mass_sends",
    "UTCDateTime",
    "contact_ways",
    "group_code_joins",
    "group_codes",
    "materials",
    "moment_senders",
    "moments",
    "welcome_messages",
    "welcome_sends",
    "alert_reads",
    "alerts",
    "api_tokens",
    "channel_costs",
    "channels",
    "contact_rules",
    "custom_fields",
    "customer_identities",
    "customer_merges",
    "customer_messages",
    "customer_opt_outs",
    "customer_scores",
    "customer_tags",
    "customers",
    "duplicate_dismissals",
    "events",
    "experiment_assignments",
    "experiments",
    "guide_task_rules",
    "guide_tasks",
    "import_errors",
    "journey_enrollments",
    "journey_messages",
    "journey_step_runs",
    "journeys",
    "imports",
    "metadata",
    "order_import_errors",
    "order_imports",
    "order_lines",
    "orders",
    "refunds",
    "regions",
    "segments",
    "sessions",
    "staff",
    "staff_relations",
    "stage_changes",
    "member_levels",
    "stages",
    "stores",
    "tag_groups",
    "tags",
    "tenants",
    "timeline_events",
    "users",
    "transfer_items",
    "transfers",
    "warehouse_changes",
    "warehouse_sync_tokens",
    "wecom_callbacks",
    "wecom_media",
    "wecom_group_chats",
    "wecom_settings",
    "wecom_sign_in_states",
    "wecom_sync_runs",
]
