"""Profile.parse: what is left, what is set and what is cleared."""

from __future__ import annotations

import pytest

from siyu.domain.customers import Gender, Profile
from siyu.domain.errors import InvalidInput


def test_named_columns_are_cleared_and_the_rest_left() -> None:
    profile = Profile.parse(region="杭州", clear=["birthday", "gender"])
    assert profile.values() == {"region": "杭州", "birthday": None, "gender": Gender.UNKNOWN}


def test_a_name_cannot_be_cleared_nor_a_column_set_and_cleared_at_once() -> None:
    with pytest.raises(InvalidInput) as no_name:
        Profile.parse(clear=["name"])
    assert (no_name.value.code, no_name.value.field, no_name.value.params) == ("customer.not_clearable", "name", {"column": "name"})
    with pytest.raises(InvalidInput) as both:
        Profile.parse(region="上海", clear=["region"])
    assert (both.value.code, both.value.field) == ("customer.clear_with_value", "region")
