"""Possible duplicates: live customers that share only weak evidence.

- the same name, followed by staff of the same store;
- phone numbers one digit apart (a typo on one side): for each of the 11 positions, phones
  sorted by the number with that digit blanked out, so neighbours that agree are candidates.
  That is 11 sorted scans instead of a quadratic comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session, aliased

from siyu.adapters.db.tables import customer_identities, customers, staff, staff_relations
from siyu.domain.identities import IdentityKind

PHONE_LENGTH = 11


@dataclass(slots=True)
class DuplicatePair:
    first_id: int
    second_id: int
    reasons: list[str] = field(default_factory=list)


class DuplicateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, tenant_id: int, *, limit: int) -> list[DuplicatePair]:
        pairs: dict[tuple[int, int], DuplicatePair] = {}

        def note(a: int, b: int, reason: str) -> None:
            key = (min(a, b), max(a, b))
            pairs.setdefault(key, DuplicatePair(*key)).reasons.append(reason)

        for a, b, store in self._same_name_same_store(tenant_id, limit):
            note(a, b, f"same_name_same_store:{store}")
        for a, b in self._phones_one_digit_apart(tenant_id, limit):
            note(a, b, "similar_phone")
        return sorted(pairs.values(), key=lambda p: (p.first_id, p.second_id))[:limit]

    def _same_name_same_store(self, tenant_id: int, limit: int) -> list[tuple[int, int, int]]:
        c1, c2 = aliased(customers), aliased(customers)
        r1, r2 = aliased(staff_relations), aliased(staff_relations)
        s1, s2 = aliased(staff), aliased(staff)
        query = (
            select(c1.c.id, c2.c.id, s1.c.store_id)
            .join(c2, and_(c2.c.tenant_id == c1.c.tenant_id, c2.c.name == c1.c.name, c2.c.id > c1.c.id))
            .join(r1, and_(r1.c.tenant_id == c1.c.tenant_id, r1.c.customer_id == c1.c.id))
            .join(s1, and_(s1.c.tenant_id == r1.c.tenant_id, s1.c.id == r1.c.staff_id))
            .join(r2, and_(r2.c.tenant_id == c2.c.tenant_id, r2.c.customer_id == c2.c.id))
            .join(s2, and_(s2.c.tenant_id == r2.c.tenant_id, s2.c.id == r2.c.staff_id, s2.c.store_id == s1.c.store_id))
            .where(
                c1.c.tenant_id == tenant_id, c1.c.name != "", c1.c.merged_into_id.is_(None), c2.c.merged_into_id.is_(None),
                s1.c.store_id.is_not(None),
            )
            .distinct()
            .limit(limit)
        )
        return [(a, b, store) for a, b, store in self.session.execute(query).all()]

    def _phones_one_digit_apart(self, tenant_id: int, limit: int) -> list[tuple[int, int]]:
        i = customer_identities.c
        live = select(customers.c.id).where(customers.c.tenant_id == tenant_id, customers.c.merged_into_id.is_(None))
        found: list[tuple[int, int]] = []
        for position in range(1, PHONE_LENGTH + 1):
            masked = func.substr(i.value, 1, position - 1) + literal("_") + func.substr(i.value, position + 1)
            rows = self.session.execute(
                select(masked.label("masked"), i.customer_id, i.value)
                .where(i.tenant_id == tenant_id, i.kind == IdentityKind.PHONE.value, i.customer_id.in_(live))
                .order_by("masked", i.customer_id)
            )
            previous: tuple[str, int, str] | None = None
            for key, customer_id, value in rows:
                if previous and previous[0] == key and previous[1] != customer_id and previous[2] != value:
                    found.append((previous[1], customer_id))
                    if len(found) >= limit:
                        return found
                previous = (key, customer_id, value)
        return found
