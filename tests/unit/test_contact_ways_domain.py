"""Rotation rules of a contact way, on a frozen clock (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siyu.domain.contact_ways import ContactWay, ContactWayDraft, Rotation, StaffRule, WayKind, fill
from siyu.domain.errors import InvalidInput

# Wednesday 2026-12-02 10:30 in Shanghai (02:30 UTC)
WED_1030 = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
# Saturday 2026-12-05 22:15 in Shanghai
SAT_2215 = datetime(2026, 12, 5, 14, 15, tzinfo=UTC)


def way(*rules: StaffRule, rotation: Rotation = Rotation.ROUND_ROBIN) -> ContactWay:
    return ContactWay(id=1, channel_id=1, name="门店海报", state="poster", kind=WayKind.MULTI, rotation=rotation, staff=rules,
                      skip_verify=True, tag_ids=(), remark_template=None, stage_id=None)


def test_round_robin_takes_turns_by_adds_today():
    w = way(StaffRule(1), StaffRule(2), StaffRule(3))
    adds: dict[int, int] = {}
    picks = []
    for _ in range(6):
        picked = w.pick_staff(WED_1030, adds)
        picks.append(picked)
        adds[picked] = adds.get(picked, 0) + 1
    assert picks == [1, 2, 3, 1, 2, 3]


def test_weighted_rotation_gives_adds_in_proportion_to_weights():
    w = way(StaffRule(1, weight=3), StaffRule(2, weight=1), rotation=Rotation.WEIGHTED)
    adds: dict[int, int] = {}
    for _ in range(40):
        picked = w.pick_staff(WED_1030, adds)
        adds[picked] = adds.get(picked, 0) + 1
    assert adds == {1: 30, 2: 10}


def test_contact_way_skips_staff_over_daily_cap():
    w = way(StaffRule(1, daily_cap=2), StaffRule(2))
    assert w.pick_staff(WED_1030, {1: 0, 2: 5}) == 1
    assert w.pick_staff(WED_1030, {1: 2, 2: 5}) == 2
    assert [r.staff_id for r in w.eligible(WED_1030, {1: 2})] == [2]


def test_contact_way_skips_staff_off_their_weekdays_and_hours():
    weekday_days = StaffRule(1, weekdays=(0, 1, 2, 3, 4), start_hour=9, end_hour=18)
    weekend_nights = StaffRule(2, weekdays=(5, 6), start_hour=20, end_hour=24)
    w = way(weekday_days, weekend_nights)
    assert w.pick_staff(WED_1030, {1: 10, 2: 0}) == 1  # 2 is off schedule although less busy
    assert w.pick_staff(SAT_2215, {1: 0, 2: 10}) == 2
    # the hour is Shanghai's: 10:30 there is 02:30 UTC, outside 9-18 if read as UTC
    assert weekday_days.on_schedule(WED_1030)
    assert not weekday_days.on_schedule(datetime(2026, 12, 2, 10, 30, tzinfo=UTC))  # 18:30 in Shanghai


def test_fallback_staff_take_over_when_everyone_is_capped_or_off_schedule():
    w = way(StaffRule(1, daily_cap=1), StaffRule(2, start_hour=0, end_hour=8), StaffRule(9, fallback=True, daily_cap=1))
    assert w.pick_staff(WED_1030, {1: 0}) == 1
    assert w.pick_staff(WED_1030, {1: 1}) == 9
    assert w.pick_staff(WED_1030, {1: 1, 9: 7}) == 9  # a fallback's own cap does not close the code


def test_fallback_staff_wait_while_someone_is_eligible():
    w = way(StaffRule(1), StaffRule(9, fallback=True))
    assert w.pick_staff(WED_1030, {1: 100, 9: 0}) == 1


def test_without_fallback_the_least_busy_keeps_the_code():
    w = way(StaffRule(1, daily_cap=3), StaffRule(2, daily_cap=3))
    assert w.pick_staff(WED_1030, {1: 3, 2: 4}) == 1


def test_draft_refuses_rules_that_cannot_work():
    with pytest.raises(InvalidInput) as caught:
        ContactWayDraft.parse(channel_id=1, name="x", state="s", kind="single", staff=[StaffRule(1), StaffRule(2)])
    assert caught.value.code == "contact_way.single_one_staff"
    with pytest.raises(InvalidInput) as caught:
        ContactWayDraft.parse(channel_id=1, name="x", state="s", staff=[StaffRule(1, fallback=True)])
    assert caught.value.code == "contact_way.only_fallback"
    with pytest.raises(InvalidInput) as caught:
        StaffRule.parse(staff_id=1, start_hour=18, end_hour=9)
    assert caught.value.code == "contact_way.bad_hours"
    with pytest.raises(InvalidInput) as caught:
        ContactWayDraft.parse(channel_id=1, name="x", state="这不是代码", staff=[StaffRule(1)])
    assert caught.value.code == "channel.invalid_state"


def test_remark_template_fills_names_and_keeps_wecoms_20_characters():
    w = ContactWay(id=1, channel_id=1, name="x", state="s", kind=WayKind.SINGLE, rotation=Rotation.ROUND_ROBIN,
                   staff=(StaffRule(1),), skip_verify=True, tag_ids=(), remark_template="{channel_name}-{customer_name}",
                   stage_id=None)
    assert w.fill_remark(customer_name="王小明", staff_name="李", channel_name="抖音") == "抖音-王小明"
    assert len(w.fill_remark(customer_name="王" * 30, staff_name="李", channel_name="抖音") or "") == 20
    assert fill("{x} {staff_name}", customer_name="a", staff_name="b") == "{x} b"
