"""The staff and stores dashboard's table and charts, from ``siyu.analytics.staff.StaffResult``.

Rows are ranked across the nation by attributed GMV (then buyers); the region and store
filters only narrow the rows shown, so a rank stays the one the query gave (``rank_in_region``
and ``rank_in_store`` compare within). Store and region names come from the console's lookups.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from siyu.analytics.staff import Level, StaffPerformance
from siyu.web.dashboards import Column, Table, bar_chart
from siyu.web.i18n import N_, Language

LEVEL_LABELS = {
    Level.STAFF: N_("Staff members"),
    Level.STORE: N_("Stores"),
    Level.REGION: N_("Regions"),
    Level.NATION: N_("Nation"),
}
NAME_LABELS = {Level.STAFF: N_("Staff member"), Level.STORE: N_("Store"), Level.REGION: N_("Region"), Level.NATION: N_("Nation")}
UNKEYED = {
    Level.STAFF: N_("No staff member"),
    Level.STORE: N_("No store"),
    Level.REGION: N_("No region"),
    Level.NATION: N_("Whole brand"),
}
NAME_HELP = {
    Level.STAFF: N_("The staff member credited: the one the customer added, or the one an order credits."),
    Level.STORE: N_("The store of the staff members counted (none: staff members of no store)."),
    Level.REGION: N_("The region of the stores counted (none: stores in no region, and staff members of no store)."),
    Level.NATION: N_("Every staff member of the brand."),
}
RANK = Column("rank", N_("Rank"), N_("Rank across the nation by attributed GMV, then buyers (1 is the highest; ties share a rank)."))
RANK_IN_REGION = Column("rank_in_region", N_("Rank in region"), N_("Rank by attributed GMV, then buyers, among the rows of the same region."))
RANK_IN_STORE = Column("rank_in_store", N_("Rank in store"), N_("Rank by attributed GMV, then buyers, among the staff members of the same store."))
STORE = Column("store", N_("Store"), N_("The staff member's store."), "text")
REGION = Column("region", N_("Region"), N_("The store's region."), "text")
MEASURES = (
    Column("gmv", N_("Attributed GMV"), N_("Net GMV (paid minus refunded) of the purchases credited to the staff member (the order's guide) in the period."), "money"),
    Column("adds", N_("Adds"), N_("Live customers who added the staff member on a day of the period (a store, region or the nation counts each customer once).")),
    Column("deletions", N_("Deletions"), N_("Live customers whose relation was deleted by either side on a day of the period; transfers are not deletions.")),
    Column("customers_served", N_("Customers served"), N_("Live customers with a relation alive at some time in the period: added by its end, not ended before its start.")),
    Column("buyers", N_("Buyers"), N_("Distinct live customers with a purchase (an order not fully refunded) credited to the staff member on a day of the period.")),
    Column("repurchasers", N_("Repurchasers"), N_("Buyers with two or more such purchases in the period.")),
    Column("repurchase_rate", N_("Repurchase rate"), N_("Repurchasers / buyers (empty with no buyers)."), "rate"),
)


def staff_table(language: Language, level: Level, rows: tuple[StaffPerformance, ...], stores: Mapping[int, str],
                regions: Mapping[int, str]) -> Table:
    name = Column("name", NAME_LABELS[level], NAME_HELP[level], "text")
    where: tuple[Column, ...] = {Level.STAFF: (RANK_IN_REGION, RANK_IN_STORE, name, STORE, REGION),
                                 Level.STORE: (RANK_IN_REGION, name, REGION), Level.REGION: (name,), Level.NATION: (name,)}[level]
    columns = (RANK, *where, *MEASURES)

    def cells(r: StaffPerformance) -> tuple[Any, ...]:
        label = r.name or language.gettext(UNKEYED[level])
        store = stores.get(r.store_id, "") if r.store_id is not None else ""
        region = regions.get(r.region_id, "") if r.region_id is not None else ""
        place = {Level.STAFF: (r.rank_in_region, r.rank_in_store, label, store, region),
                 Level.STORE: (r.rank_in_region, label, region), Level.REGION: (label,), Level.NATION: (label,)}[level]
        return (r.rank, *place, r.gmv, r.adds, r.deletions, r.customers_served, r.buyers, r.repurchasers, r.repurchase_rate)

    return Table(f"staff-{level.value}", columns, tuple(cells(r) for r in rows))


def _top(table: Table, count: int = 20) -> Table:
    return Table(table.name, table.columns, table.rows[:count])


def gmv_chart(language: Language, table: Table) -> dict[str, Any]:
    """Attributed GMV of the twenty best-ranked rows, with their repurchase rate."""
    return bar_chart(language, _top(table), "name", ("gmv",), line="repurchase_rate")


def people_chart(language: Language, table: Table) -> dict[str, Any]:
    """Adds, deletions and customers served of the twenty best-ranked rows."""
    return bar_chart(language, _top(table), "name", ("adds", "deletions", "customers_served"))
