from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import customer_identities
from siyu.domain.customers import Identity
from siyu.domain.identities import IdentityKey, IdentityKind


def _identity(row: Any) -> Identity:
    return Identity(
        id=row.id,
        customer_id=row.customer_id,
        kind=IdentityKind(row.kind),
        value=row.value,
        source=row.source,
        created_at=row.created_at,
    )


_i = customer_identities.c
# One statement for every call (an expanding IN): building ``value.in_(list)`` anew coerces
# each of the 500 values into a bound parameter, a quarter of a batch's key lookup.
_OWNERS = select(_i.value, _i.customer_id).where(
    _i.tenant_id == bindparam("tenant_id"), _i.kind == bindparam("kind"), _i.value.in_(bindparam("values", expanding=True))
)


class IdentityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def owners(self, tenant_id: int, keys: list[IdentityKey]) -> dict[IdentityKey, int]:
        """Which customer holds each key that is already known.

        One ``kind = ? AND value IN (...)`` query per kind: SQLite answers a row-value
        ``(kind, value) IN (...)`` with a full scan, this with the unique index.
        """
        by_kind: dict[IdentityKind, list[str]] = {}
        for key in keys:
            by_kind.setdefault(key.kind, []).append(key.value)
        found: dict[IdentityKey, int] = {}
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        if postgresql and by_kind:
            # PostgreSQL may answer ``value IN (...)`` of a phone, email, member number or POS id
            # through the search box's pg_trgm GIN index (it serves "=" too), costed far below the
            # unique B-tree while the table is young: 0.3-4 s a call for 500 phones, against under
            # a millisecond (a 20,000-row import: 107.8 of its 112.9 s). GIN is read only through
            # bitmap scans, so the lookups go without them.
            self.session.execute(text("SET LOCAL enable_bitmapscan = off"))
        for kind, values in by_kind.items():
            for start in range(0, len(values), 500):
                rows = self.session.execute(_OWNERS, {"tenant_id": tenant_id, "kind": kind.value, "values": values[start : start + 500]})
                found.update({IdentityKey(kind, value): customer_id for value, customer_id in rows})
        if postgresql and by_kind:
            self.session.execute(text("RESET enable_bitmapscan"))
        return found

    def add(self, tenant_id: int, customer_id: int, keys: list[IdentityKey], *, source: str, now: datetime) -> None:
        if keys:
            self.session.execute(
                insert(customer_identities),
                [
                    {"tenant_id": tenant_id, "customer_id": customer_id, "kind": k.kind.value, "value": k.value,
                     "source": source, "created_at": now}
                    for k in keys
                ],
            )

    def for_customer(self, tenant_id: int, customer_id: int) -> list[Identity]:
        i = customer_identities.c
        rows = self.session.execute(
            select(customer_identities).where(i.tenant_id == tenant_id, i.customer_id == customer_id).order_by(i.kind, i.id)
        ).all()
        return [_identity(r) for r in rows]

    def for_customers(self, tenant_id: int, customer_ids: list[int]) -> dict[int, list[Identity]]:
        i = customer_identities.c
        out: dict[int, list[Identity]] = {cid: [] for cid in customer_ids}
        if customer_ids:
            rows = self.session.execute(
                select(customer_identities).where(i.tenant_id == tenant_id, i.customer_id.in_(customer_ids)).order_by(i.kind, i.id)
            ).all()
            for r in rows:
                out[r.customer_id].append(_identity(r))
        return out

    def move(self, tenant_id: int, ids: list[int], to_customer: int) -> None:
        if ids:
            i = customer_identities.c
            self.session.execute(
                update(customer_identities).where(i.tenant_id == tenant_id, i.id.in_(ids)).values(customer_id=to_customer)
            )
