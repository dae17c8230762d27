"""Which group code claims a room WeCom made (auto_create_room), worked by hand: a member's
join-way state first, else the room name pattern and the owner's groups in the pool."""

from __future__ import annotations

from datetime import UTC, datetime

from siyu.domain.group_codes import GroupCode, NewRoom, adopters, room_number


def _code(code_id: int, state: str, *, base: str = "福利群", base_id: int | None = 10, auto: bool = True, pool: tuple[str, ...] = ("wrA",),
          archived: bool = False) -> GroupCode:
    return GroupCode(id=code_id, channel_id=1, name=f"码{code_id}", state=state, chat_ids=pool, threshold=190, auto_create_room=auto,
                     room_base_name=base, room_base_id=base_id, config_id=f"jw{code_id}",
                     archived_at=datetime(2026, 1, 1, tzinfo=UTC) if archived else None)


def _room(name: str, *, owner: str = "zhangsan", states: tuple[str, ...] = ()) -> NewRoom:
    return NewRoom(chat_id="wrNew", name=name, owner=owner, states=frozenset(states))


OWNERS = {1: frozenset({"zhangsan"}), 2: frozenset({"lisi"}), 3: frozenset({"zhangsan"})}


def _owners(code: GroupCode) -> frozenset[str]:
    return OWNERS.get(code.id, frozenset())


def test_a_room_is_numbered_from_the_base_id_on():
    code = _code(1, "gc-a", base_id=10)
    assert [room_number(code, n) for n in ("福利群10", "福利群11", "福利群9", "福利群", "福利群10a", "别的群10", "福利群 12")] == [
        10, 11, None, None, None, None, None]
    assert room_number(_code(1, "gc-a", base_id=None), "福利群0") == 0  # no base id: any number
    assert room_number(_code(1, "gc-a", auto=False), "福利群12") is None  # WeCom makes rooms only with auto_create_room


def test_a_member_s_state_names_the_code_before_any_name_does():
    codes = [_code(1, "gc-a"), _code(2, "gc-b", base="别的群")]
    claimed, rule = adopters(codes, _room("福利群12", states=("gc-b",)), _owners)
    assert ([c.id for c in claimed], rule) == ([2], "state")
    claimed, rule = adopters(codes, _room("群聊", states=("gc-b",), owner="wangwu"), _owners)
    assert [c.id for c in claimed] == [2]  # the state alone is enough: the name and owner are not asked


def test_without_a_state_the_name_and_an_owner_with_a_pool_group_decide():
    codes = [_code(1, "gc-a"), _code(2, "gc-b", base="别的群")]
    assert [c.id for c in adopters(codes, _room("福利群12"), _owners)[0]] == [1]
    assert adopters(codes, _room("福利群12", owner="lisi"), _owners)[0] == ()  # lisi owns no group of code 1's pool
    assert adopters(codes, _room("福利群8"), _owners)[0] == ()  # under room_base_id
    assert adopters(codes, _room("福利群12", states=("gc-other",)), _owners)[0][0].id == 1  # a state no code has: by name


def test_two_codes_claiming_a_room_is_ambiguous_and_archived_codes_claim_nothing():
    same_base = [_code(1, "gc-a"), _code(3, "gc-c")]
    claimed, rule = adopters(same_base, _room("福利群12"), _owners)
    assert sorted(c.id for c in claimed) == [1, 3] and rule == "name"
    prefix = [_code(1, "gc-a", base="福利群"), _code(3, "gc-c", base="福利群1", base_id=0)]  # "福利群12" is 福利群+12 and 福利群1+2
    assert len(adopters(prefix, _room("福利群12"), _owners)[0]) == 2
    assert adopters([_code(1, "gc-a", archived=True)], _room("福利群12", states=("gc-a",)), _owners)[0] == ()
