"""The customer list's query shapes (probe for the page, set for the count, a search's matches
worked out once) select exactly the customers a plain reading of the filter selects."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from siyu.adapters.db.repositories import customers as repository
from siyu.adapters.db.repositories.customers import CustomerFilter
from siyu.adapters.db.tables import customer_identities, customer_tags, customers, staff, staff_relations, stages, tags
from siyu.domain.access import Scope
from siyu.domain.paging import PageRequest
from siyu.services.demo import load_demo_brand

TODAY = date(2026, 11, 23)


class Oracle:
    """The brand read into memory; each filter applied the obvious way, in Python."""

    def __init__(self, context, tenant_id: int) -> None:  # type: ignore[no-untyped-def]
        t = tenant_id
        with context.session_factory() as session:
            run = session.execute
            self.live = {r.id: r for r in run(select(customers).where(customers.c.tenant_id == t, customers.c.merged_into_id.is_(None)))}
            self.identities = [(r.customer_id, r.value) for r in run(select(customer_identities).where(customer_identities.c.tenant_id == t))]
            self.relations = list(run(select(staff_relations).where(staff_relations.c.tenant_id == t)))
            self.tags = [(r.customer_id, r.tag_id) for r in run(select(customer_tags).where(customer_tags.c.tenant_id == t))]
            self.store_of = dict(run(select(staff.c.id, staff.c.store_id).where(staff.c.tenant_id == t)).all())
            self.stage = dict(run(select(stages.c.name, stages.c.id).where(stages.c.tenant_id == t)).all())
            self.tag = dict(run(select(tags.c.name, tags.c.id).where(tags.c.tenant_id == t)).all())

    def followed_by(self, staff_ids: set[int]) -> set[int]:
        return {r.customer_id for r in self.relations if r.state == "active" and r.staff_id in staff_ids}

    def staff_of(self, store_id: int) -> set[int]:
        return {s for s, store in self.store_of.items() if store == store_id}

    def select(self, scope: Scope, flt: CustomerFilter) -> list[int]:
        found = set(self.live)
        if scope.staff_id is not None:
            found &= self.followed_by({scope.staff_id})
        elif scope.store_id is not None:
            found &= self.followed_by(self.staff_of(scope.store_id))
        if flt.q:
            text = flt.q.strip()
            needle = repository._identity_needle(text)
            found &= (
                {i for i, c in self.live.items() if text.lower() in c.name.lower()}
                | {c for c, value in self.identities if value == needle}
                | {r.customer_id for r in self.relations if r.remark and text.lower() in r.remark.lower()}
            )
        if flt.tag_ids:
            found &= {c for c, tag in self.tags if tag in flt.tag_ids}
        if flt.stage_id is not None:
            found &= {i for i, c in self.live.items() if c.stage_id == flt.stage_id}
        if flt.staff_id is not None:
            found &= self.followed_by({flt.staff_id})
        if flt.store_id is not None:
            found &= self.followed_by(self.staff_of(flt.store_id))
        if flt.added_from is not None:
            found &= {i for i, c in self.live.items() if c.added_at >= flt.added_from}
        if flt.added_to is not None:
            found &= {i for i, c in self.live.items() if c.added_at < flt.added_to}
        return sorted(found, key=lambda i: (self.live[i].added_at, i), reverse=True)


@pytest.mark.parametrize("fallback", [False, True], ids=["matches-by-id", "matches-by-subquery"])
def test_every_filter_and_scope_selects_what_a_plain_reading_selects(context, monkeypatch, fallback):
    if fallback:
        monkeypatch.setattr(repository, "SEARCH_IDS_MAX", 0)
    loaded = load_demo_brand(context.uow, seed=5, customers=400, slug="demo-q", today=TODAY)
    oracle = Oracle(context, loaded.tenant_id)
    t = loaded.tenant_id
    remark = next(r.remark for r in oracle.relations if r.remark)
    phone = next(v for _, v in oracle.identities if v.isdigit())
    latin = next(c.name for c in oracle.live.values() if c.name.isascii() and c.name.isalpha())
    guide = next(r.staff_id for r in oracle.relations if r.state == "active")
    store = oracle.store_of[guide]
    newest = max(c.added_at for c in oracle.live.values())
    filters = [
        CustomerFilter(),
        CustomerFilter(q=phone), CustomerFilter(q=f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"), CustomerFilter(q=remark[:2]),
        CustomerFilter(q=latin.upper()), CustomerFilter(q="王"), CustomerFilter(q="no-such-text"),
        CustomerFilter(tag_ids=(oracle.tag["拿铁"],)), CustomerFilter(tag_ids=(oracle.tag["拿铁"], oracle.tag["甜点"])),
        CustomerFilter(stage_id=oracle.stage["复购"]), CustomerFilter(staff_id=guide), CustomerFilter(store_id=store),
        CustomerFilter(added_from=newest - timedelta(days=60), added_to=newest),
        CustomerFilter(q="王", tag_ids=(oracle.tag["拿铁"],), store_id=store),
    ]
    scopes = [Scope(t), Scope(t, store_id=store), Scope(t, store_id=store, staff_id=guide)]
    with context.uow() as uow:
        for scope in scopes:
            for flt in filters:
                expected = oracle.select(scope, flt)
                for request in (PageRequest(page=1, page_size=50), PageRequest(page=2, page_size=7)):
                    page = uow.customers.list(scope, flt, request)
                    assert page.total == len(expected), (scope, flt)
                    assert [c.id for c in page.items] == expected[request.offset : request.offset + request.page_size], (scope, flt)
                streamed = [c.id for batch in uow.customers.stream(scope, flt, batch=97) for c in batch]
                assert streamed == sorted(expected), (scope, flt)
