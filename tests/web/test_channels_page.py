"""Channels and their costs through the console's pages and forms."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from siyu.domain.access import Role
from siyu.domain.channels import ChannelDraft, CostDraft
from siyu.services import channels

from .conftest import Browser, Org


def _channel(org: Org, name: str, state: str, group: str | None = None):  # type: ignore[no-untyped-def]
    return channels.create_channel(org.context.uow(), org.system, ChannelDraft.parse(name=name, state=state, group_name=group))


def test_create_a_channel_through_the_form(signed_in: Browser, org: Org) -> None:
    owner = org.member("渠道负责人", store=org.store())
    form = signed_in.get("/channels/new")
    assert form.status_code == 200 and "渠道负责人" in form.text
    response = signed_in.post("/channels/new", {"name": "小红书笔记", "state": "ch-xhs", "group_name": "线上",
                                                "owner_staff_id": str(owner.id)})
    assert response.status_code == 303 and response.headers["location"] == "/channels"
    [channel] = channels.list_channels(org.context.uow(), org.system).items
    assert (channel.name, channel.state, channel.group_name, channel.owner_staff_id) == ("小红书笔记", "ch-xhs", "线上", owner.id)
    listing = signed_in.get("/channels")
    assert "已创建渠道“小红书笔记”。" in listing.text and "ch-xhs" in listing.text and "使用中" in listing.text
    assert 'href="/channels"' in listing.text and "渠道" in listing.text  # in the navigation


def test_channel_form_errors_are_translated_and_keep_the_input(signed_in: Browser, org: Org) -> None:
    _channel(org, "抖音直播", "ch-dy")
    bad_code = signed_in.post("/channels/new", {"name": "微博", "state": "坏 编码", "group_name": "社交"})
    assert bad_code.status_code == 422
    assert "渠道编码为 1-30 位字母、数字或 _ - . :" in bad_code.text and 'aria-invalid="true"' in bad_code.text
    assert 'value="微博"' in bad_code.text and 'value="坏 编码"' in bad_code.text and 'value="社交"' in bad_code.text
    taken = signed_in.post("/channels/new", {"name": "抖音直播", "state": "ch-dy2"})
    assert taken.status_code == 409 and "已有渠道使用这个名称" in taken.text and 'value="ch-dy2"' in taken.text
    assert channels.list_channels(org.context.uow(), org.system).total == 1


def test_edit_archive_and_restore_a_channel(signed_in: Browser, org: Org) -> None:
    channel = _channel(org, "线下海报", "ch-poster")
    form = signed_in.get(f"/channels/{channel.id}/edit")
    assert 'value="线下海报"' in form.text and 'value="ch-poster"' in form.text
    assert signed_in.post(f"/channels/{channel.id}/edit", {"name": "门店海报", "state": "ch-poster"}).status_code == 303
    assert channels.get_channel(org.context.uow(), org.system, channel.id).name == "门店海报"

    assert signed_in.post(f"/channels/{channel.id}/archive").status_code == 303
    assert channels.get_channel(org.context.uow(), org.system, channel.id).archived_at is not None
    listing = signed_in.get("/channels")
    assert "已归档渠道“门店海报”。" in listing.text and "ch-poster" not in listing.text
    archived = signed_in.get("/channels?archived=1")
    assert "ch-poster" in archived.text and "恢复" in archived.text
    assert signed_in.post(f"/channels/{channel.id}/restore").status_code == 303
    assert channels.get_channel(org.context.uow(), org.system, channel.id).archived_at is None


def test_channel_list_searches_filters_by_group_and_pages(signed_in: Browser, org: Org) -> None:
    for number in range(23):
        _channel(org, f"线上渠道{number:02d}", f"on-{number:02d}", group="线上")
    _channel(org, "门店活动", "off-1", group="线下")
    first = signed_in.get("/channels?group=线上")
    assert "第 1 / 2 页，共 23 条" in first.text and "门店活动" not in first.text
    second = signed_in.get("/channels?group=线上&page=2")
    assert set(re.findall(r"线上渠道\d\d", second.text)) == {"线上渠道20", "线上渠道21", "线上渠道22"}
    partial = signed_in.get("/channels?q=off", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div class="table-wrap">') and "<html" not in partial.text
    assert "门店活动" in partial.text and "线上渠道00" not in partial.text


def test_enter_edit_and_delete_costs_with_the_services_errors_on_the_form(signed_in: Browser, org: Org) -> None:
    channel = _channel(org, "朋友圈广告", "ch-moments")
    page = signed_in.get(f"/channels/{channel.id}/costs")
    assert page.status_code == 200 and "暂无费用" in page.text
    added = signed_in.post(f"/channels/{channel.id}/costs",
                           {"period_start": "2026-11-01", "period_end": "2026-11-30", "amount": "8000.00", "note": "十一月"})
    assert added.status_code == 303
    [cost] = channels.list_costs(org.context.uow(), org.system, channel.id).items
    assert (cost.period_start, cost.period_end, cost.amount, cost.note) == (date(2026, 11, 1), date(2026, 11, 30), Decimal("8000.00"), "十一月")
    assert "8000.00" in signed_in.get(f"/channels/{channel.id}/costs").text

    typed = {"period_start": "2026-11-15", "period_end": "2026-12-15", "amount": "1234.50", "note": "重叠的"}
    overlap = signed_in.post(f"/channels/{channel.id}/costs", typed)
    assert overlap.status_code == 409
    assert "该渠道已有 2026-11-01 至 2026-11-30 的费用；周期不能重叠" in overlap.text
    assert all(f'value="{value}"' in overlap.text for value in typed.values())
    bad_date = signed_in.post(f"/channels/{channel.id}/costs", {**typed, "period_start": "2026-13-01"})
    assert bad_date.status_code == 422 and "“2026-13-01”不是有效日期（YYYY-MM-DD）" in bad_date.text
    assert 'value="2026-13-01"' in bad_date.text and 'value="1234.50"' in bad_date.text
    reversed_period = signed_in.post(f"/channels/{channel.id}/costs", {**typed, "period_start": "2026-12-20"})
    assert reversed_period.status_code == 422 and "结束日期早于开始日期" in reversed_period.text
    assert channels.list_costs(org.context.uow(), org.system, channel.id).total == 1

    form = signed_in.get(f"/channels/{channel.id}/costs/{cost.id}/edit")
    assert 'value="8000.00"' in form.text and 'value="十一月"' in form.text
    edited = signed_in.post(f"/channels/{channel.id}/costs/{cost.id}/edit",
                            {"period_start": "2026-11-01", "period_end": "2026-11-30", "amount": "9000", "note": ""})
    assert edited.status_code == 303
    assert channels.get_cost(org.context.uow(), org.system, channel.id, cost.id).amount == Decimal("9000.00")
    assert signed_in.post(f"/channels/{channel.id}/costs/{cost.id}/delete").status_code == 303
    assert "已删除费用。" in signed_in.get(f"/channels/{channel.id}/costs").text
    assert channels.list_costs(org.context.uow(), org.system, channel.id).total == 0


def test_an_archived_channel_takes_no_costs_and_says_so(signed_in: Browser, org: Org) -> None:
    channel = _channel(org, "停用渠道", "ch-old")
    channels.archive_channel(org.context.uow(), org.system, channel.id)
    refused = signed_in.post(f"/channels/{channel.id}/costs", {"period_start": "2026-11-01", "period_end": "2026-11-02", "amount": "1"})
    assert refused.status_code == 409 and "该渠道已归档" in refused.text and 'value="2026-11-02"' in refused.text


def test_who_sees_channels_and_costs(browser: Browser, org: Org) -> None:
    channel = _channel(org, "社群裂变", "ch-group")
    channels.add_cost(org.context.uow(), org.system, channel.id,
                      CostDraft.parse(period_start=date(2026, 11, 1), period_end=date(2026, 11, 2), amount="77.70"))
    manager = org.user(Role.STORE_MANAGER, member=org.member(role=Role.STORE_MANAGER, store=org.store()))
    assert browser.sign_in(manager.login).status_code == 303
    listing = browser.get("/channels")
    assert listing.status_code == 200 and "社群裂变" in listing.text
    assert "新建渠道" not in listing.text and f"/channels/{channel.id}/costs" not in listing.text
    assert browser.get(f"/channels/{channel.id}/costs").status_code == 403
    assert browser.get("/channels/new").status_code == 403
    assert browser.post(f"/channels/{channel.id}/archive").status_code == 403
    assert channels.get_channel(org.context.uow(), org.system, channel.id).archived_at is None
