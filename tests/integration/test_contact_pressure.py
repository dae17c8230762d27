"""Contact pressure in the operational store (SQLite and PostgreSQL): screen_in, record_in, rules, opt-outs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from siyu.adapters.db.tables import customer_messages
from siyu.bootstrap import Context
from siyu.domain.access import Role
from siyu.domain.contact_pressure import ContactRules, ExclusionReason, OptOutSource, WeComCap
from siyu.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from siyu.domain.paging import PageRequest
from siyu.domain.timeline import EventKind
from siyu.services import contact_pressure as cp
from siyu.services import customers as customers_service
from siyu.services import merging
from siyu.services.clock import utcnow
from tests import factories

R = ExclusionReason


def sh(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


NOON = sh(2026, 12, 2, 12)


def _record(context: Context, tenant_id: int, customer_ids: list[int], *, at: datetime, source_id: int, kind: str = "mass_send",
            wecom_mass: bool = True, staff_id: int | None = None) -> int:
    with context.uow() as uow:
        added = cp.record_in(uow, tenant_id, [(c, staff_id) for c in customer_ids], source_kind=kind, source_id=source_id,
                             sent_at=at, wecom_mass=wecom_mass)
        uow.commit()
    return added


def _screen(context: Context, tenant_id: int, customer_ids: list[int], *, at: datetime = NOON, wecom_mass: bool = True) -> cp.Screening:
    with context.uow() as uow:
        return cp.screen_in(uow, tenant_id, customer_ids, at=at, wecom_mass=wecom_mass)


def test_screen_in_gives_each_customer_its_reason_and_keeps_the_order(context: Context) -> None:
    _, admin = factories.tenant(context)
    t = admin.tenant_id
    ids = [c.id for c in factories.customers_of(context, admin, 6)]
    free, opted, day, week, month, yesterday = ids
    cp.update_rules(context.uow(), admin, ContactRules.parse(per_day=1, per_week=2, per_month=3, wecom_cap="week"))
    cp.opt_out(context.uow(), admin, opted, source="customer_request")
    _record(context, t, [day], at=sh(2026, 12, 2, 0, 1), source_id=1)  # today in Shanghai (16:01 UTC yesterday)
    _record(context, t, [week], at=sh(2026, 11, 30, 9), source_id=2, wecom_mass=False)  # Monday
    _record(context, t, [week], at=sh(2026, 12, 1, 9), source_id=3, wecom_mass=False)  # Tuesday
    _record(context, t, [month], at=sh(2026, 11, 29, 23, 59), source_id=4)  # Sunday 23:59: last week, November
    for n, d in enumerate((1, 20, 25)):  # three in December, one of them this week
        _record(context, t, [month], at=sh(2026, 12, d, 9), source_id=10 + n)
    _record(context, t, [yesterday], at=sh(2026, 12, 1, 23, 59), source_id=20)  # yesterday in Shanghai, the same UTC date as `day`'s

    screened = _screen(context, t, [yesterday, month, week, day, opted, free])
    assert screened.allowed == [yesterday, free]
    assert screened.excluded == {opted: R.OPTED_OUT, day: R.CAPPED_DAY, week: R.CAPPED_WEEK, month: R.CAPPED_MONTH}
    assert screened.counts() == {"allowed": 2, "opted_out": 1, "quiet_hours": 0, "capped_day": 1, "capped_week": 1,
                                 "capped_month": 1, "wecom_cap": 0}


def test_the_wecom_cap_counts_mass_messages_and_only_for_mass_sends(context: Context) -> None:
    _, admin = factories.tenant(context)
    t = admin.tenant_id
    [mass, chat] = [c.id for c in factories.customers_of(context, admin, 2)]
    cp.update_rules(context.uow(), admin, ContactRules(wecom_cap=WeComCap.DAY))
    _record(context, t, [mass], at=sh(2026, 12, 2, 8), source_id=1)
    _record(context, t, [chat], at=sh(2026, 12, 2, 8), source_id=1, kind="journey", wecom_mass=False)
    assert _screen(context, t, [mass, chat]).excluded == {mass: R.WECOM_CAP}
    assert _screen(context, t, [mass, chat], wecom_mass=False).allowed == [mass, chat]
    assert _screen(context, t, [mass, chat], at=sh(2026, 12, 3, 0, 1)).allowed == [mass, chat]  # a new Shanghai day


def test_quiet_hours_exclude_everyone_but_the_opted_out_keep_their_reason(context: Context) -> None:
    _, admin = factories.tenant(context)
    [a, b] = [c.id for c in factories.customers_of(context, admin, 2)]
    cp.update_rules(context.uow(), admin, ContactRules.parse(quiet_start="21:00", quiet_end="08:00"))
    cp.opt_out(context.uow(), admin, b)
    late = _screen(context, admin.tenant_id, [a, b], at=sh(2026, 12, 2, 23, 30))
    assert late.allowed == [] and late.excluded == {a: R.QUIET_HOURS, b: R.OPTED_OUT}
    assert _screen(context, admin.tenant_id, [a, b]).allowed == [a]


def test_screening_another_tenants_history_sees_nothing_of_it(context: Context) -> None:
    _, admin = factories.tenant(context)
    _, other = factories.tenant(context)
    [mine] = [c.id for c in factories.customers_of(context, admin, 1)]
    cp.update_rules(context.uow(), other, ContactRules(per_day=1))
    cp.opt_out(context.uow(), admin, mine)
    _record(context, admin.tenant_id, [mine], at=NOON - timedelta(hours=1), source_id=1)
    assert _screen(context, other.tenant_id, [mine]).allowed == [mine]  # the other tenant's rules, opt-outs, log


def test_screen_in_reads_in_chunks_not_per_customer(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    _, admin = factories.tenant(context)
    t = admin.tenant_id
    ids = [c.id for c in factories.customers_of(context, admin, 5)]
    _record(context, t, ids[:2], at=NOON - timedelta(hours=1), source_id=1)
    cp.update_rules(context.uow(), admin, ContactRules(per_day=1))
    monkeypatch.setattr(cp, "CHUNK", 2)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context_, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = context.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        huge = ids + list(range(10**9, 10**9 + 200))  # unknown ids pass: they have no history
        screened = _screen(context, t, huge + ids)  # repeats are screened once
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert screened.allowed[:3] == ids[2:] and len(screened.allowed) == 203
    assert screened.excluded == {ids[0]: R.CAPPED_DAY, ids[1]: R.CAPPED_DAY}
    reads = [s for s in statements if "customer_messages" in s or "customer_opt_outs" in s or "merged_into_id" in s]
    assert len(reads) == 3 * ((205 + 1) // 2)  # merged-in customers, opt-outs and counts, once per chunk of 2


def test_screen_in_handles_more_ids_than_a_statement_can_bind(context: Context) -> None:
    _, admin = factories.tenant(context)
    [known] = [c.id for c in factories.customers_of(context, admin, 1)]
    cp.opt_out(context.uow(), admin, known)
    ids = list(range(2 * 10**9, 2 * 10**9 + 70_000)) + [known]  # over SQLite's and PostgreSQL's parameter limits
    screened = _screen(context, admin.tenant_id, ids)
    assert len(screened.allowed) == 70_000 and screened.excluded == {known: R.OPTED_OUT}
    with pytest.raises(InvalidInput):
        _screen(context, admin.tenant_id, ids[:1], at=datetime(2026, 12, 2, 12))  # a time without its zone


def test_a_merged_customers_opt_out_and_messages_count_for_the_survivor(context: Context) -> None:
    _, admin = factories.tenant(context)
    t = admin.tenant_id
    [first, messaged, later, opted, bystander] = [c.id for c in factories.customers_of(context, admin, 5)]
    cp.update_rules(context.uow(), admin, ContactRules(per_day=2))
    cp.opt_out(context.uow(), admin, opted)
    _record(context, t, [messaged, first], at=NOON - timedelta(hours=1), source_id=1)
    assert _screen(context, t, [first, messaged]).allowed == [first, messaged]  # one message each today

    one = merging.merge_customers(context.uow(), admin, first, messaged).survivor_id
    assert _screen(context, t, [one, bystander]).excluded == {one: R.CAPPED_DAY}  # the same person: two today
    two = merging.merge_customers(context.uow(), admin, later, opted).survivor_id
    third = merging.merge_customers(context.uow(), admin, one, two)
    survivor = third.survivor_id  # the opted-out customer may be two merges away from it now
    assert _screen(context, t, [survivor, bystander]).excluded == {survivor: R.OPTED_OUT}
    assert cp.find_opt_out(context.uow(), admin, survivor).customer_id == opted
    with pytest.raises(Conflict):
        cp.opt_out(context.uow(), admin, survivor)
    cp.opt_in(context.uow(), admin, survivor)  # removes the merged-in opt-out
    assert cp.find_opt_out(context.uow(), admin, survivor) is None
    assert _screen(context, t, [survivor]).excluded == {survivor: R.CAPPED_DAY}
    merging.undo_merge(context.uow(), admin, third.id)
    apart = _screen(context, t, [third.survivor_id, third.merged_id]).excluded
    assert sorted(apart.values()) == [R.CAPPED_DAY]  # only the side holding both messages is still capped


def test_record_in_logs_one_row_per_customer_and_source_and_is_idempotent(context: Context) -> None:
    _, admin = factories.tenant(context)
    t = admin.tenant_id
    member = factories.member(context, admin, store_id=None, role=Role.OPERATOR)
    ids = [c.id for c in factories.customers_of(context, admin, 3)]
    assert _record(context, t, ids, at=NOON, source_id=7, staff_id=member.id) == 3
    assert _record(context, t, ids, at=NOON, source_id=7) == 0  # a retried poll adds nothing
    assert _record(context, t, ids[:1], at=NOON, source_id=8) == 1  # another send
    assert _record(context, t, ids[:1], at=NOON, source_id=7, kind="journey", wecom_mass=False) == 1
    with context.uow() as uow:
        m = customer_messages.c
        rows = uow.session.execute(select(m.customer_id, m.staff_id, m.source_kind, m.source_id, m.counts_toward_wecom_cap, m.sent_at)
                                   .where(m.tenant_id == t).order_by(m.id)).all()
        assert [tuple(r[:5]) for r in rows] == [(ids[0], member.id, "mass_send", 7, True), (ids[1], member.id, "mass_send", 7, True),
                                               (ids[2], member.id, "mass_send", 7, True), (ids[0], None, "mass_send", 8, True),
                                               (ids[0], None, "journey", 7, False)]
        assert {r.sent_at for r in rows} == {NOON}
        with pytest.raises(InvalidInput) as caught:
            cp.record_in(uow, t, [(ids[0], None)], source_kind=" ", source_id=1, sent_at=NOON)
        assert caught.value.code == "contact_pressure.source_kind_invalid"
        with pytest.raises(InvalidInput):
            cp.record_in(uow, t, [(ids[0], None)], source_kind="x", source_id=1, sent_at=datetime(2026, 12, 2))
    # what was recorded is what the next screening counts
    cp.update_rules(context.uow(), admin, ContactRules(per_day=2))
    assert _screen(context, t, ids).excluded == {ids[0]: R.CAPPED_DAY}


def test_record_in_many_deliveries_in_one_call(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from siyu.adapters.db.repositories import contact_pressure as repository

    monkeypatch.setattr(repository, "ROWS_PER_INSERT", 2)  # several inserts, some rows already there
    _, admin = factories.tenant(context)
    ids = [c.id for c in factories.customers_of(context, admin, 5)]
    assert _record(context, admin.tenant_id, ids[1:3], at=NOON, source_id=1) == 2
    deliveries = [(ids[i % 5], None) for i in range(250)]  # the same customers many times over: one row each
    assert _record(context, admin.tenant_id, [d[0] for d in deliveries], at=NOON, source_id=1) == 3
    with context.uow() as uow:
        m = customer_messages.c
        assert uow.session.execute(select(func.count()).where(m.tenant_id == admin.tenant_id)).scalar_one() == 5


def test_rules_are_for_admins_and_default_to_the_wecom_monthly_cap(context: Context) -> None:
    _, admin = factories.tenant(context)
    assert cp.get_rules(context.uow(), admin) == ContactRules()
    saved = cp.update_rules(context.uow(), admin, ContactRules.parse(per_week=3, quiet_start="22:00", quiet_end="07:30",
                                                                     wecom_cap="day"))
    assert saved == cp.get_rules(context.uow(), admin) == ContactRules(per_week=3, quiet_start=1320, quiet_end=450,
                                                                       wecom_cap=WeComCap.DAY)
    cp.update_rules(context.uow(), admin, ContactRules())
    assert cp.get_rules(context.uow(), admin) == ContactRules()
    operator = factories.user_actor(context, admin, role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        cp.get_rules(context.uow(), operator)
    with pytest.raises(PermissionDenied):
        cp.update_rules(context.uow(), operator, ContactRules())


def test_opt_out_and_back_in_with_source_actor_and_timeline(context: Context) -> None:
    _, admin = factories.tenant(context)
    [c] = [x.id for x in factories.customers_of(context, admin, 1)]
    made = cp.opt_out(context.uow(), admin, c, source=OptOutSource.CUSTOMER_REQUEST, note="  说不要再发了 ")
    assert (made.customer_id, made.source, made.note) == (c, OptOutSource.CUSTOMER_REQUEST, "说不要再发了")
    assert made.actor == customers_service.actor_label(admin) and made.created_at <= utcnow()
    assert cp.find_opt_out(context.uow(), admin, c) == made
    with pytest.raises(Conflict):
        cp.opt_out(context.uow(), admin, c)
    with pytest.raises(InvalidInput) as caught:
        cp.opt_out(context.uow(), admin, c, source="carrier pigeon")
    assert caught.value.code == "opt_out.source_unknown"
    page = cp.list_opt_outs(context.uow(), admin)
    assert page.total == 1 and page.items[0].customer_id == c and page.items[0].customer_name
    cp.opt_in(context.uow(), admin, c)
    assert cp.find_opt_out(context.uow(), admin, c) is None
    with pytest.raises(NotFound):
        cp.opt_in(context.uow(), admin, c)
    kinds = [(e.kind, e.data.get("source")) for e in customers_service.timeline(context.uow(), admin, c).items]
    assert kinds[:2] == [(EventKind.OPTED_IN, "customer_request"), (EventKind.OPTED_OUT, "customer_request")]


def test_guides_opt_out_only_their_own_customers_and_list_only_theirs(context: Context) -> None:
    _, admin = factories.tenant(context)
    store = factories.store(context, admin)
    guide_member = factories.member(context, admin, store_id=store.id)
    guide = factories.user_actor(context, admin, role=Role.GUIDE, staff_id=guide_member.id, store_id=store.id)
    [own, other] = [x.id for x in factories.customers_of(context, admin, 2)]
    with context.uow() as uow:
        uow.relations.add(admin.tenant_id, own, guide_member.id, added_at=utcnow())
        uow.commit()
    cp.opt_out(context.uow(), guide, own)
    with pytest.raises(NotFound):
        cp.opt_out(context.uow(), guide, other)
    cp.opt_out(context.uow(), admin, other)
    with pytest.raises(NotFound):
        cp.opt_in(context.uow(), guide, other)
    assert [o.customer_id for o in cp.list_opt_outs(context.uow(), guide, PageRequest()).items] == [own]
    assert {o.customer_id for o in cp.list_opt_outs(context.uow(), admin).items} == {own, other}
    _, stranger = factories.tenant(context)
    assert cp.list_opt_outs(context.uow(), stranger).total == 0
    with pytest.raises(NotFound):
        cp.opt_out(context.uow(), stranger, own)
