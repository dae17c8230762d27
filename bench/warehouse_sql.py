"""The bench's baseline: the warehouse questions written by hand in DuckDB SQL, exactly as the
query classes in siyu.analytics define them (same columns, same rows)."""

from __future__ import annotations

from datetime import date, timedelta

LINKS = "links AS (SELECT customer_id, live_customer_id FROM customer_links WHERE tenant_id = {t})"
PURCHASES = """purchases AS (
  SELECT coalesce(l.live_customer_id, o.customer_id) AS cid, o.order_id, o.ordered_at, o.channel_id,
         CAST(o.ordered_at + INTERVAL 8 HOUR AS DATE) AS day, o.amount - o.refunded_amount AS net
  FROM orders o LEFT JOIN links l ON o.customer_id = l.customer_id
  WHERE o.tenant_id = {t} AND o.amount > o.refunded_amount)"""
RELATIONS = """rel AS (
  SELECT coalesce(l.live_customer_id, r.customer_id) AS cid, r.relation_id, r.added_at, r.ended_at, r.channel_state,
         CAST(r.added_at + INTERVAL 8 HOUR AS DATE) AS add_day, r.state IN ('deleted_by_customer', 'deleted_by_staff') AS deleted
  FROM relations r LEFT JOIN links l ON r.customer_id = l.customer_id WHERE r.tenant_id = {t})"""


def rfm(tenant_id: int, as_of: date) -> str:
    return f"""
WITH {LINKS}, {PURCHASES},
per AS (SELECT cid, max(day) AS last_day, count(DISTINCT order_id) AS freq, sum(net) AS monetary
        FROM purchases WHERE cid IS NOT NULL AND day <= DATE '{as_of}' GROUP BY cid),
s AS (SELECT *, DATE '{as_of}' - last_day AS recency, count(*) OVER () AS n FROM per),
scored AS (
  SELECT cid AS customer_id, last_day AS last_purchase_day, freq AS frequency, monetary, recency AS recency_days,
         1 + (5 * (rank() OVER (ORDER BY recency DESC) - 1)) // n AS r,
         1 + (5 * (row_number() OVER (ORDER BY freq, recency DESC, monetary, cid) - 1)) // n AS f,
         1 + (5 * (rank() OVER (ORDER BY monetary) - 1)) // n AS m
  FROM s)
SELECT *, CASE
  WHEN r <= 2 THEN CASE WHEN f <= 2 THEN 'hibernating' WHEN f <= 4 THEN 'at_risk' ELSE 'cant_lose' END
  WHEN r = 3 THEN CASE WHEN f <= 2 THEN 'about_to_sleep' WHEN f = 3 THEN 'need_attention' ELSE 'loyal' END
  WHEN r = 4 THEN CASE WHEN f = 1 THEN 'promising' WHEN f <= 3 THEN 'potential_loyalists' ELSE 'loyal' END
  ELSE CASE WHEN f = 1 THEN 'new' WHEN f <= 3 THEN 'potential_loyalists' ELSE 'champions' END END AS segment
FROM scored ORDER BY customer_id""".format(t=tenant_id)


def _index(day: date) -> int:
    return day.year * 12 + day.month - 1


def cohorts(tenant_id: int, since: date, until: date, months: int, as_of: date) -> str:
    over = _index(as_of) if (as_of + timedelta(days=1)).day == 1 else _index(as_of) - 1
    return f"""
WITH {LINKS}, {RELATIONS}, {PURCHASES},
first AS (SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY cid ORDER BY added_at, relation_id) AS pos FROM rel) WHERE pos = 1),
members AS (
  SELECT f.cid, f.added_at AS first_at, year(f.add_day) * 12 + month(f.add_day) - 1 AS cohort, c.channel_id, c.name AS channel_name
  FROM first f LEFT JOIN (SELECT channel_id, name, state FROM channels WHERE tenant_id = {{t}}) c ON f.channel_state = c.state
  WHERE year(f.add_day) * 12 + month(f.add_day) - 1 BETWEEN {_index(since)} AND {_index(until)}),
grid AS (SELECT m.*, o.k FROM members m CROSS JOIN range(0, {months + 1}) AS o(k) WHERE m.cohort + o.k <= {over}),
spans AS (
  SELECT cid, year(add_day) * 12 + month(add_day) - 1 AS am,
         CASE WHEN ended_at IS NULL THEN 1000000
              ELSE year(CAST(ended_at + INTERVAL 8 HOUR AS DATE)) * 12 + month(CAST(ended_at + INTERVAL 8 HOUR AS DATE)) - 1 END AS em
  FROM rel),
friends AS (SELECT DISTINCT g.cid, g.k FROM grid g JOIN spans s ON g.cid = s.cid WHERE s.am <= g.cohort + g.k AND s.em > g.cohort + g.k),
bought AS (SELECT p.* FROM purchases p JOIN members m ON p.cid = m.cid WHERE p.ordered_at >= m.first_at),
second AS (
  SELECT cid, year(day) * 12 + month(day) - 1 AS rm
  FROM (SELECT *, row_number() OVER (PARTITION BY cid ORDER BY ordered_at, order_id) AS n FROM bought) WHERE n = 2)
SELECT g.cohort, g.channel_id, any_value(g.channel_name) AS channel_name, g.k, count(*) AS size, count(f.cid) AS still_friends,
       count(*) FILTER (WHERE s.rm <= g.cohort + g.k) AS repurchasers
FROM grid g LEFT JOIN friends f ON f.cid = g.cid AND f.k = g.k LEFT JOIN second s ON s.cid = g.cid
GROUP BY g.cohort, g.channel_id, g.k ORDER BY g.cohort, g.channel_id, g.k""".format(t=tenant_id)


def channels(tenant_id: int, start: date, end: date, as_of: date) -> str:
    now = f"TIMESTAMP '{as_of + timedelta(days=1)} 00:00:00' - INTERVAL 8 HOUR"
    seven, thirty = "added_at + INTERVAL 7 DAY", "added_at + INTERVAL 30 DAY"
    return f"""
WITH {LINKS}, {RELATIONS}, {PURCHASES},
ch AS (SELECT channel_id, name, group_name, state FROM channels WHERE tenant_id = {{t}}),
adds AS (
  SELECT * FROM (
    SELECT r.*, c.channel_id, row_number() OVER (PARTITION BY c.channel_id, r.cid ORDER BY r.added_at, r.relation_id) AS pos
    FROM rel r JOIN ch c ON r.channel_state = c.state WHERE r.add_day BETWEEN DATE '{start}' AND DATE '{end}') WHERE pos = 1),
a AS (
  SELECT channel_id, count(*) AS adds,
         count(*) FILTER (WHERE {seven} <= {now}) AS matured_7d,
         count(*) FILTER (WHERE {seven} <= {now} AND NOT coalesce(deleted AND ended_at < {seven}, false)) AS still_friends_7d,
         count(*) FILTER (WHERE {thirty} <= {now}) AS matured_30d,
         count(*) FILTER (WHERE {thirty} <= {now} AND NOT coalesce(deleted AND ended_at < {thirty}, false)) AS still_friends_30d,
         count(*) FILTER (WHERE deleted AND ended_at < {now}) AS deleted
  FROM adds GROUP BY channel_id),
o AS (SELECT channel_id, count(DISTINCT cid) AS buyers, sum(net) AS gmv FROM purchases
      WHERE channel_id IS NOT NULL AND day BETWEEN DATE '{start}' AND DATE '{end}' GROUP BY channel_id),
k AS (SELECT channel_id,
             sum(CAST(amount AS DOUBLE) * (least(period_end, DATE '{end}') - greatest(period_start, DATE '{start}') + 1)
                 / (period_end - period_start + 1)) AS cost
      FROM channel_costs WHERE tenant_id = {{t}} AND period_start <= DATE '{end}' AND period_end >= DATE '{start}' GROUP BY channel_id)
SELECT ch.channel_id, ch.name, ch.group_name, coalesce(a.adds, 0) AS adds, coalesce(a.matured_7d, 0) AS matured_7d,
       coalesce(a.still_friends_7d, 0) AS still_friends_7d, coalesce(a.matured_30d, 0) AS matured_30d,
       coalesce(a.still_friends_30d, 0) AS still_friends_30d, coalesce(a.deleted, 0) AS deleted,
       coalesce(o.buyers, 0) AS buyers, o.gmv, k.cost
FROM ch LEFT JOIN a USING (channel_id) LEFT JOIN o USING (channel_id) LEFT JOIN k USING (channel_id)
ORDER BY ch.channel_id""".format(t=tenant_id)


EVENTS = """ev AS (
  SELECT coalesce(l.live_customer_id, e.customer_id) AS cid, e.name, e.occurred_at
  FROM events e LEFT JOIN links l ON e.customer_id = l.customer_id WHERE e.tenant_id = {t} AND e.customer_id IS NOT NULL)"""
STAFF_RELATIONS = """srel AS (
  SELECT coalesce(l.live_customer_id, r.customer_id) AS cid, r.relation_id, r.staff_id, r.added_at, r.ended_at,
         r.state IN ('deleted_by_customer', 'deleted_by_staff') AS deleted
  FROM relations r LEFT JOIN links l ON r.customer_id = l.customer_id WHERE r.tenant_id = {t})"""
STAFF_PURCHASES = """spurchases AS (
  SELECT coalesce(l.live_customer_id, o.customer_id) AS cid, o.order_id, o.staff_id, o.ordered_at,
         CAST(o.ordered_at + INTERVAL 8 HOUR AS DATE) AS day, o.amount - o.refunded_amount AS net
  FROM orders o LEFT JOIN links l ON o.customer_id = l.customer_id
  WHERE o.tenant_id = {t} AND o.amount > o.refunded_amount AND o.customer_id IS NOT NULL)"""


def _names(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def funnel_by_store(tenant_id: int, start: date, end: date, window_days: int, aware: tuple[str, ...], interest: tuple[str, ...]) -> str:
    w = f"INTERVAL {window_days} DAY"
    return f"""
WITH {LINKS}, {EVENTS}, {STAFF_RELATIONS}, {STAFF_PURCHASES},
aware AS (SELECT cid, min(occurred_at) AS a_at FROM ev WHERE name IN ({_names(aware)})
          AND CAST(occurred_at + INTERVAL 8 HOUR AS DATE) BETWEEN DATE '{start}' AND DATE '{end}' GROUP BY cid),
acts AS (SELECT cid, occurred_at AS at FROM ev WHERE name IN ({_names(interest)}) UNION ALL SELECT cid, added_at FROM srel),
interest AS (SELECT a.cid, min(x.at) AS i_at FROM aware a JOIN acts x ON x.cid = a.cid AND x.at >= a.a_at AND x.at <= a.a_at + {w}
             GROUP BY a.cid),
steps AS (SELECT a.cid, a.a_at, i.i_at FROM aware a LEFT JOIN interest i ON i.cid = a.cid),
bought AS (SELECT s.cid, count(DISTINCT p.order_id) AS n FROM steps s
           JOIN spurchases p ON p.cid = s.cid AND p.ordered_at >= s.i_at AND p.ordered_at <= s.a_at + {w} GROUP BY s.cid),
first_rel AS (SELECT cid, staff_id FROM (
  SELECT cid, staff_id, row_number() OVER (PARTITION BY cid ORDER BY added_at, relation_id) AS pos FROM srel) WHERE pos = 1),
attr AS (SELECT f.cid, so.store_id AS key_id, so.name AS key_name FROM first_rel f
         LEFT JOIN staff st ON st.tenant_id = {{t}} AND st.staff_id = f.staff_id
         LEFT JOIN stores so ON so.tenant_id = {{t}} AND so.store_id = st.store_id)
SELECT a.key_id, a.key_name, count(*) AS awareness, sum(CASE WHEN s.i_at IS NOT NULL THEN 1 ELSE 0 END) AS interest,
       sum(CASE WHEN coalesce(b.n, 0) >= 1 THEN 1 ELSE 0 END) AS purchase, sum(CASE WHEN coalesce(b.n, 0) >= 2 THEN 1 ELSE 0 END) AS loyalty
FROM steps s LEFT JOIN bought b ON b.cid = s.cid LEFT JOIN attr a ON a.cid = s.cid
GROUP BY a.key_id, a.key_name ORDER BY awareness DESC, a.key_id""".format(t=tenant_id)


def staff(tenant_id: int, start: date, end: date) -> str:
    opens = f"TIMESTAMP '{start}' - INTERVAL 8 HOUR"
    closes = f"TIMESTAMP '{end + timedelta(days=1)}' - INTERVAL 8 HOUR"
    return f"""
WITH {LINKS}, {STAFF_RELATIONS}, {STAFF_PURCHASES},
facts AS (
  SELECT staff_id, cid,
         CASE WHEN CAST(added_at + INTERVAL 8 HOUR AS DATE) BETWEEN DATE '{start}' AND DATE '{end}' THEN 1 ELSE 0 END AS is_add,
         CASE WHEN deleted AND CAST(ended_at + INTERVAL 8 HOUR AS DATE) BETWEEN DATE '{start}' AND DATE '{end}' THEN 1 ELSE 0 END AS is_del,
         CASE WHEN added_at < {closes} AND (ended_at IS NULL OR ended_at >= {opens}) THEN 1 ELSE 0 END AS is_served,
         NULL::BIGINT AS order_id, NULL::DECIMAL(12, 2) AS net
  FROM srel
  UNION ALL
  SELECT staff_id, cid, 0, 0, 0, order_id, net FROM spurchases
  WHERE staff_id IS NOT NULL AND day BETWEEN DATE '{start}' AND DATE '{end}'),
per AS (
  SELECT f.staff_id AS key_id, st.name, st.store_id, so.region_id, f.cid, max(is_add) AS is_add, max(is_del) AS is_del,
         max(is_served) AS is_served, count(DISTINCT order_id) AS n, sum(net) AS gmv
  FROM facts f LEFT JOIN staff st ON st.tenant_id = {{t}} AND st.staff_id = f.staff_id
  LEFT JOIN stores so ON so.tenant_id = {{t}} AND so.store_id = st.store_id
  GROUP BY 1, 2, 3, 4, 5),
agg AS (
  SELECT key_id, name, store_id, region_id, sum(is_add) AS adds, sum(is_del) AS deletions, sum(is_served) AS customers_served,
         sum(CASE WHEN n >= 1 THEN 1 ELSE 0 END) AS buyers, sum(CASE WHEN n >= 2 THEN 1 ELSE 0 END) AS repurchasers,
         coalesce(sum(gmv), 0) AS gmv
  FROM per GROUP BY 1, 2, 3, 4)
SELECT *, rank() OVER (ORDER BY gmv DESC, buyers DESC) AS rank,
       rank() OVER (PARTITION BY region_id ORDER BY gmv DESC, buyers DESC) AS rank_in_region,
       rank() OVER (PARTITION BY store_id ORDER BY gmv DESC, buyers DESC) AS rank_in_store
FROM agg ORDER BY rank, key_id""".format(t=tenant_id)


def ltv_summary(tenant_id: int, as_of: date) -> str:
    return f"""
WITH {LINKS}, {STAFF_PURCHASES},
days AS (SELECT cid, day, sum(net) AS net FROM spurchases WHERE day <= DATE '{as_of}' GROUP BY cid, day),
ranked AS (SELECT *, row_number() OVER (PARTITION BY cid ORDER BY day) AS pos FROM days),
per AS (SELECT cid, count(*) AS n, min(day) AS first_day, max(day) AS last_day, sum(net) AS total,
               sum(CASE WHEN pos = 1 THEN net ELSE 0 END) AS first_total FROM ranked GROUP BY cid)
SELECT cid AS customer_id, n - 1 AS frequency, last_day - first_day AS recency, DATE '{as_of}' - first_day AS age,
       total - first_total AS repeat_total
FROM per ORDER BY customer_id""".format(t=tenant_id)
