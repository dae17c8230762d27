"""The demo brand: deterministic, loaded once, and built by the OneID rule (batched = one by one)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from siyu.adapters.db.tables import customer_identities, customer_merges, customers, stage_changes, staff_relations, timeline_events
from siyu.domain.access import Actor, Role
from siyu.domain.customers import RelationState, TagSource
from siyu.domain.identities import IdentityKey
from siyu.domain.organisation import StaffDraft
from siyu.services import customers as customer_service
from siyu.services import merging, staff
from siyu.services.auth import system_actor
from siyu.services.demo import catalogue, load_demo_brand
from siyu.services.demo.organisation import read_organisation
from siyu.services.demo.people import PeopleGenerator
from siyu.services.oneid_bulk import BatchResolver, SequentialResolver, resolve_all
from siyu.services.relations import follow_in
from siyu.services.tags import ensure_tag
from tests import factories as f
from tests.demo_snapshot import snapshot

TODAY = date(2026, 11, 23)


def load(context, slug: str, *, seed: int = 3, customers: int = 150, **options):
    return load_demo_brand(context.uow, seed=seed, customers=customers, slug=slug, today=TODAY, **options)


def brand(context, tenant_id: int) -> dict:
    with context.session_factory() as session:
        return snapshot(session.connection(), tenant_id)


def identity_set(context, tenant_id: int) -> set[tuple[str, str, str]]:
    i = customer_identities.c
    with context.session_factory() as session:
        return {tuple(r) for r in session.execute(select(i.kind, i.value, i.source).where(i.tenant_id == tenant_id))}


def test_the_same_seed_gives_the_same_brand(context):
    first, second = load(context, "demo-a"), load(context, "demo-b")
    assert first.customers == second.customers
    assert identity_set(context, first.tenant_id) == identity_set(context, second.tenant_id)
    assert brand(context, first.tenant_id) == brand(context, second.tenant_id)


def test_another_seed_gives_another_brand(context):
    first, other = load(context, "demo-a"), load(context, "demo-b", seed=4)
    assert not identity_set(context, first.tenant_id) & identity_set(context, other.tenant_id)
    assert first.customers != other.customers


def test_loading_again_changes_nothing(context):
    first = load(context, "demo-a")
    before = brand(context, first.tenant_id)
    again = load(context, "demo-a", customers=400)
    assert (first.created, again.created) == (True, False)
    assert again.tenant_id == first.tenant_id and again.customers is None
    assert (again.stores, again.staff, again.logins) == (first.stores, first.staff, first.logins)
    assert brand(context, first.tenant_id) == before


def test_batched_resolution_builds_exactly_what_resolve_one_by_one_builds(context):
    fast = load(context, "demo-fast", customers=120)
    slow = load(context, "demo-slow", customers=120, one_by_one=True)
    assert fast.customers == slow.customers
    assert fast.customers.merged > 0
    assert brand(context, fast.tenant_id) == brand(context, slow.tenant_id)


def test_records_sharing_keys_end_up_one_customer_and_others_stay_apart(context):
    loaded = load(context, "demo-a", customers=400)
    i = customer_identities.c
    with context.session_factory() as session:
        owner = {IdentityKey.parse(k, v): c for k, v, c in session.execute(
            select(i.kind, i.value, i.customer_id).where(i.tenant_id == loaded.tenant_id))}
        live = set(session.execute(select(customers.c.id).where(
            customers.c.tenant_id == loaded.tenant_id, customers.c.merged_into_id.is_(None))).scalars())
    organisation = read_organisation(context.uow(), loaded.tenant_id)
    multi_source = 0
    for person in PeopleGenerator(organisation, seed=3, people=400, today=TODAY):
        groups = _connected([set(r.record.keys) for r in person.records])
        holders = [{owner[k] for k in group} for group in groups]
        assert all(len(h) == 1 and h <= live for h in holders), person.index
        assert len(set().union(*holders)) == len(groups)  # unconnected records stay different customers
        sources = [{r.source for r in person.records if set(r.record.keys) & group} for group in groups]
        multi_source += sum(1 for s in sources if len(s) >= 2)
    assert multi_source > 40
    merges = brand(context, loaded.tenant_id)["merges"]
    assert merges and all(m[5]["identities"] and m[5]["timeline"] for m in merges)


def _connected(key_sets: list[set[IdentityKey]]) -> list[set[IdentityKey]]:
    groups: list[set[IdentityKey]] = []
    for keys in key_sets:
        joined = [g for g in groups if g & keys]
        for g in joined:
            groups.remove(g)
        groups.append(set(keys).union(*joined))
    return groups


def test_the_brand_has_deleted_relations_stage_history_channels_and_tags(context):
    loaded = load(context, "demo-a", customers=600)
    t = loaded.tenant_id
    r, s, c = staff_relations.c, stage_changes.c, customers.c
    with context.session_factory() as session:
        states = Counter(dict(session.execute(select(r.state, func.count()).where(r.tenant_id == t).group_by(r.state)).all()))
        channels = set(session.execute(select(r.channel_state).where(r.tenant_id == t).distinct()).scalars())
        moves = session.execute(select(s.customer_id, s.to_stage_id, s.changed_at).where(s.tenant_id == t).order_by(s.changed_at, s.id)).all()
        current = dict(session.execute(select(c.id, c.stage_id).where(c.tenant_id == t, c.merged_into_id.is_(None))).all())
        events = Counter(session.execute(select(timeline_events.c.kind).where(timeline_events.c.tenant_id == t)).scalars())
    assert states[RelationState.DELETED_BY_CUSTOMER.value] > 0 and states[RelationState.DELETED_BY_STAFF.value] > 0
    assert states[RelationState.ACTIVE.value] > 10 * (states[RelationState.DELETED_BY_CUSTOMER.value] + states[RelationState.DELETED_BY_STAFF.value])
    assert {"ch-douyin-live", "ch-store-poster", "ch-tmall-card"} <= channels
    last_stage = {customer_id: stage for customer_id, stage, _ in moves}
    assert last_stage == {k: v for k, v in current.items() if v is not None}
    assert len(moves) > 1.5 * len(last_stage)  # customers move on from 新客
    assert events["stage_changed"] == len(moves)
    assert events["relation_changed"] == states.total() - states[RelationState.ACTIVE.value]
    assert events["merged"] == loaded.customers.merged


def test_guides_own_the_customers_they_added_and_see_them(context):
    loaded = load(context, "demo-a", customers=300)
    organisation = read_organisation(context.uow(), loaded.tenant_id)
    guide = organisation.stores[0].guides[0]
    actor = Actor(tenant_id=loaded.tenant_id, role=Role.GUIDE, staff_id=guide.staff_id, store_id=guide.store_id)
    page = customer_service.list_customers(context.uow(), actor)
    assert page.total > 0
    r = staff_relations.c
    with context.session_factory() as session:
        followed = set(session.execute(select(r.customer_id).where(
            r.tenant_id == loaded.tenant_id, r.staff_id == guide.staff_id, r.state == "active")).scalars())
    assert {row.customer.id for row in page.items} <= followed and page.total == len(followed)


def test_batched_resolver_matches_resolve_across_batches_with_history_on_existing_customers(context):
    """Small batches, so keys are found in the database and customers loaded from it are merged;
    half-way, existing customers get relations, tags and stages that merges must move."""
    results = []
    for resolver_class in (BatchResolver, SequentialResolver):
        tenant, admin = f.tenant(context)
        store = f.store(context, admin)
        guides = [
            staff.create_staff(context.uow(), admin, StaffDraft.parse(wecom_userid=f"g{n}", name=f"导购{n}", mobile=None, store_id=store.id, role=Role.GUIDE))
            for n in range(3)
        ]
        organisation = read_organisation(context.uow(), tenant.id)
        people = list(PeopleGenerator(organisation, seed=11, people=150, today=TODAY))
        first = sorted((r for p in people for r in p.records[:-1]), key=lambda r: r.at)
        last = sorted((p.records[-1] for p in people), key=lambda r: r.at)  # bridging records mostly come last
        with context.uow() as uow:
            for field in catalogue.FIELDS:
                uow.fields.add(tenant.id, now=datetime.now(UTC), key=field.key, label=field.label, kind=field.kind.value,
                               options=list(field.options), required=False)
            resolver = resolver_class(uow, tenant.id, actor="test")
            ids: list[int] = []
            for start in range(0, len(first), 7):
                ids += resolve_all(resolver, first[start : start + 7])
                resolver.flush()
            _history(uow, tenant.id, sorted(set(ids)), [g.id for g in guides])
            for start in range(0, len(last), 7):
                resolve_all(resolver, last[start : start + 7])
                resolver.flush()
            uow.commit()
        results.append((tenant.id, brand(context, tenant.id)))
    (_, batched), (_, one_by_one) = results
    assert batched == one_by_one
    moved = [m[5] for m in batched["merges"]]
    assert any(m["relations"] for m in moved) and any(m["tags"] for m in moved) and any(m["stage_changes"] for m in moved)


def _history(uow, tenant_id: int, customer_ids: list[int], guide_ids: list[int]) -> None:
    """Relations, tags and stage history at fixed times (the services stamp the clock)."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    tags = [ensure_tag(uow, tenant_id, "兴趣偏好", name) for name in ("拿铁", "手冲")]
    stage_ids = [uow.stages.add(tenant_id, name, now=at).id for name in ("新客", "意向")]
    for n, customer_id in enumerate(customer_ids):
        when = at + timedelta(minutes=n)
        follow_in(uow, tenant_id, customer_id, guide_ids[n % len(guide_ids)], at=when, actor="test", channel_state="ch-store-poster")
        if n % 3:
            uow.tags.apply(tenant_id, [(customer_id, tags[n % 3 - 1].id)], source=TagSource.MANUAL.value, applied_by="test", now=when)
        uow.stages.record_change(tenant_id, customer_id, None, stage_ids[n % 2], actor="test", now=when)
        uow.customers.update(tenant_id, customer_id, now=when, stage_id=stage_ids[n % 2])


def test_merges_in_the_demo_can_be_undone(context):
    loaded = load(context, "demo-a", customers=300)
    with context.session_factory() as session:
        merge_id = session.execute(select(func.min(customer_merges.c.id)).where(customer_merges.c.tenant_id == loaded.tenant_id)).scalar_one()
    admin = f.user_actor(context, system_actor(loaded.tenant_id), role=Role.ADMIN)
    restored = merging.undo_merge(context.uow(), admin, merge_id)
    assert restored.merged_into_id is None
    with context.session_factory() as session:
        assert session.execute(select(func.count()).select_from(customer_identities).where(
            customer_identities.c.tenant_id == loaded.tenant_id, customer_identities.c.customer_id == restored.id)).scalar_one() > 0


def test_the_demo_command_loads_n_people_once(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from siyu.cli.main import app
    from siyu.config import get_settings

    for name, value in {"SIYU_ENV": "dev", "SIYU_DATA_DIR": str(tmp_path), "SIYU_DATABASE_URL": "", "SIYU_QUEUE_URL": "memory://"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["demo", "--customers", "60", "--seed", "2"])
        again = CliRunner().invoke(app, ["demo", "--customers", "60", "--seed", "2"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "60 people ->" in first.output and "merged by OneID" in first.output
    assert again.exit_code == 0 and "demo brand already loaded" in again.output and "people ->" not in again.output
    # the command ends with a warehouse sync, so the dashboards have the demo's numbers at once
    assert "analytics warehouse synced" in first.output
    from siyu.adapters.warehouse import open_warehouse

    with open_warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}") as wh:
        assert wh.fetch("SELECT count(*) FROM orders")[0][0] > 0 and wh.fetch("SELECT count(*) FROM sync_runs")[0][0] == 2
