"""The analytics dashboards' tables: one typed query result -> columns (label, how it is
computed) and rows of plain values, which the page shows and the CSV export writes.

The page and the CSV are made from the same :class:`Table`, so what a person downloads is
what they saw. The definitions in the columns' help texts are those of the query modules'
docstrings (``siyu.analytics.*``) and docs/warehouse.md. CSV is written by
``siyu.adapters.files.writers.CsvWriter`` (UTF-8 with a BOM for Excel, formula-safe cells).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.responses import Response

from siyu.adapters.files.writers import CsvWriter
from siyu.analytics.channels import ChannelResult
from siyu.analytics.cohorts import Cohort, CohortResult
from siyu.analytics.private_domain import PrivateDomainResult
from siyu.analytics.rfm import RfmResult, RfmScore, Segment
from siyu.web.i18n import N_, Language

SEGMENT_LABELS = {
    Segment.CHAMPIONS: N_("Champions"),
    Segment.LOYAL: N_("Loyal"),
    Segment.POTENTIAL_LOYALISTS: N_("Potential loyalists"),
    Segment.NEW: N_("New"),
    Segment.PROMISING: N_("Promising"),
    Segment.NEED_ATTENTION: N_("Need attention"),
    Segment.ABOUT_TO_SLEEP: N_("About to sleep"),
    Segment.AT_RISK: N_("At risk"),
    Segment.CANT_LOSE: N_("Can't lose"),
    Segment.HIBERNATING: N_("Hibernating"),
}
UNATTRIBUTED = N_("No channel")


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # a msgid
    help: str  # a msgid: how the number is computed
    kind: str = "count"  # count, money, rate, ratio, number, text, date, month, customer


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]


def display(language: Language, value: Any, kind: str) -> str:
    """A cell as a person reads it (the CSV keeps the plain value)."""
    if value is None:
        return "—"
    if kind == "money":
        return f"¥{Decimal(value):,.2f}"
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if kind == "ratio":
        return f"{float(value):.2f}"
    if kind == "number":  # a model's estimate: four significant digits
        return f"{float(value):.4g}"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "month" and isinstance(value, date):
        return value.strftime("%Y-%m")
    if kind == "segment":
        return language.gettext(SEGMENT_LABELS[Segment(value)])
    return str(value)


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Segment):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_response(language: Language, table: Table, filename: str) -> Response:
    """The table as CSV: translated headers, then the plain values of every row."""
    out = io.BytesIO()
    writer = CsvWriter(out)
    writer.write([language.gettext(c.label) for c in table.columns])
    for row in table.rows:
        writer.write([_plain(v) for v in row])
    writer.close()
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


# -- RFM ---------------------------------------------------------------------------------------

RFM_HELP = N_("Every live customer with a purchase (an order not fully refunded) on or before the day asked about.")
SEGMENT_COLUMNS = (
    Column("segment", N_("Segment"), N_("From the R and F scores, by the RF grid: e.g. R 5 and F 4-5 are champions, R 1-2 and F 1-2 hibernating."),
           "segment"),
    Column("customers", N_("Customers"), N_("Live customers in the segment (merged customers count once).")),
    Column("monetary", N_("Net GMV"), N_("The segment's customers' paid amounts minus refunds, in yuan."), "money"),
)
CUSTOMER_COLUMNS = (
    Column("customer_id", N_("Customer"), N_("The live customer (merged-away customers are counted under the one they were merged into)."),
           "customer"),
    Column("segment", N_("Segment"), SEGMENT_COLUMNS[0].help, "segment"),
    Column("last_purchase_day", N_("Last purchase"), N_("The Asia/Shanghai business day of the customer's latest purchase."), "date"),
    Column("recency_days", N_("Recency (days)"), N_("Days from the last purchase's business day to the day asked about.")),
    Column("frequency", N_("Frequency"), N_("Number of purchases: orders not fully refunded.")),
    Column("monetary", N_("Monetary"), N_("Net GMV: paid minus refunded, in yuan."), "money"),
    Column("r", N_("R"), N_("Recency quintile 1 + floor(5 × position / n), reversed: the longest-ago buyer scores 1; equal recencies share a score.")),
    Column("f", N_("F"), N_("Frequency quintile 1 + floor(5 × position / n); equal frequencies are ranked by recency, then net GMV, then customer id, so one-time buyers spread over several scores.")),
    Column("m", N_("M"), N_("Monetary quintile 1 + floor(5 × position / n); equal net GMV shares a score.")),
)


def rfm_segments(result: RfmResult) -> Table:
    return Table("rfm-segments", SEGMENT_COLUMNS, tuple((s.segment, s.customers, s.monetary) for s in result.segments))


def rfm_grid(result: RfmResult) -> Table:
    """Customers per R (rows, 5 first) and F (columns) score."""
    counts = {(r, f): 0 for r in range(1, 6) for f in range(1, 6)} | result.grid()  # counted by column: no row objects
    help_text = N_("Customers with this R score (row) and F score (column).")
    columns = (Column("r", N_("R \\ F"), N_("R score: 5 bought most recently, 1 longest ago.")),
               *(Column(f"f{f}", f"F {f}", help_text) for f in range(1, 6)))
    return Table("rfm-grid", columns, tuple((r, *(counts[(r, f)] for f in range(1, 6))) for r in range(5, 0, -1)))


def rfm_customers(scores: Iterable[RfmScore]) -> Table:
    return Table("rfm-customers", CUSTOMER_COLUMNS, tuple(
        (s.customer_id, s.segment, s.last_purchase_day, s.recency_days, s.frequency, s.monetary, s.r, s.f, s.m) for s in scores))


# -- cohorts -----------------------------------------------------------------------------------

COHORT_COLUMNS = (
    Column("month", N_("Month of add"), N_("The Asia/Shanghai month of the customer's first add of any staff member."), "month"),
    Column("channel", N_("Channel"), N_("The channel of that first add (none: the add came through no channel)."), "text"),
    Column("size", N_("Cohort size"), N_("Live customers whose first add fell in the month through the channel.")),
    Column("offset", N_("Month"), N_("Months after the month of add (0 is the month itself); a month is shown once it is over.")),
    Column("still_friends", N_("Still friends"), N_("Cohort customers with a relation added before the month's end and not ended by then.")),
    Column("still_friend_rate", N_("Still-friend rate"), N_("Still friends / cohort size."), "rate"),
    Column("repurchasers", N_("Repurchasers"), N_("Cohort customers whose second purchase since their first add fell on or before the month's last day.")),
    Column("repurchase_rate", N_("Repurchase rate"), N_("Repurchasers / cohort size."), "rate"),
)


def cohort_label(language: Language, cohort: Cohort) -> str:
    return f"{cohort.month:%Y-%m} · {cohort.channel_name or language.gettext(UNATTRIBUTED)}"


def cohort_table(language: Language, cohorts: Iterable[Cohort]) -> Table:
    """One row per cohort and month after the add (long form, as the query answers)."""
    return Table("cohorts", COHORT_COLUMNS, tuple(
        (c.month, c.channel_name or language.gettext(UNATTRIBUTED), c.size, m.offset, m.still_friends, m.still_friend_rate,
         m.repurchasers, m.repurchase_rate)
        for c in cohorts for m in c.months))


def chosen_cohorts(result: CohortResult, channel: str) -> tuple[Cohort, ...]:
    """``channel``: empty for every channel, ``none`` for adds through no channel, else a channel id."""
    if not channel:
        return result.cohorts
    wanted = None if channel == "none" else int(channel) if channel.isdigit() else -1
    return tuple(c for c in result.cohorts if c.channel_id == wanted)


# -- channel ROI -------------------------------------------------------------------------------

CHANNEL_COLUMNS = (
    Column("name", N_("Channel"), N_("The acquisition channel (its contact way's state code marks the adds through it)."), "text"),
    Column("adds", N_("Adds"), N_("Live customers who added a staff member through the channel on a day of the period; each counts once per channel, by their earliest add.")),
    Column("still_friend_rate_7d", N_("Still friends 7d"), N_("Of the adds whose 7 days are over, the share not deleted by either side within 7 days (transfers are not deletions)."), "rate"),
    Column("still_friend_rate_30d", N_("Still friends 30d"), N_("Of the adds whose 30 days are over, the share not deleted by either side within 30 days."), "rate"),
    Column("buyers", N_("Buyers"), N_("Distinct live customers with a purchase credited to the channel on a day of the period.")),
    Column("gmv", N_("GMV"), N_("Net GMV (paid minus refunded) of purchases credited to the channel in the period, unmatched orders included."), "money"),
    Column("cost", N_("Cost"), N_("Channel costs prorated by day: a cost over D days, O of them in the period, counts amount × O / D."), "money"),
    Column("cac", N_("CAC"), N_("Cost / adds (empty when there are no adds)."), "money"),
    Column("cost_per_buyer", N_("Cost per buyer"), N_("Cost / buyers (empty when there are no buyers)."), "money"),
    Column("roi", N_("ROI"), N_("GMV / cost (empty when there is no cost)."), "ratio"),
    Column("deletion_rate", N_("Deletion rate"), N_("Adds whose relation was deleted by the end of the day asked about / adds."), "rate"),
    # last, so the CSV export's earlier columns keep their places
    Column("group_joins", N_("Group joins"), N_("People who joined a customer group by scanning one of the channel's group codes on a day of the period, counted per join (WeCom does not say who joined). With a store or region: joins into groups its staff members own.")),
)


def channel_table(result: ChannelResult) -> Table:
    return Table("channels", CHANNEL_COLUMNS, tuple(
        (c.name, c.adds, c.still_friend_rate_7d, c.still_friend_rate_30d, c.buyers, c.gmv, c.cost, c.cac, c.cost_per_buyer,
         c.roi, c.deletion_rate, c.group_joins)
        for c in result.channels))


# -- private-domain share ----------------------------------------------------------------------

SHARE_COLUMNS = (
    Column("month", N_("Month"), N_("The Asia/Shanghai month of the order."), "month"),
    Column("orders", N_("Orders"), N_("Purchases (orders not fully refunded) of every source, unmatched orders included.")),
    Column("private_orders", N_("Private-domain orders"), N_("Purchases whose customer was a friend when ordering: a staff relation added at or before the order and not ended by then.")),
    Column("gmv", N_("GMV"), N_("Net GMV (paid minus refunded) of all purchases in the month."), "money"),
    Column("private_gmv", N_("Private-domain GMV"), N_("Net GMV of the private-domain purchases."), "money"),
    Column("share", N_("Share"), N_("Private-domain GMV / GMV (empty for a month with no GMV)."), "rate"),
)


def share_table(result: PrivateDomainResult) -> Table:
    return Table("private-domain", SHARE_COLUMNS, tuple(
        (m.month, m.orders, m.private_orders, m.gmv, m.private_gmv, m.share) for m in result.months))


# -- charts (ECharts options, drawn by static/analytics.js) -----------------------------------

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#7c3aed", "#dc2626", "#0891b2"]


def _number(value: Any) -> float | None:
    return None if value is None or isinstance(value, str) else float(value)


def bar_chart(language: Language, table: Table, category: str, values: tuple[str, ...], *, line: str | None = None) -> dict[str, Any]:
    """Bars of ``values`` per row (labelled by ``category``), and optionally ``line`` on a right axis."""
    keys = [c.key for c in table.columns]
    col = {c.key: c for c in table.columns}
    at = {k: keys.index(k) for k in keys}
    series: list[dict[str, Any]] = [
        {"name": language.gettext(col[k].label), "type": "bar", "data": [_number(row[at[k]]) for row in table.rows]} for k in values
    ]
    axes: list[dict[str, Any]] = [{"type": "value"}]
    if line is not None:
        series.append({"name": language.gettext(col[line].label), "type": "line", "yAxisIndex": 1, "smooth": True,
                       "data": [_number(row[at[line]]) for row in table.rows]})
        axes.append({"type": "value", "splitLine": {"show": False}, "axisLabel": {"formatter": "{value}"}})
    return {
        "color": PALETTE, "tooltip": {"trigger": "axis"}, "legend": {"top": 0},
        "grid": {"left": 48, "right": 48 if line else 16, "top": 36, "bottom": 56, "containLabel": True},
        "xAxis": {"type": "category", "axisLabel": {"interval": 0, "rotate": 30 if len(table.rows) > 6 else 0},
                  "data": [display(language, row[at[category]], col[category].kind) for row in table.rows]},
        "yAxis": axes, "series": series,
    }


def cohort_heatmap(language: Language, cohorts: tuple[Cohort, ...], rate: str) -> dict[str, Any]:
    """Cohorts (rows) by month after the add (columns), coloured by ``rate`` (0-100 %)."""
    offsets = max((len(c.months) for c in cohorts), default=0)
    labels = [cohort_label(language, c) for c in cohorts]
    cells = [[m.offset, i, round(getattr(m, rate) * 100, 1)] for i, c in enumerate(cohorts) for m in c.months]
    return {
        "tooltip": {"position": "top"},
        "grid": {"left": 8, "right": 16, "top": 8, "bottom": 90, "containLabel": True},
        "xAxis": {"type": "category", "data": [f"M{k}" for k in range(offsets)], "splitArea": {"show": True}},
        "yAxis": {"type": "category", "data": labels, "inverse": True, "splitArea": {"show": True}},
        "visualMap": {"min": 0, "max": 100, "calculable": True, "orient": "horizontal", "left": "center", "bottom": 0,
                      "inRange": {"color": ["#eff6ff", "#2563eb"]}, "text": ["100%", "0%"]},
        "series": [{"type": "heatmap", "data": cells, "label": {"show": True, "fontSize": 10, "formatter": "{@[2]}%"}}],
    }
