"""The customer list's query shapes (probe for the page, set for the count, a search's matches
worked out once) select exactly the customers a plain reading of the filter selects."""

from __future__ import annotations

from contextlib import suppress
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from siyu.adapters.db.repositories import customer_search
from siyu.adapters.db.repositories import customers as repository
from siyu.adapters.db.repositories.customers import CustomerFilter
from siyu.adapters.db.tables import customer_identities, customer_tags, customers, staff, staff_relations, stages, tags
from siyu.domain.access import Scope
from siyu.domain.errors import InvalidInput
from siyu.domain.phones import normalise_mobile
from siyu.domain.paging import PageRequest
from siyu.services import merging
from siyu.services.clock import utcnow
from siyu.services.demo import load_demo_brand
from siyu.services.relations import follow_in
from tests import factories as f

TODAY = date(2026, 11, 23)


class Oracle:
    """The brand read into memory; each filter applied the obvious way, in Python."""

    def __init__(self, context, tenant_id: int) -> None:  # type: ignore[no-untyped-def]
        t = tenant_id
        with context.session_factory() as session:
            run = session.execute
            self.live = {r.id: r for r in run(select(customers).where(customers.c.tenant_id == t, customers.c.merged_into_id.is_(None)))}
            self.identities = [(r.customer_id, r.kind, r.value) for r in run(select(customer_identities).where(customer_identities.c.tenant_id == t))]
            self.relations = list(run(select(staff_relations).where(staff_relations.c.tenant_id == t)))
            self.tags = [(r.customer_id, r.tag_id) for r in run(select(customer_tags).where(customer_tags.c.tenant_id == t))]
            self.store_of = dict(run(select(staff.c.id, staff.c.store_id).where(staff.c.tenant_id == t)).all())
            self.stage = dict(run(select(stages.c.name, stages.c.id).where(stages.c.tenant_id == t)).all())
            self.tag = dict(run(select(tags.c.name, tags.c.id).where(tags.c.tenant_id == t)).all())

    def followed_by(self, staff_ids: set[int]) -> set[int]:
        return {r.customer_id for r in self.relations if r.state == "active" and r.staff_id in staff_ids}

    def staff_of(self, store_id: int) -> set[int]:
        return {s for s, store in self.store_of.items() if store == store_id}

    def searched(self, q: str, *, phone_parts: bool) -> set[int]:
        """The search box as documented (customer_search): each spelling of the text, anywhere
        inside (3+ characters) or at the start (1-2) of names and remarks, inside phones (when
        allowed), emails, member numbers, POS ids, and equal to any identity."""
        typed = q.strip()
        spellings = {typed, typed.lower() if "@" in typed else typed}
        with suppress(InvalidInput):
            spellings.add(normalise_mobile(typed))
        parts = {"phone", "email", "member_no", "pos_id"} - (set() if phone_parts else {"phone"})
        found: set[int] = set()
        for text in spellings:
            low = text.lower()
            if len(text) >= 3:
                found |= {i for i, c in self.live.items() if low in c.name.lower()}
                found |= {r.customer_id for r in self.relations if r.remark and low in r.remark.lower()}
                found |= {c for c, kind, value in self.identities if kind in parts and low in value.lower()}
            else:
                found |= {i for i, c in self.live.items() if c.name.lower().startswith(low)}
                found |= {r.customer_id for r in self.relations if r.remark and r.remark.lower().startswith(low)}
            found |= {c for c, _, value in self.identities if value == text}
        return found

    def select(self, scope: Scope, flt: CustomerFilter) -> list[int]:
        found = set(self.live)
        if scope.staff_id is not None:
            found &= self.followed_by({scope.staff_id})
        elif scope.store_id is not None:
            found &= self.followed_by(self.staff_of(scope.store_id))
        if flt.searched:
            found &= self.searched(flt.searched, phone_parts=flt.phone_parts)
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


@pytest.mark.parametrize("shape", ["matches-by-id", "matches-by-id-walked", "matches-by-subquery", "no-search-index", "no-ids-kept"])
def test_every_filter_and_scope_selects_what_a_plain_reading_selects(context, monkeypatch, shape):
    if shape == "no-search-index":  # SQLite without FTS5's trigram tokenizer: the same questions, unindexed
        monkeypatch.setattr(customer_search, "_has_fts", lambda session: False)
    if shape == "matches-by-subquery":
        monkeypatch.setattr(repository, "SEARCH_IDS_MAX", 0)
    if shape == "matches-by-id-walked":  # the page walks live customers newest first (SQLite's hint)
        monkeypatch.setattr(repository, "WALK_ABOVE", 0)
    if shape == "no-ids-kept":  # many tagged customers, many counted: the tag filter and the page as subqueries
        monkeypatch.setattr(repository, "FEW_TAGGED", 0)
        monkeypatch.setattr(repository, "PAGE_FROM_IDS_MAX", 0)
    loaded = load_demo_brand(context.uow, seed=5, customers=400, slug="demo-q", today=TODAY)
    oracle = Oracle(context, loaded.tenant_id)
    t = loaded.tenant_id
    remark = next(r.remark for r in oracle.relations if r.remark)
    phone = next(v for _, kind, v in oracle.identities if kind == "phone")
    latin = next(c.name for c in oracle.live.values() if c.name.isascii() and c.name.isalpha())
    guide = next(r.staff_id for r in oracle.relations if r.state == "active")
    store = oracle.store_of[guide]
    newest = max(c.added_at for c in oracle.live.values())
    member_no = next(v for _, kind, v in oracle.identities if kind == "member_no")
    unionid = next(v for _, kind, v in oracle.identities if kind == "unionid")
    long_name = next(c.name for c in oracle.live.values() if len(c.name) >= 3 and not c.name.isascii())
    filters = [
        CustomerFilter(q=phone[-4:]), CustomerFilter(q=phone[-4:], phone_parts=False), CustomerFilter(q=phone, phone_parts=False),
        CustomerFilter(q=phone[3:8]), CustomerFilter(q=member_no[1:6].lower()), CustomerFilter(q=unionid), CustomerFilter(q=unionid[2:12]),
        CustomerFilter(q=long_name), CustomerFilter(q=long_name[1:]), CustomerFilter(q=long_name[:2]), CustomerFilter(q=remark),
        CustomerFilter(q=latin[:2].swapcase()), CustomerFilter(q=latin[1:4].lower()),
        CustomerFilter(q="%"), CustomerFilter(q="_"), CustomerFilter(q='"王"'), CustomerFilter(q="  "),
        CustomerFilter(),
        CustomerFilter(q=phone), CustomerFilter(q=f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"), CustomerFilter(q=remark[:2]),
        CustomerFilter(q=latin.upper()), CustomerFilter(q="王"), CustomerFilter(q="no-such-text"),
        CustomerFilter(tag_ids=(oracle.tag["拿铁"],)), CustomerFilter(tag_ids=(oracle.tag["拿铁"], oracle.tag["甜点"])),
        CustomerFilter(stage_id=oracle.stage["复购"]), CustomerFilter(staff_id=guide), CustomerFilter(store_id=store),
        CustomerFilter(added_from=newest - timedelta(days=60), added_to=newest),
        CustomerFilter(q="王", tag_ids=(oracle.tag["拿铁"],), store_id=store),
        CustomerFilter(tag_ids=(oracle.tag["拿铁"],), store_id=store), CustomerFilter(tag_ids=(oracle.tag["拿铁"],), stage_id=oracle.stage["复购"]),
        CustomerFilter(store_id=store, stage_id=oracle.stage["复购"]), CustomerFilter(staff_id=guide, tag_ids=(oracle.tag["甜点"],)),
        CustomerFilter(store_id=store, added_from=newest - timedelta(days=90)),
        CustomerFilter(q=long_name[:2], tag_ids=(oracle.tag["拿铁"], oracle.tag["甜点"]), stage_id=oracle.stage["复购"]),
    ]
    scopes = [Scope(t), Scope(t, store_id=store), Scope(t, store_id=store, staff_id=guide)]
    with context.uow() as uow:
        for scope in scopes:
            for flt in filters:
                expected = oracle.select(scope, flt)
                for request, cap in ((PageRequest(page=1, page_size=50), None), (PageRequest(page=2, page_size=7), None),
                                     (PageRequest(page=1, page_size=50), 10_000), (PageRequest(page=1, page_size=5), 3)):
                    page = uow.customers.list(scope, flt, request, count_up_to=cap)  # a capped count walks relations (PostgreSQL)
                    assert page.total == (len(expected) if cap is None else min(len(expected), cap)), (scope, flt, cap)
                    assert [c.id for c in page.items] == expected[request.offset : request.offset + request.page_size], (scope, flt)
                streamed = [c.id for batch in uow.customers.stream(scope, flt, batch=97) for c in batch]
                assert streamed == sorted(expected), (scope, flt)


def test_a_capped_total_still_pages_through_every_match(context):
    loaded = load_demo_brand(context.uow, seed=5, customers=120, slug="demo-cap", today=TODAY)
    oracle = Oracle(context, loaded.tenant_id)
    flt = CustomerFilter(tag_ids=(oracle.tag["拿铁"],))
    expected = oracle.select(Scope(loaded.tenant_id), flt)
    assert len(expected) > 7, "the brand must have more matches than the cap"
    seen: list[int] = []
    with context.uow() as uow:
        for number in range(1, 100):
            page = uow.customers.list(Scope(loaded.tenant_id), flt, PageRequest(page=number, page_size=3), count_up_to=7)
            assert (page.total, page.total_capped) == (7, True)
            assert page.pages >= number
            seen += [c.id for c in page.items]
            assert page.has_next == (len(seen) < len(expected))
            if not page.has_next:
                break
        exact = uow.customers.list(Scope(loaded.tenant_id), flt, PageRequest(page_size=3), count_up_to=len(expected))
    assert seen == expected
    assert (exact.total, exact.total_capped) == (len(expected), False)


def test_a_capped_count_of_a_store_counts_a_customer_two_of_its_staff_follow_once(context):
    _, admin = f.tenant(context)
    store = f.store(context, admin)
    first, second = (f.member(context, admin, store_id=store.id) for _ in range(2))
    both, one, survivor, merged_away = (c.id for c in f.customers_of(context, admin, 4))  # the survivor: known longer
    now = utcnow()
    with context.uow() as uow:
        for customer_id, members in ((both, (first, second)), (one, (second,)), (survivor, (first,)), (merged_away, (first, second))):
            for member in members:
                follow_in(uow, admin.tenant_id, customer_id, member.id, at=now, actor="test")
        uow.commit()
    merging.merge_customers(context.uow(), admin, survivor, merged_away)  # its relation with `first` stays behind, active
    t = admin.tenant_id
    with context.uow() as uow:
        for scope, flt, expected in ((Scope(t), CustomerFilter(store_id=store.id), {both, one, survivor}),
                                     (Scope(t, store_id=store.id), CustomerFilter(), {both, one, survivor}),
                                     (Scope(t, store_id=store.id, staff_id=first.id), CustomerFilter(), {both, survivor}),
                                     (Scope(t), CustomerFilter(staff_id=second.id, store_id=store.id), {both, one, survivor})):
            page = uow.customers.list(scope, flt, PageRequest(), count_up_to=10)
            assert (page.total, {c.id for c in page.items}) == (len(expected), expected), (scope, flt)
