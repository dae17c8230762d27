"""Member levels: an ordered list, names unique, a threshold that is one of them."""

from __future__ import annotations

import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.member_levels import MAX_LEVELS, MemberLevels


def test_levels_from_the_threshold_up_count_as_loyal() -> None:
    levels = MemberLevels.parse([" 普通 ", "", "银卡", "金卡", "黑金"], "金卡")
    assert levels.names == ("普通", "银卡", "金卡", "黑金")  # trimmed, blank lines dropped
    assert levels.loyal == ("金卡", "黑金")
    assert levels.is_loyal("黑金") and not levels.is_loyal("银卡") and not levels.is_loyal("钻石") and not levels.is_loyal(None)
    assert MemberLevels.parse(["普通", "银卡"], "").loyal == ()


@pytest.mark.parametrize(("names", "loyal_from", "code"), [
    (["金卡", "银卡", "金卡"], None, "member_level.duplicate"),
    (["普通", "银卡"], "金卡", "member_level.unknown_threshold"),
    ([f"L{i}" for i in range(MAX_LEVELS + 1)], None, "member_level.too_many"),
    (["超" * 33], None, "member_level.name_too_long"),
])
def test_bad_level_lists_are_refused(names: list[str], loyal_from: str | None, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        MemberLevels.parse(names, loyal_from)
    assert refused.value.code == code


def test_a_level_picked_by_hand_is_listed_or_the_current_one() -> None:
    levels = MemberLevels.parse(["银卡", "金卡"], None)
    levels.check_choice("金卡", current=None)
    levels.check_choice(None, current="黑卡")  # clearing
    levels.check_choice("黑卡", current="黑卡")  # kept as the mall set it
    with pytest.raises(InvalidInput) as refused:
        levels.check_choice("黑卡", current="金卡")
    assert (refused.value.code, refused.value.field) == ("member_level.unknown", "member_level")
