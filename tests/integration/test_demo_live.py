"""The live demo: the sandbox-linked brand gets contact ways, and seeded simulated customers on a
frozen clock add guides through the real callback path, get welcome messages, and sometimes delete."""

from __future__ import annotations

import re
import time

from siyu.adapters.channels.sandbox import SANDBOX_URL
from siyu.domain.access import Role
from siyu.domain.channels import ChannelDraft
from siyu.domain.paging import PageRequest
from siyu.services import channels, contact_ways, group_codes, wecom_settings
from siyu.services.demo.catalogue import CHANNELS
from siyu.services.demo.live import link_sandbox, simulate_tick
from tests import factories as f

START = 1_800_000_000.0


def _brand(context):
    tenant, admin = f.tenant(context)
    store = f.store(context, admin)
    guides = [f.member(context, admin, store_id=store.id, role=Role.GUIDE) for _ in range(4)]
    for c in CHANNELS[:3]:
        channels.create_channel(context.uow(), admin, ChannelDraft.parse(name=c.name, state=c.state))
    return tenant, admin, guides


def _run(context, tenant, ticks: int) -> list[str]:
    outcomes = []
    for tick in range(ticks):
        done = simulate_tick(context.uow, context.secret_box, context.sandbox_corps, slug=tenant.slug, now=START + 5 * tick,
                             seed=11, enqueue=context.tasks["refresh_wecom_contact"], enqueue_welcome=context.tasks["send_welcome"])
        assert done is not None and not done.duplicate
        outcomes.append(done.outcome)
    return outcomes


def test_the_live_demo_adds_customers_through_the_callback_path_with_welcomes_and_deletions(context, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: START)  # the sandbox corp's clock: welcome codes are fresh
    tenant, admin, guides = _brand(context)
    linked = link_sandbox(context.uow, context.secret_box, context.wecom_channel, tenant.id, seed=3)
    assert linked.created and linked.contact_ways == 3
    assert wecom_settings.get_wecom_settings(context.uow(), admin).api_base_url == SANDBOX_URL
    ways = contact_ways.list_contact_ways(context.uow(), admin).items
    assert {w.state for w in ways} == {c.state for c in CHANNELS[:3]}

    outcomes = _run(context, tenant, 40)
    adds = [o for o in outcomes if "follows staff" in o]
    deletions = [o for o in outcomes if "deleted_by_customer" in o]
    assert len(adds) > 15 and deletions, outcomes
    log = wecom_settings.list_callbacks(context.uow(), admin, PageRequest(page_size=100))
    assert log.total == 40 and {r.change_type for r in log.items} == {"add_external_contact", "del_follow_user", "update"}
    corp = next(iter(context.sandbox_corps.values()))
    sent = [c for c in corp.welcome_codes.values() if c["used"]]
    assert len(sent) == len(adds)
    assert any(s["sent"]["text"].startswith("感谢从直播间来找") for s in sent)  # the live-stream channel's own welcome
    assert any("新人咖啡券" in s["sent"]["text"] or s["sent"]["attachments"] for s in sent)
    counts = contact_ways.adds_today(context.uow(), admin, [w.id for w in ways], now=_utc(START))
    assert sum(sum(c.values()) for c in counts.values()) >= len(adds) - len(deletions)


def test_the_simulation_is_the_same_for_the_same_seed_and_clock(context, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: START)
    runs = []
    for _ in range(2):
        context.sandbox_corps.clear()
        tenant, _, _ = _brand(context)
        link_sandbox(context.uow, context.secret_box, context.wecom_channel, tenant.id, seed=3)
        runs.append([re.sub(r"\d+", "#", o) for o in _run(context, tenant, 12)])  # ids differ between the two brands
    assert runs[0] == runs[1]


def test_a_tenant_not_linked_to_the_sandbox_is_not_simulated(context):
    tenant, _, _ = _brand(context)
    assert simulate_tick(context.uow, context.secret_box, context.sandbox_corps, slug=tenant.slug, now=START) is None


def _utc(stamp: float):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromtimestamp(stamp, UTC)


def test_the_live_demo_fills_the_group_codes_groups_and_the_recheck_moves_it_on(context, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: START)
    tenant, admin, _ = _brand(context)
    link_sandbox(context.uow, context.secret_box, context.wecom_channel, tenant.id, seed=3)
    [code] = group_codes.list_group_codes(context.uow(), admin).items
    assert code.live_chat_ids == code.chat_ids[:5]  # 186, 171, 120, 42 and 8 customers (+ the owner): all under 190
    start = sum(p.members for p in group_codes.pool_of(context.uow(), admin, code))
    for tick in range(72):  # six minutes of ticks, the worker's re-check every two minutes
        simulate_tick(context.uow, context.secret_box, context.sandbox_corps, slug=tenant.slug, now=START + 5 * tick, seed=11)
        if tick % 24 == 23:
            group_codes.recheck_tenant(context.uow(), context.secret_box, context.wecom_channel, tenant.id)
    code = group_codes.get_group_code(context.uow(), admin, code.id)
    pool = group_codes.pool_of(context.uow(), admin, code)
    joins = group_codes.joins(context.uow(), admin, [code.id])[code.id]
    assert joins > 15 and sum(p.members for p in pool) - start == joins  # every join counted, and counted for this code
    assert [p.full for p in pool] == [True, True, False, False, False, False]  # WeCom fills the listed groups in order
    assert all(190 <= p.members <= 200 for p in pool[:2])  # over the threshold, never over WeCom's limit
    assert code.live_chat_ids == code.chat_ids[2:6]  # the full ones left the code; the sixth group came on


def test_the_live_demo_s_full_pool_gets_a_room_from_wecom_adopted_by_the_code(context, monkeypatch):
    from siyu.services.clock import utcnow

    monkeypatch.setattr(time, "time", lambda: START)
    tenant, admin, _ = _brand(context)
    link_sandbox(context.uow, context.secret_box, context.wecom_channel, tenant.id, seed=3)
    [code] = group_codes.list_group_codes(context.uow(), admin).items
    [corp] = context.sandbox_corps.values()
    with context.uow() as uow:  # every fan group fills up to WeCom's 200
        for chat_id in code.chat_ids:
            members = corp.group_chats[chat_id]["member_list"]
            members += [{"userid": f"wmfull{chat_id}{i}", "type": 2, "join_scene": 3} for i in range(200 - len(members))]
            uow.group_codes.set_members(tenant.id, chat_id, members=200, external_members=199, now=utcnow())
        uow.commit()
    group_codes.recheck_tenant(context.uow(), context.secret_box, context.wecom_channel, tenant.id)
    assert group_codes.get_group_code(context.uow(), admin, code.id).exhausted_at is not None
    outcomes = []
    for tick in range(40):
        done = simulate_tick(context.uow, context.secret_box, context.sandbox_corps, slug=tenant.slug, now=START + 5 * tick, seed=11,
                             enqueue_fetch=context.tasks["fetch_wecom_change"])
        outcomes.append(done.outcome if done else "")
    assert any(": create, fetch queued" in o for o in outcomes)
    code = group_codes.get_group_code(context.uow(), admin, code.id)
    [room] = code.chat_ids[6:]
    assert corp.group_chats[room]["name"] == "直播粉丝福利群7" and code.live_chat_ids == (room,) and code.exhausted_at is None
    assert corp.join_ways[code.config_id]["chat_id_list"] == [room]
    pool = {p.chat_id: p for p in group_codes.pool_of(context.uow(), admin, code)}
    assert pool[room].members == len(corp.group_chats[room]["member_list"]) > 2  # later customers went into the listed room
