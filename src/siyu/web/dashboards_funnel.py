"""The AIPL funnel dashboard's tables and charts, from ``siyu.analytics.funnel.FunnelResult``.

The help texts are the definitions of the funnel module's docstring: ordered steps, each at or
after the one before and within the conversion window of the awareness action.
"""

from __future__ import annotations

from typing import Any

from siyu.analytics.funnel import Breakdown, FunnelCounts, FunnelResult
from siyu.web.dashboards import PALETTE, Column, Table, bar_chart
from siyu.web.i18n import N_, Language

BREAKDOWN_LABELS = {
    Breakdown.NONE: N_("No breakdown"),
    Breakdown.CHANNEL: N_("By channel"),
    Breakdown.STORE: N_("By store"),
    Breakdown.STAFF: N_("By staff member"),
    Breakdown.REGION: N_("By region"),
}
#: the group of customers with no first relation (or whose first relation has no store, region, channel)
UNGROUPED = {
    Breakdown.NONE: N_("All customers"),
    Breakdown.CHANNEL: N_("No channel"),
    Breakdown.STORE: N_("No store"),
    Breakdown.STAFF: N_("No staff member"),
    Breakdown.REGION: N_("No region"),
}
STAGES = (
    ("awareness", N_("Awareness"), N_("Live customers whose first awareness event (scanned a code, viewed content, opened a link, watched a live stream, received a coupon) fell on a day of the period.")),
    ("interest", N_("Interest"), N_("Of those, customers who added a staff member, replied, visited the mini-program or a store, or used a coupon at or after their awareness and within the window.")),
    ("purchase", N_("Purchase"), N_("Of those, customers with a purchase (an order not fully refunded) at or after their interest and within the window.")),
    ("loyalty", N_("Loyalty"), N_("Of those, customers with a second purchase within the window (a repeat purchase), or whose member level counts as loyal (the level set as “loyal from” in the member-level settings, and above).")),
)
RATES = {
    "interest": ("interest_rate", N_("Interest rate"), N_("Interest / awareness.")),
    "purchase": ("purchase_rate", N_("Purchase rate"), N_("Purchase / interest.")),
    "loyalty": ("loyalty_rate", N_("Loyalty rate"), N_("Loyalty / purchase.")),
}
STAGE_COLUMNS = (
    Column("stage", N_("Stage"), N_("The AIPL stage: awareness, interest, purchase, loyalty, in this order."), "text"),
    Column("customers", N_("Customers"), N_("Customers who reached the stage, each step at or after the one before and within the conversion window from awareness.")),
    Column("conversion", N_("From the stage before"), N_("Customers of the stage / customers of the stage before (empty for awareness, or when the stage before has none)."), "rate"),
    Column("overall", N_("From awareness"), N_("Customers of the stage / customers in awareness."), "rate"),
)


def _group_column(by: Breakdown) -> Column:
    helps = {
        Breakdown.NONE: N_("Every customer who entered the funnel in the period."),
        Breakdown.CHANNEL: N_("The channel of the customer's first relation (its contact way); none when it came through no channel."),
        Breakdown.STORE: N_("The store of the staff member of the customer's first relation."),
        Breakdown.STAFF: N_("The staff member of the customer's first relation (earliest add)."),
        Breakdown.REGION: N_("The region of the store of the customer's first relation."),
    }
    return Column("group", N_("Breakdown group"), helps[by], "text")


def group_name(language: Language, by: Breakdown, group: FunnelCounts) -> str:
    return group.key_name or language.gettext(UNGROUPED[by])


def stage_table(language: Language, counts: FunnelCounts) -> Table:
    """The four stages of one funnel (the whole brand's, or one group's)."""
    rows = []
    for key, label, _ in STAGES:
        rate = RATES.get(key)
        rows.append((language.gettext(label), getattr(counts, key), getattr(counts, rate[0]) if rate else None,
                     None if not counts.awareness else getattr(counts, key) / counts.awareness))
    return Table("funnel-stages", STAGE_COLUMNS, tuple(rows))


def group_table(language: Language, result: FunnelResult) -> Table:
    """One row per breakdown group, stages then conversion rates."""
    columns = (_group_column(result.by), *(Column(k, label, help_text) for k, label, help_text in STAGES),
               *(Column(k, label, help_text, "rate") for k, label, help_text in RATES.values()),
               Column("overall_rate", N_("Overall rate"), N_("Loyalty / awareness: the whole funnel."), "rate"))
    groups = result.groups if result.by is not Breakdown.NONE else (result.total,)
    return Table("funnel-groups", columns, tuple(
        (group_name(language, result.by, g), g.awareness, g.interest, g.purchase, g.loyalty, g.interest_rate, g.purchase_rate,
         g.loyalty_rate, g.overall_rate)
        for g in groups))


def funnel_chart(language: Language, table: Table) -> dict[str, Any]:
    """The stages as an ECharts funnel, widest at awareness, in the AIPL order."""
    top = max((row[1] for row in table.rows), default=0) or 1
    return {
        "color": PALETTE, "tooltip": {"trigger": "item", "formatter": "{b}: {c}"}, "legend": {"top": 0},
        "series": [{
            "type": "funnel", "sort": "none", "left": "10%", "width": "80%", "top": 36, "bottom": 8, "min": 0, "max": top,
            "minSize": "22%", "gap": 2, "label": {"show": True, "position": "inside", "formatter": "{b}: {c}"},
            "data": [{"name": row[0], "value": row[1]} for row in table.rows],
        }],
    }


def groups_chart(language: Language, table: Table) -> dict[str, Any]:
    """The stages of each group side by side."""
    return bar_chart(language, table, "group", ("awareness", "interest", "purchase", "loyalty"))
