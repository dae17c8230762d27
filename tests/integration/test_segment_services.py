"""Saved segments: checked on save, unique names, one segment per kept tag, no deleting a segment in use."""

from __future__ import annotations

import pytest

from siyu.bootstrap import Context
from siyu.domain.access import Role
from siyu.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from siyu.domain.paging import PageRequest
from siyu.services import segments, tags
from tests import factories


def _rule(**condition: object) -> dict:
    return {"groups": [{"conditions": [condition]}]}


def test_a_segment_is_saved_checked_renamed_and_kept_to_its_tenant(context: Context) -> None:
    _, admin = factories.tenant(context)
    vip = tags.create_tag(context.uow(), admin, group="价值", name="VIP")
    made = segments.create_segment(context.uow(), admin, name=" 高价值 ", rule=_rule(kind="tags", op="any", value=[vip.id]),
                                   description="买过很多次")
    assert (made.name, made.description, made.rule.to_dict()) == \
        ("高价值", "买过很多次", _rule(kind="tags", op="any", value=[vip.id]))
    with pytest.raises(Conflict) as caught:
        segments.create_segment(context.uow(), admin, name="高价值", rule=_rule(kind="rfm", op="in", value=["loyal"]))
    assert caught.value.code == "segment.name_taken"
    with pytest.raises(InvalidInput) as caught:  # a tag the tenant does not have: refused, nothing saved
        segments.create_segment(context.uow(), admin, name="别的", rule=_rule(kind="tags", op="any", value=[vip.id + 999]))
    assert (caught.value.code, caught.value.field) == ("segment.unknown_reference", "groups[0].conditions[0]")
    renamed = segments.update_segment(context.uow(), admin, made.id, name="核心客户")
    assert renamed.name == "核心客户" and renamed.rule == made.rule
    assert [s.name for s in segments.list_segments(context.uow(), admin, PageRequest()).items] == ["核心客户"]

    _, other = factories.tenant(context)
    with pytest.raises(NotFound):
        segments.get_segment(context.uow(), other, made.id)
    store = factories.store(context, admin)
    member = factories.member(context, admin, store_id=store.id)
    guide = factories.user_actor(context, admin, role=Role.GUIDE, staff_id=member.id, store_id=store.id)
    with pytest.raises(PermissionDenied):
        segments.delete_segment(context.uow(), guide, made.id)


def test_a_segment_in_use_or_a_kept_tag_taken_is_a_conflict(context: Context) -> None:
    _, admin = factories.tenant(context)
    kept = tags.create_tag(context.uow(), admin, group="智能", name="沉睡")
    base = segments.create_segment(context.uow(), admin, name="沉睡客户", rule=_rule(kind="rfm", op="in", value=["hibernating"]),
                                   materialise_as_tag_id=kept.id)
    with pytest.raises(Conflict) as caught:
        segments.create_segment(context.uow(), admin, name="也要这个标签", rule=_rule(kind="rfm", op="in", value=["new"]),
                                materialise_as_tag_id=kept.id)
    assert caught.value.code == "segment.tag_taken"
    with pytest.raises(NotFound) as missing:
        segments.update_segment(context.uow(), admin, base.id, materialise_as_tag_id=kept.id + 999)
    assert missing.value.code == "tag.not_found"
    user = segments.create_segment(context.uow(), admin, name="沉睡之外", rule=_rule(kind="segment", op="not_in", value=base.id))
    with pytest.raises(InvalidInput) as caught:  # base may not now refer back to the segment that refers to it
        segments.update_segment(context.uow(), admin, base.id, rule=_rule(kind="segment", op="in", value=user.id))
    assert caught.value.code == "segment.cycle"
    with pytest.raises(Conflict) as caught:
        segments.delete_segment(context.uow(), admin, base.id)
    assert (caught.value.code, caught.value.params["name"]) == ("segment.in_use", "沉睡之外")
    segments.delete_segment(context.uow(), admin, user.id)
    segments.delete_segment(context.uow(), admin, base.id)
    assert segments.list_segments(context.uow(), admin, PageRequest()).items == []
