"""A small known history for the segment tests: six live customers A-F and one merged away (G),
with every kind of data a segment condition reads. Today is 2026-06-30 (Shanghai)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import update

from siyu.adapters.db.tables import customers
from siyu.bootstrap import Context
from siyu.domain.access import Actor
from siyu.domain.customers import RelationState
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.services import relations, segments, stages, tags
from siyu.services.customers import add_identity
from siyu.services.fields import define_field
from tests import factories
from tests.analytics import history as h

TODAY = date(2026, 6, 30)


@dataclass
class History:
    admin: Actor
    tenant_id: int
    ids: dict[str, int]  # letter -> customer id
    tags: dict[str, int]
    stages: dict[str, int]
    channels: dict[str, int]
    staff: dict[str, int]
    stores: dict[str, int]
    regions: dict[str, int]
    segments: dict[str, int]

    def letters(self, customer_ids: set[int] | list[int]) -> set[str]:
        back = {v: k for k, v in self.ids.items()}
        return {back[c] for c in customer_ids}


def build(ctx: Context) -> History:
    tenant, admin = factories.tenant(ctx)
    t = tenant.id
    made = factories.customers_of(ctx, admin, 7, names=["王小明", "李雷", "Han Meimei", "张三", "王五", "赵六", "钱七"])
    ids = dict(zip("ABCDEFG", (c.id for c in made), strict=True))
    tag = {n: tags.create_tag(ctx.uow(), admin, group="测试", name=n).id for n in ("t1", "t2", "t3")}
    stage = {n: stages.create_stage(ctx.uow(), admin, n).id for n in ("s1", "s2")}
    r1, r2 = factories.region(ctx, admin), factories.region(ctx, admin)
    x, y = factories.store(ctx, admin, region_id=r1.id), factories.store(ctx, admin, region_id=r2.id)
    g1, g2 = factories.member(ctx, admin, store_id=x.id), factories.member(ctx, admin, store_id=x.id)
    g3 = factories.member(ctx, admin, store_id=y.id)
    ch = {"ch1": h.channel(ctx, t, "渠道一", "s_ch1"), "ch2": h.channel(ctx, t, "渠道二", "s_ch2")}
    define_field(ctx.uow(), admin, key="level", label="等级", kind="single", options=["gold", "silver"])
    define_field(ctx.uow(), admin, key="hobbies", label="爱好", kind="multi", options=["run", "read", "swim"])
    define_field(ctx.uow(), admin, key="score", label="积分", kind="number")
    define_field(ctx.uow(), admin, key="since", label="入会", kind="date")
    define_field(ctx.uow(), admin, key="note", label="备注", kind="text")
    profiles = {
        "A": dict(gender=1, birthday=date(1990, 5, 1), region="上海", stage_id=stage["s1"], added_at=h.sh(2026, 1, 1), member_level="金卡",
                  fields={"level": "gold", "hobbies": ["run", "read"], "score": 10, "since": "2026-06-20", "note": "VIP 客户"}),
        "B": dict(gender=2, birthday=date(1985, 12, 31), region="北京", stage_id=stage["s2"], added_at=h.sh(2026, 6, 25), member_level="银卡",
                  fields={"level": "silver", "hobbies": ["swim"], "score": 5.5, "since": "2025-01-01"}),
        "C": dict(gender=2, birthday=None, region=None, stage_id=stage["s1"], added_at=h.sh(2025, 12, 31, 23, 30),
                  fields={"hobbies": ["read"], "note": "vip"}),
        "D": dict(gender=0, birthday=date(2000, 1, 1), region="上海", stage_id=None, added_at=h.sh(2026, 6, 29), fields={}),
        "E": dict(gender=1, birthday=None, region="广州", stage_id=None, added_at=h.sh(2026, 3, 1), member_level="金卡",
                  fields={"level": "gold", "score": 20}),
        "F": dict(gender=0, birthday=date(1990, 5, 1), region=None, stage_id=stage["s2"], added_at=h.sh(2026, 6, 1),
                  fields={"hobbies": ["run", "swim"]}),
    }
    with ctx.uow() as uow:
        for letter, values in profiles.items():
            uow.session.execute(update(customers).where(customers.c.tenant_id == t, customers.c.id == ids[letter])
                                .values(**values))
        uow.session.execute(update(customers).where(customers.c.tenant_id == t, customers.c.id == ids["G"])
                            .values(merged_into_id=ids["F"]))
        tags.apply_in(uow, t, {ids["A"]: [tag["t1"], tag["t2"]], ids["B"]: [tag["t1"]], ids["C"]: [tag["t2"]],
                               ids["D"]: [tag["t3"]], ids["F"]: [tag["t1"], tag["t2"], tag["t3"]], ids["G"]: [tag["t1"]]},
                      add=True, source="manual", actor="test")
        at = datetime(2026, 1, 1, tzinfo=UTC)
        for letter, staff_id, state in (("A", g1.id, "s_ch1"), ("B", g2.id, "s_ch2"), ("C", g3.id, None),
                                        ("C", g1.id, "s_ch1"), ("D", g3.id, None), ("F", g1.id, "s_ch2"), ("F", g3.id, None)):
            relations.follow_in(uow, t, ids[letter], staff_id, at=at, actor="test", channel_state=state)
        for letter, staff_id, ended in (("C", g1.id, RelationState.DELETED_BY_CUSTOMER),
                                        ("D", g3.id, RelationState.DELETED_BY_STAFF), ("F", g1.id, RelationState.TRANSFERRED)):
            relations.end_in(uow, t, ids[letter], staff_id, ended, at=at, actor="test")
        uow.segments.replace_scores(t, [
            {"customer_id": ids["A"], "rfm_segment": "champions", "p_alive": 0.9, "predicted_value_365": 300.0},
            {"customer_id": ids["B"], "rfm_segment": "at_risk", "p_alive": 0.2, "predicted_value_365": 50.0},
            {"customer_id": ids["C"], "rfm_segment": "hibernating", "p_alive": 0.5, "predicted_value_365": 10.0},
            {"customer_id": ids["F"], "rfm_segment": "new", "p_alive": 1.0, "predicted_value_365": 400.0},
        ], now=at)
        uow.commit()
    add_identity(ctx.uow(), admin, ids["A"], IdentityKey(IdentityKind.UNIONID, f"u{factories.uid()}"))
    add_identity(ctx.uow(), admin, ids["C"], IdentityKey(IdentityKind.UNIONID, f"u{factories.uid()}"))
    add_identity(ctx.uow(), admin, ids["B"], IdentityKey(IdentityKind.EMAIL, f"{factories.uid()}@example.com"))
    # orders: A 100 (06-20) + 50 (01-10); B 200 fully refunded (06-29) + 80 less 20 (05-01); C 30 late on 2025-12-31; F 500 today
    h.order(ctx, t, ids["A"], h.sh(2026, 6, 20), "100.00")
    h.order(ctx, t, ids["A"], h.sh(2026, 1, 10), "50.00")
    h.order(ctx, t, ids["B"], h.sh(2026, 6, 29), "200.00", refunded="200.00")
    h.order(ctx, t, ids["B"], h.sh(2026, 5, 1), "80.00", refunded="20.00")
    h.order(ctx, t, ids["C"], h.sh(2025, 12, 31, 23, 0), "30.00")
    h.order(ctx, t, ids["F"], h.sh(2026, 6, 30, 10), "500.00")
    for letter, at in (("A", h.sh(2026, 6, 25)), ("A", h.sh(2026, 6, 28)), ("A", h.sh(2026, 6, 29)), ("B", h.sh(2026, 6, 29)),
                       ("C", h.sh(2026, 3, 1)), ("C", h.sh(2026, 3, 1, 13)), ("E", h.sh(2026, 6, 24)),
                       ("E", h.sh(2026, 6, 30, 9)), ("F", h.sh(2026, 6, 22))):
        h.event(ctx, t, ids[letter], at, "page_view")
    h.event(ctx, t, ids["C"], h.sh(2026, 6, 29), "login")
    s1 = segments.create_segment(ctx.uow(), admin, name="有t1", rule={"groups": [{"conditions": [
        {"kind": "tags", "op": "any", "value": [tag["t1"]]}]}]})
    return History(admin=admin, tenant_id=t, ids=ids, tags=tag, stages=stage, channels=ch,
                   staff={"g1": g1.id, "g2": g2.id, "g3": g3.id}, stores={"X": x.id, "Y": y.id},
                   regions={"R1": r1.id, "R2": r2.id}, segments={"S1": s1.id})
