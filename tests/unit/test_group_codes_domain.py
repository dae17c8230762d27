"""Group live codes: which groups the code lists, worked by hand from member counts."""

from __future__ import annotations

import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.group_codes import GroupCode, GroupCodeDraft


def _code(pool: list[str], *, threshold: int = 190, live: tuple[str, ...] = (), auto: bool = False) -> GroupCode:
    return GroupCode(id=1, channel_id=1, name="门店群", state="gc-store", chat_ids=tuple(pool), threshold=threshold,
                     auto_create_room=auto, room_base_name="门店群" if auto else "", room_base_id=None, live_chat_ids=live)


POOL = [f"wr{i}" for i in range(1, 9)]  # wr1 .. wr8


def test_the_first_five_open_groups_in_pool_order_are_listed():
    members = {"wr1": 190, "wr2": 189, "wr3": 12, "wr4": 200, "wr5": 0, "wr6": 100, "wr7": 150, "wr8": 1}
    # open (< 190): wr2, wr3, wr5, wr6, wr7, wr8 -> the first five
    assert _code(POOL).rotate(members).live == ("wr2", "wr3", "wr5", "wr6", "wr7")
    assert not _code(POOL).rotate(members).exhausted


def test_a_group_reaching_the_threshold_is_replaced_by_the_next_in_the_pool():
    before = {"wr1": 189, "wr2": 10, "wr3": 10, "wr4": 10, "wr5": 10, "wr6": 10, "wr7": 10, "wr8": 10}
    assert _code(POOL).rotate(before).live == ("wr1", "wr2", "wr3", "wr4", "wr5")
    after = {**before, "wr1": 190}  # one more customer joined wr1
    assert _code(POOL).rotate(after).live == ("wr2", "wr3", "wr4", "wr5", "wr6")


def test_a_group_people_left_comes_back_in_its_place():
    members = {"wr1": 190, "wr2": 195, "wr3": 50}
    assert _code(POOL[:3]).rotate(members).live == ("wr3",)
    members["wr1"] = 187  # three left
    assert _code(POOL[:3]).rotate(members).live == ("wr1", "wr3")


def test_a_group_siyu_has_no_row_for_is_skipped():
    assert _code(["wr1", "wrGone", "wr3"]).rotate({"wr1": 5, "wr3": 5}).live == ("wr1", "wr3")


def test_an_exhausted_pool_keeps_the_groups_it_lists():
    full = {"wr1": 190, "wr2": 199, "wr3": 200}
    rotation = _code(POOL[:3], live=("wr2", "wr3")).rotate(full)
    assert rotation.exhausted and rotation.live == ("wr2", "wr3")
    fresh = _code(POOL[:3]).rotate(full)  # never listed anything: its last known groups
    assert fresh.exhausted and fresh.live == ("wr1", "wr2", "wr3")


def test_threshold_is_per_code_and_bounded_by_the_group_limit():
    assert _code(POOL[:2], threshold=50).rotate({"wr1": 50, "wr2": 49}).live == ("wr2",)
    with pytest.raises(InvalidInput) as too_high:
        GroupCodeDraft.parse(channel_id=1, name="a", state="gc-a", chat_ids=["wr1"], threshold=201)
    assert too_high.value.code == "group_code.bad_threshold"
    upgraded = GroupCodeDraft.parse(channel_id=1, name="a", state="gc-a", chat_ids=["wr1"], threshold=480, members_max=500)
    assert upgraded.threshold == 480


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"chat_ids": []}, "group_code.no_chats"),
    ({"chat_ids": ["wr1", "wr1"]}, "group_code.chat_twice"),
    ({"chat_ids": [f"wr{i}" for i in range(101)]}, "group_code.too_many_chats"),
    ({"auto_create_room": True, "room_base_name": " "}, "group_code.no_room_name"),
    ({"state": "has space"}, "channel.invalid_state"),
])
def test_a_draft_that_breaks_a_rule_is_refused(kwargs, code):
    fields = {"channel_id": 1, "name": "门店群", "state": "gc-a", "chat_ids": ["wr1"], **kwargs}
    with pytest.raises(InvalidInput) as refused:
        GroupCodeDraft.parse(**fields)
    assert refused.value.code == code


def test_room_base_id_is_kept_only_with_auto_create():
    assert GroupCodeDraft.parse(channel_id=1, name="a", state="gc-a", chat_ids=["wr1"], room_base_id=3).room_base_id is None
    made = GroupCodeDraft.parse(channel_id=1, name="a", state="gc-a", chat_ids=["wr1"], auto_create_room=True,
                                room_base_name="会员群", room_base_id=3)
    assert (made.room_base_name, made.room_base_id) == ("会员群", 3)


def test_a_dismissed_group_is_never_listed_even_with_room_to_spare():
    members = {"wr1": 10, "wr2": 20, "wr3": 30, "wr4": 40, "wr5": 50, "wr6": 60, "wr7": 70, "wr8": 80}
    listed = ("wr1", "wr2", "wr3", "wr4", "wr5")
    # wr2 dismissed (20 members, far from full): the next open group, wr6, takes its place
    rotation = _code(POOL, live=listed).rotate(members, frozenset({"wr2"}))
    assert rotation.live == ("wr1", "wr3", "wr4", "wr5", "wr6") and not rotation.exhausted


def test_an_exhausted_pool_drops_a_dismissed_group_from_the_groups_it_keeps():
    full = {"wr1": 190, "wr2": 199, "wr3": 200}
    # listed wr2, wr3, all full; wr3 dismissed: only wr2 is kept
    rotation = _code(POOL[:3], live=("wr2", "wr3")).rotate(full, frozenset({"wr3"}))
    assert rotation.exhausted and rotation.live == ("wr2",)
    # listed only wr3, now dismissed: falls back to the pool's known groups but wr3 (wr1, wr2)
    assert _code(POOL[:3], live=("wr3",)).rotate(full, frozenset({"wr3"})).live == ("wr1", "wr2")
    # every group dismissed: nothing to list
    gone = _code(POOL[:3], live=("wr2", "wr3")).rotate(full, frozenset(POOL[:3]))
    assert gone.exhausted and gone.live == ()


def test_a_dismissed_group_is_not_open_whatever_its_members():
    assert not _code(["wr1"]).is_open("wr1", {"wr1": 3}, frozenset({"wr1"}))
    assert _code(["wr1"]).is_open("wr1", {"wr1": 3})
