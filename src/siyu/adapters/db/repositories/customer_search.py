"""The customer search box: which customers a text finds, through the search index.

What it finds (docs/customers.md "Search", and the console's hint under the box), ignoring
case, after trimming:

- **3 characters or more**: the text anywhere inside the customer's name, any staff remark on
  them, or one of the identities a person reads and types (``PART_KINDS``: phone, email,
  member number, POS id). So the last 4 digits of a phone (``5678``), a full name (郝娜静),
  part of a nickname or remark, part of a member number.
- **1 or 2 characters**: names and remarks that *start* with it (a surname: 王; a 2-character
  name). Anywhere-inside would need an index over every 1- and 2-character fragment of every
  name; starting-with is what the B-tree (SQLite) and pg_trgm's word-start trigrams
  (PostgreSQL) answer at once.
- **Any length**: an identity of any kind *equal* to it (a pasted unionid, openid or
  external_userid, which nobody types in part).
- Phones by part only for those allowed to see phone numbers (``phone_parts``): for the others
  (who see 138****5678) a phone is found by its whole number, so fragments cannot spell out
  the masked digits one query at a time.
- A mainland mobile in any spelling (``+86 138-1234-5678``) is also looked for in its stored
  form (``13812345678``).

Where the index lives (migration 0009): on SQLite FTS5 tables with the trigram tokenizer,
queried with a phrase ``MATCH`` (a run of consecutive trigrams is exactly a substring);
triggers note changed rows and :func:`refresh` (every commit) rewrites their FTS rows; on PostgreSQL pg_trgm GIN indexes on the columns themselves, queried with
``ILIKE``. Both engines fall back to the same questions unindexed when the index is missing.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from sqlalchemy import Select, column, literal_column, select, table, text, union
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import customer_identities, customers, staff_relations
from siyu.domain.errors import InvalidInput
from siyu.domain.identities import IdentityKind
from siyu.domain.phones import normalise_mobile

PART_KINDS = (IdentityKind.PHONE.value, IdentityKind.EMAIL.value, IdentityKind.MEMBER_NO.value, IdentityKind.POS_ID.value)
SHORTEST_PART = 3  # below this, names and remarks match from their start only
_KINDS_SQL = ", ".join(f"'{kind}'" for kind in PART_KINDS)
NAMES, IDENTITIES, REMARKS = 0, 1, 2  # a noted row's source in customer_search_pending
FTS_TABLES = {  # FTS5 table (as migration 0009 made it): (source, source table, column, which rows)
    "customer_search_names": (NAMES, "customers", "name", "1 = 1"),
    "customer_search_identities": (IDENTITIES, "customer_identities", "value", f"kind IN ({_KINDS_SQL})"),
    "customer_search_remarks": (REMARKS, "staff_relations", "remark", "remark IS NOT NULL"),
}
pending = table("customer_search_pending", column("source"), column("id"))
_PAST_ANY_TEXT = "\U0010ffff"  # sorts after every character: [v, v + this) holds the strings starting with v


def needles(q: str) -> list[str]:
    """What a search text is looked for as: itself, and a mobile's stored form."""
    typed = q.strip()
    if not typed:
        return []
    found = [typed]
    try:
        stored = normalise_mobile(typed)
    except InvalidInput:
        stored = typed.lower() if "@" in typed else typed  # emails are stored lowercased
    if stored != typed:
        found.append(stored)
    return found


def matching_customers(session: Session, tenant_id: int, q: str, *, phone_parts: bool = True) -> Any:
    """The ids of the customers (live or merged away: the caller filters) the text finds, as
    one UNION of index-friendly queries."""
    dialect = session.get_bind().dialect.name
    indexed = dialect == "sqlite" and _has_fts(session)
    parts: list[Select[Any]] = []
    for needle in needles(q):
        parts.append(_identity_equal(tenant_id, needle))
        if len(needle) >= SHORTEST_PART:
            kinds = PART_KINDS if phone_parts else tuple(k for k in PART_KINDS if k != IdentityKind.PHONE.value)
            parts.extend(_fts_contains(tenant_id, needle, kinds) if indexed else _contains(tenant_id, needle, dialect, kinds))
        else:
            parts.extend(_starts(tenant_id, needle, dialect))
    return union(*parts)


def _identity_equal(tenant_id: int, needle: str) -> Select[Any]:
    i = customer_identities.c
    return select(i.customer_id).where(i.tenant_id == tenant_id, i.value == needle)


def _fts_contains(tenant_id: int, needle: str, kinds: tuple[str, ...]) -> list[Select[Any]]:
    """Anywhere inside, through the FTS5 tables (migration 0009): one per source table, each
    row's rowid the source row's id. Rows changed since the last :func:`refresh` (noted in
    customer_search_pending by the triggers) are read from their own table instead, so the
    answer is exact before the refresh too."""
    c, i, r = customers.c, customer_identities.c, staff_relations.c
    pattern = "%" + _escape_like(needle) + "%"
    names, identities, remarks = (_indexed(fts, source, needle) for fts, (source, *_) in FTS_TABLES.items())
    return [
        select(c.id).where(c.tenant_id == tenant_id, c.id.in_(names)),
        select(c.id).where(c.tenant_id == tenant_id, c.id.in_(_pending(NAMES)), _like(c.name, pattern, "sqlite")),
        select(r.customer_id).where(r.tenant_id == tenant_id, r.id.in_(remarks)),
        select(r.customer_id).where(r.tenant_id == tenant_id, r.id.in_(_pending(REMARKS)), r.remark.is_not(None), _like(r.remark, pattern, "sqlite")),
        select(i.customer_id).where(i.tenant_id == tenant_id, i.id.in_(identities), i.kind.in_(kinds)),
        select(i.customer_id).where(i.tenant_id == tenant_id, i.id.in_(_pending(IDENTITIES)), i.kind.in_(kinds), _like(i.value, pattern, "sqlite")),
    ]


def _indexed(fts: str, source: int, needle: str) -> Select[Any]:
    """Rowids whose indexed text contains the needle, leaving out rows changed since."""
    phrase = '"' + needle.replace('"', '""') + '"'  # a phrase of trigrams: exactly a substring
    rowid = literal_column(f"{fts}.rowid")
    return select(rowid).select_from(table(fts)).where(literal_column(fts).op("MATCH")(phrase), rowid.not_in(_pending(source)))


def _pending(source: int) -> Select[Any]:
    return select(pending.c.id).where(pending.c.source == source)


def refresh(session: Session) -> None:
    """Bring the FTS rows of every row the triggers noted up to date, in one DELETE and one
    INSERT per FTS table, and forget the notes. :meth:`SqlUnitOfWork.commit` calls it on
    SQLite, so every commit leaves the index whole; a writer that commits some other way can
    call it before committing (it is cheap when nothing is noted). A no-op on PostgreSQL."""
    if session.get_bind().dialect.name != "sqlite" or not _has_fts(session):
        return
    if session.execute(select(pending.c.id).limit(1)).first() is None:
        return
    for fts, (source, source_table, column_name, rows) in FTS_TABLES.items():
        noted = f"SELECT id FROM customer_search_pending WHERE source = {source}"
        session.execute(text(f"DELETE FROM {fts} WHERE rowid IN ({noted})"))
        session.execute(text(f"INSERT INTO {fts} (rowid, body) SELECT id, {column_name} FROM {source_table} "
                             f"WHERE id IN ({noted}) AND {rows} ORDER BY id"))
    session.execute(text("DELETE FROM customer_search_pending"))


def _contains(tenant_id: int, needle: str, dialect: str, kinds: tuple[str, ...]) -> list[Select[Any]]:
    """Anywhere inside, with LIKE: PostgreSQL's pg_trgm indexes answer it; SQLite without FTS5
    reads every row."""
    pattern = "%" + _escape_like(needle) + "%"
    c, i, r = customers.c, customer_identities.c, staff_relations.c
    return [
        select(c.id).where(c.tenant_id == tenant_id, _like(c.name, pattern, dialect)),
        select(r.customer_id).where(r.tenant_id == tenant_id, r.remark.is_not(None), _like(r.remark, pattern, dialect)),
        # kind IN PART_KINDS as well: it is the partial index's condition
        select(i.customer_id).where(i.tenant_id == tenant_id, i.kind.in_(PART_KINDS), i.kind.in_(kinds), _like(i.value, pattern, dialect)),
    ]


def _starts(tenant_id: int, needle: str, dialect: str) -> list[Select[Any]]:
    c, r = customers.c, staff_relations.c
    if dialect != "sqlite":  # pg_trgm indexes the start of every word ("  王"), so ILIKE 'x%' is indexed
        pattern = _escape_like(needle) + "%"
        return [
            select(c.id).where(c.tenant_id == tenant_id, c.name.ilike(pattern, escape="\\")),
            select(r.customer_id).where(r.tenant_id == tenant_id, r.remark.is_not(None), r.remark.ilike(pattern, escape="\\")),
        ]
    # SQLite: a range on the (tenant_id, name) and (tenant_id, remark) B-trees, once per ASCII
    # case spelling (LIKE 'x%' would scan: SQLite's LIKE optimisation needs a NOCASE index)
    found: list[Select[Any]] = []
    for spelling in _case_spellings(needle):
        found.append(select(c.id).where(c.tenant_id == tenant_id, c.name >= spelling, c.name < spelling + _PAST_ANY_TEXT))
        found.append(select(r.customer_id).where(
            r.tenant_id == tenant_id, r.remark.is_not(None), r.remark >= spelling, r.remark < spelling + _PAST_ANY_TEXT
        ))
    return found


def _case_spellings(needle: str) -> list[str]:
    """Every upper/lower spelling of the ASCII letters (SQLite folds ASCII case only)."""
    choices = [sorted({ch.lower(), ch.upper()}) if ch.isascii() and ch.isalpha() else [ch] for ch in needle]
    return ["".join(chosen) for chosen in product(*choices)]


def _like(expression: Any, pattern: str, dialect: str) -> Any:
    # SQLite's LIKE ignores ASCII case already (and its lower() knows only ASCII): plain LIKE is
    # what ILIKE would be there, at half the cost.
    return expression.like(pattern, escape="\\") if dialect == "sqlite" else expression.ilike(pattern, escape="\\")


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_fts(session: Session) -> bool:
    """Migration 0009 made the FTS5 tables (it does not when SQLite lacks the trigram tokenizer)."""
    found = session.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'customer_search_pending'")).first()
    return found is not None
