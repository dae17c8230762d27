"""Group live codes (群活码): one QR code that takes customers into a channel's customer groups,
moving on to the next group as each fills.

WeCom shows the groups listed on the code's join way (at most 5) and fills them itself; it
knows nothing of Siyu's pool or of a fill threshold. So Siyu keeps the list right:
:meth:`GroupCode.rotate` names the groups the code should list now, from the groups' member
counts, and the service re-lists them (``update_join_way``) when that changes.

Rules:

1. A group is *open* while its members (staff included: WeCom's limit counts everyone) are
   under the code's threshold (default 190 of a customer group's 200; an upgraded group holds
   500, the ``group_members_max`` setting). A group Siyu has no row for (not synced yet) is not
   open.
2. The code lists the first 5 open groups in pool order. A group whose members fall back under
   the threshold (people left) is open again and comes back in its place.
3. No open group: the pool is *exhausted*. With ``auto_create_room`` the code keeps listing its
   last groups, so WeCom fills them to the limit and then makes new groups itself
   (``room_base_name`` + ``room_base_id``); without it the console warns and a notification goes
   out, and the code keeps its last groups (better a nearly full group than a dead code).
4. A room WeCom made for a code (``auto_create_room``) is *adopted* into the code's pool, last,
   when its create callback is fetched (:func:`adopters`): the code whose ``state`` a member
   joined by, else the code whose ``room_base_name`` + a number (not under ``room_base_id``)
   names it and whose pool has a group of the room's owner. Two codes claiming it, or a full
   pool (``POOL_MAX``): not adopted (logged); a person adds it to the pool by hand.
5. A *dismissed* group (WeCom's ``dismiss`` callback: the group is gone there) is never open and
   never listed again, not even by an exhausted pool: it leaves the list at the next re-check.
   A pool whose every group is dismissed lists nothing; WeCom needs 1 to 5 groups on a join
   way, so the service leaves the join way as it was and the console shows the pool exhausted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from siyu.domain.channels import clean_state
from siyu.domain.errors import InvalidInput
from siyu.domain.organisation import clean_name

LIVE_CHATS_MAX = 5  # WeCom: at most 5 groups on a join way
POOL_MAX = 100
GROUP_MEMBERS_MAX = 200  # a customer group's limit; an upgraded group: 500 (settings.group_members_max)
UPGRADED_GROUP_MEMBERS_MAX = 500
DEFAULT_THRESHOLD = 190
ROOM_BASE_NAME_MAX = 40
_ROOM_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True, slots=True)
class GroupCodeDraft:
    """What a person enters for a group code; checked here, before anything is stored or sent."""

    channel_id: int
    name: str
    state: str
    chat_ids: tuple[str, ...]
    threshold: int = DEFAULT_THRESHOLD
    auto_create_room: bool = False
    room_base_name: str = ""
    room_base_id: int | None = None

    @classmethod
    def parse(cls, *, channel_id: int, name: str, state: str, chat_ids: list[str] | tuple[str, ...], threshold: int = DEFAULT_THRESHOLD,
              auto_create_room: bool = False, room_base_name: str = "", room_base_id: int | None = None,
              members_max: int = GROUP_MEMBERS_MAX) -> GroupCodeDraft:
        pool = tuple(c.strip() for c in chat_ids if c.strip())
        if not pool:
            raise InvalidInput("group_code.no_chats", "a group code needs at least one customer group", field="chat_ids")
        if len(set(pool)) != len(pool):
            raise InvalidInput("group_code.chat_twice", "a customer group is in the pool twice", field="chat_ids")
        if len(pool) > POOL_MAX:
            raise InvalidInput("group_code.too_many_chats", "at most %(max)s customer groups in a pool", field="chat_ids", max=POOL_MAX)
        if not 1 <= threshold <= members_max:
            raise InvalidInput("group_code.bad_threshold", "a group counts as full at 1 to %(max)s members", field="threshold",
                               max=members_max)
        base_name = room_base_name.strip()
        if auto_create_room and not base_name:
            raise InvalidInput("group_code.no_room_name", "name the groups WeCom should create when the pool is full",
                               field="room_base_name")
        if len(base_name) > ROOM_BASE_NAME_MAX:
            raise InvalidInput("name.too_long", "at most %(max)s characters", field="room_base_name", max=ROOM_BASE_NAME_MAX)
        if room_base_id is not None and room_base_id < 0:
            raise InvalidInput("form.whole_number", "enter a whole number", field="room_base_id")
        return cls(channel_id, clean_name(name), clean_state(state), pool, threshold, auto_create_room, base_name,
                   room_base_id if auto_create_room else None)


@dataclass(frozen=True, slots=True)
class Rotation:
    """The groups the code should list now, and whether the pool has run out of open groups."""

    live: tuple[str, ...]
    exhausted: bool


@dataclass(frozen=True, slots=True)
class GroupCode:
    id: int
    channel_id: int
    name: str
    state: str
    chat_ids: tuple[str, ...]  # the pool, in the order groups are used
    threshold: int
    auto_create_room: bool
    room_base_name: str
    room_base_id: int | None
    config_id: str | None = None
    qr_code: str | None = None
    live_chat_ids: tuple[str, ...] = ()  # the groups listed on the join way now
    rotated_at: datetime | None = None
    exhausted_at: datetime | None = None  # since when no group of the pool is open (None: some are)
    archived_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def is_open(self, chat_id: str, members: dict[str, int], dismissed: frozenset[str] = frozenset()) -> bool:
        return chat_id in members and chat_id not in dismissed and members[chat_id] < self.threshold

    def rotate(self, members: dict[str, int], dismissed: frozenset[str] = frozenset()) -> Rotation:
        """The groups to list, from each group's member count and which are dismissed (see the module doc)."""
        open_chats = tuple(c for c in self.chat_ids if self.is_open(c, members, dismissed))[:LIVE_CHATS_MAX]
        if open_chats:
            return Rotation(open_chats, exhausted=False)
        pool = tuple(c for c in self.chat_ids if c not in dismissed)
        kept = tuple(c for c in self.live_chat_ids if c not in dismissed)
        known = tuple(c for c in pool if c in members)
        return Rotation(kept or known[-LIVE_CHATS_MAX:] or pool[-LIVE_CHATS_MAX:], exhausted=True)


@dataclass(frozen=True, slots=True)
class PoolChat:
    """A group of a code's pool as the console shows it: members, threshold, listed or not."""

    chat_id: str
    name: str
    members: int | None  # None: Siyu has no row for it (not synced yet)
    live: bool
    full: bool
    dismissed: bool = False  # WeCom said the group was dismissed: never listed again


@dataclass(frozen=True, slots=True)
class NewRoom:
    """A customer group WeCom just told us of (its create callback), as the adoption sees it."""

    chat_id: str
    name: str
    owner: str  # the owner's userid
    states: frozenset[str]  # the join-way states its members came in by (groupchat/get member_list[].state)


def room_number(code: GroupCode, name: str) -> int | None:
    """The number of a room WeCom would name for this code (``room_base_name`` + n, n from
    ``room_base_id`` on), or None when the name is not one of them."""
    base = code.room_base_name
    if not code.auto_create_room or not base or not name.startswith(base) or not _ROOM_NUMBER.fullmatch(name[len(base):]):
        return None
    number = int(name[len(base):])
    return number if number >= (code.room_base_id or 0) else None


def adopters(codes: Iterable[GroupCode], room: NewRoom,
             pool_owners: Callable[[GroupCode], frozenset[str]]) -> tuple[tuple[GroupCode, ...], str]:
    """The codes that claim a new room, and by which rule (``state`` or ``name``); one code: adopt
    it; none: no code's room; several: ambiguous. ``pool_owners(code)`` gives the userids owning a
    group of the code's pool (asked only of the codes the name matches)."""
    live = [c for c in codes if c.archived_at is None and c.config_id]
    by_state = tuple(c for c in live if c.state in room.states)
    if by_state:
        return by_state, "state"
    return tuple(c for c in live if room_number(c, room.name) is not None and room.owner in pool_owners(c)), "name"
