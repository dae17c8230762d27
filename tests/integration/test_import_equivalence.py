"""The batched import path writes exactly what ``oneid.resolve`` row by row writes."""

from __future__ import annotations

from siyu.domain.customers import CustomerRecord, Profile, RelationState
from siyu.domain.identities import IdentityKey
from siyu.services import customers, oneid
from siyu.services.clock import utcnow
from siyu.services.oneid_bulk import BatchResolver, Incoming, SequentialResolver
from siyu.services.relations import end_in, follow_in
from tests.integration.import_brand import brand, run_import, snapshot, write

MESSY = """姓名,手机,会员号,unionid,邮箱,标签,阶段,归属员工,会员等级,性别
新客甲,13700000001,,,,VIP;会员/金卡,复购,guide01,银,女
王先生,13800000001,M001,,,会员/金卡,复购,guide02,,男
合并,13800000003,M002,,,,新客,,,
老赵,,,,e4@x.cn,,,,,
坏号码,12345,,,,,,,,
重复,137 0000 0001,,,,,,,,
李太太,,,U2,,VIP,,,金,
复联,13800000005,,,,,,guide02,,
设主,13800000006,,,,,,guide01,,

只有邮箱,,,,only@x.cn,,,,,
新客乙,13700000002,M003,,,,新客,guide01,,
"""


def _seed(context, b) -> None:
    """Customers the messy file runs into: attach, merge, reactivate a relation, set an owner."""
    def add(*keys, **profile):
        record = CustomerRecord(keys=tuple(IdentityKey.parse(k, v) for k, v in keys), profile=Profile.parse(**profile))
        return customers.create_customer(context.uow(), b.actor, record).customer_id

    tenant = b.actor.tenant_id
    c1 = add(("phone", "13800000001"), name="老王", gender="女")
    add(("member_no", "M002"), ("unionid", "U2"), name="老李")
    add(("phone", "13800000003"), name="老张")
    c4 = add(("email", "e4@x.cn"), name="老赵")
    c5 = add(("phone", "13800000005"), name="老钱")
    c6 = add(("phone", "13800000006"), name="老孙")
    now = utcnow()
    with context.uow() as uow:
        follow_in(uow, tenant, c1, b.guide.id, at=now, actor="test")
        follow_in(uow, tenant, c4, b.other.id, at=now, actor="test")
        follow_in(uow, tenant, c5, b.other.id, at=now, actor="test", make_owner=False)
        end_in(uow, tenant, c5, b.other.id, RelationState.DELETED_BY_CUSTOMER, at=now, actor="test")
        follow_in(uow, tenant, c6, b.guide.id, at=now, actor="test", make_owner=False)
        uow.commit()


def test_batched_import_matches_row_by_row_resolution(context, tmp_path, monkeypatch):
    path = write(tmp_path, MESSY)
    resolved = []
    resolve = oneid.resolve
    monkeypatch.setattr(oneid, "resolve", lambda *args, **kwargs: resolved.append(args[2]) or resolve(*args, **kwargs))
    results, slow_rows = {}, {}
    for name, options in {"row by row": {"fast": False, "batch_size": 4},
                          "batched": {"batch_size": 4}, "one batch": {"batch_size": 1000}}.items():
        b = brand(context)
        _seed(context, b)
        resolved.clear()
        run = run_import(context, b.actor, path, **options)
        counts = (run.rows_total, run.rows_good, run.rows_bad, run.customers_created, run.customers_updated, run.customers_merged)
        results[name] = (counts, snapshot(context, b.actor.tenant_id))
        slow_rows[name] = sorted(r.profile.name for r in resolved)

    # The batched runs resolve every row in memory, the merge and the rows sharing its customers too.
    assert slow_rows == {"row by row": sorted(["新客甲", "王先生", "合并", "老赵", "李太太", "复联", "设主", "只有邮箱", "新客乙"]),
                         "batched": [], "one batch": []}

    reference = results.pop("row by row")
    assert reference[0] == (11, 9, 2, 3, 5, 1)  # 老赵 changes nothing; 坏号码 and 重复 are bad
    for name, result in results.items():
        assert result == reference, name
    live = {c[2]: c for c in reference[1] if not c[1]}
    assert live["王先生"][7] == "guide02" and ("profile_changed", 2) in live["王先生"][12]  # name + gender, then owner
    assert live["复联"][10] == (("guide02", "active"),) and live["复联"][7] == "guide02"
    assert live["设主"][7] == "guide01"
    assert live["李太太"][0] == (("member_no", "M002", "api"), ("phone", "13800000003", "api"), ("unionid", "U2", "api"))


def _steps(context, b, resolver_class) -> tuple[list[tuple[bool, int]], list[tuple[object, ...]]]:
    """Records a file cannot hold together (a later record shares a key with an earlier one),
    written through a resolver: what the batch creates and tags, then merges in the same batch."""
    tenant = b.actor.tenant_id
    known = customers.create_customer(
        context.uow(), b.actor, CustomerRecord(keys=(IdentityKey.parse("phone", "13900000009"),), profile=Profile.parse(name="老客"))
    ).customer_id
    with context.uow() as uow:
        follow_in(uow, tenant, known, b.other.id, at=utcnow(), actor="test")
        uow.commit()
    with context.uow() as uow:
        tags = {t.id: t.label for t in uow.tags.all(tenant)}
        stages = {s.id: s for s in uow.stages.all(tenant)}
        vip = next(i for i, label in tags.items() if label.endswith("VIP"))
        gold = next(i for i, label in tags.items() if label.endswith("金卡"))
        first, second = sorted(stages)
        now = utcnow()
        records = [
            CustomerRecord(keys=(IdentityKey.parse("phone", "13900000001"),), profile=Profile.parse(name="新客")),
            CustomerRecord(keys=(IdentityKey.parse("phone", "13900000001"), IdentityKey.parse("phone", "13900000009"),
                                 IdentityKey.parse("member_no", "M9")), profile=Profile.parse(gender="女")),
        ]
        resolver = resolver_class(uow, tenant, actor="test")
        resolver.load([Incoming(r, "import", now) for r in records])
        outcomes = []
        new = resolver.resolve_one(Incoming(records[0], "import", now))
        resolver.tag(new.customer_id, [vip, gold], labels=tags, source="import", at=now)
        resolver.move_stage(new.customer_id, second, stages=stages, at=now)
        resolver.assign_owner(new.customer_id, b.guide.id, at=now)
        outcomes.append((new.created, len(new.merged_ids)))
        merged = resolver.resolve_one(Incoming(records[1], "import", now))
        resolver.tag(merged.customer_id, [vip], labels=tags, source="import", at=now)
        resolver.move_stage(merged.customer_id, first, stages=stages, at=now)
        resolver.assign_owner(merged.customer_id, b.other.id, at=now)
        outcomes.append((merged.created, len(merged.merged_ids)))
        resolver.flush()
        uow.commit()
    return outcomes, snapshot(context, tenant)


def test_a_customer_created_tagged_and_followed_in_a_batch_merges_like_row_by_row(context):
    """The new customer's tags, relation and stage history are still pending when the merge
    moves them onto the customer known longer."""
    results = [_steps(context, brand(context), resolver_class) for resolver_class in (SequentialResolver, BatchResolver)]
    assert results[0] == results[1]
    outcomes, customers_after = results[1]
    assert outcomes == [(True, 0), (False, 1)]
    survivor = next(c for c in customers_after if not c[1])
    assert survivor[0] == (("member_no", "M9", "import"), ("phone", "13900000001", "import"), ("phone", "13900000009", "api"))
    assert survivor[9] == ("会员/金卡", "导入/VIP") and survivor[10] == (("guide01", "active"), ("guide02", "active"))
    assert survivor[7] == "guide02" and survivor[6] == "新客"
