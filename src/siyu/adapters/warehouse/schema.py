"""The warehouse schema: the tables analytics read, with their columns and types.

One definition serves three purposes: the sync creates the tables from it, the sync converts
operational rows to it (column order and types), and docs/warehouse.md describes it (a test
checks that every table and column here is documented there). Times are naive UTC timestamps;
the Asia/Shanghai business day is computed by the analytics (``siyu.analytics.frame``). Money
is ``decimal(12, 2)`` in yuan, as in the operational store.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

MONEY = dt.Decimal(12, 2)
TOTAL = dt.Decimal(18, 2)  # a sum of amounts (a customer's GMV): wider than one order, narrow enough to add fast

TABLES: dict[str, ibis.Schema] = {
    "customers": ibis.schema(
        {
            "tenant_id": "int64",
            "customer_id": "int64",
            "added_at": "timestamp",
            "region": "string",
            "stage_id": "int64",
            "owner_staff_id": "int64",
            "merged_into_id": "int64",
            "name": "string",
            "gender": "string",
            "birthday": "date",
            "member_level": "string",
            "fields": "string",
        }
    ),
    "customer_fields": ibis.schema(
        {
            "tenant_id": "int64",
            "customer_id": "int64",
            "key": "string",
            "text_value": "string",
            "number_value": "float64",
            "date_value": "date",
        }
    ),
    "customer_identities": ibis.schema(
        {"tenant_id": "int64", "identity_id": "int64", "customer_id": "int64", "kind": "string"}
    ),
    "customer_scores": ibis.schema(
        {
            "tenant_id": "int64",
            "customer_id": "int64",
            "rfm_segment": "string",
            "p_alive": "float64",
            "predicted_purchases_90": "float64",
            "predicted_purchases_365": "float64",
            "predicted_value_90": "float64",
            "predicted_value_365": "float64",
        }
    ),
    "customer_links": ibis.schema({"tenant_id": "int64", "customer_id": "int64", "live_customer_id": "int64"}),
    "relations": ibis.schema(
        {
            "tenant_id": "int64",
            "relation_id": "int64",
            "customer_id": "int64",
            "staff_id": "int64",
            "state": "string",
            "added_at": "timestamp",
            "ended_at": "timestamp",
            "channel_state": "string",
        }
    ),
    "customer_tags": ibis.schema(
        {"tenant_id": "int64", "customer_id": "int64", "tag_id": "int64", "source": "string", "applied_at": "timestamp"}
    ),
    "channels": ibis.schema(
        {"tenant_id": "int64", "channel_id": "int64", "name": "string", "group_name": "string", "state": "string"}
    ),
    "channel_costs": ibis.schema(
        {
            "tenant_id": "int64",
            "cost_id": "int64",
            "channel_id": "int64",
            "period_start": "date",
            "period_end": "date",
            "amount": MONEY,
        }
    ),
    # Joins by QR scan into a group code's groups (group_code_joins), with the code's channel and
    # the group's owner as last synced.
    "group_joins": ibis.schema(
        {
            "tenant_id": "int64",
            "join_id": "int64",
            "group_code_id": "int64",
            "channel_id": "int64",
            "owner_staff_id": "int64",
            "members": "int64",
            "occurred_at": "timestamp",
        }
    ),
    "member_levels": ibis.schema(
        {"tenant_id": "int64", "level_id": "int64", "name": "string", "position": "int64", "loyal": "boolean"}
    ),
    "regions": ibis.schema({"tenant_id": "int64", "region_id": "int64", "name": "string"}),
    "stores": ibis.schema(
        {"tenant_id": "int64", "store_id": "int64", "name": "string", "region_id": "int64", "city": "string"}
    ),
    "staff": ibis.schema(
        {"tenant_id": "int64", "staff_id": "int64", "name": "string", "store_id": "int64", "status": "string"}
    ),
    "orders": ibis.schema(
        {
            "tenant_id": "int64",
            "order_id": "int64",
            "customer_id": "int64",
            "source": "string",
            "store_id": "int64",
            "staff_id": "int64",
            "channel_id": "int64",
            "ordered_at": "timestamp",
            "amount": MONEY,
            "refunded_amount": MONEY,
            "status": "string",
            "updated_at": "timestamp",
        }
    ),
    "events": ibis.schema(
        {
            "tenant_id": "int64",
            "event_row_id": "int64",
            "name": "string",
            "occurred_at": "timestamp",
            "customer_id": "int64",
            "source": "string",
            "received_at": "timestamp",
            "updated_at": "timestamp",
        }
    ),
    # Derived by the sync from orders and customer_links (siyu.services.order_summary): per live buyer.
    "customer_order_days": ibis.schema(
        {
            "tenant_id": "int64",
            "customer_id": "int64",
            "day": "date",
            "orders": "int64",
            "gmv": TOTAL,
            "first_purchase_at": "timestamp",
            "last_purchase_at": "timestamp",
        }
    ),
    "customer_orders": ibis.schema(
        {
            "tenant_id": "int64",
            "customer_id": "int64",
            "orders": "int64",
            "gmv": TOTAL,
            "first_purchase_at": "timestamp",
            "last_purchase_at": "timestamp",
        }
    ),
    # The sync's own bookkeeping.
    "sync_blocks": ibis.schema({"tenant_id": "int64", "source": "string", "block": "int64", "fingerprint": "int64"}),
    "sync_marks": ibis.schema({"tenant_id": "int64", "source": "string", "mark": "timestamp"}),
    # per block-fingerprinted source: the token of the sync that last consumed the operational
    # store's change marks (the store keeps the same one), and when every block was last re-checked
    "sync_tokens": ibis.schema({"tenant_id": "int64", "source": "string", "token": "int64", "checked_at": "timestamp"}),
    "sync_runs": ibis.schema(
        {
            "tenant_id": "int64",
            "version": "int64",
            "started_at": "timestamp",
            "finished_at": "timestamp",
            "rows_changed": "int64",
        }
    ),
}
