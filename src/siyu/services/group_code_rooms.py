"""Rooms WeCom makes for a group code (``auto_create_room``): when every group listed on a code's
join way is full, WeCom creates ``room_base_name`` + a number itself and says so with a
``change_external_chat`` create callback. Siyu adopts such a room into the code's pool (last)
when that callback's queued fetch has read the group (:func:`adopt_in`, called by
:func:`siyu.services.wecom_chat_events.fetch_chat_change`), and re-lists the code at once, so
the room is counted, shown and listed like any pool group.

Which code (:func:`siyu.domain.group_codes.adopters`): the one whose ``state`` a member joined by
(``groupchat/get`` gives each member's join-way state), else the one whose room name pattern
matches and whose pool has a group of the room's owner. A room claimed by two codes, or a code
whose pool is full (``POOL_MAX``), is left alone, with a warning in the log; a person can still
add it to a pool by hand.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from siyu.adapters.channels.models import GroupChat
from siyu.adapters.channels.port import Channel
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.errors import ChannelError
from siyu.domain.group_codes import POOL_MAX, GroupCode, NewRoom, adopters
from siyu.services import group_codes

log = structlog.get_logger("siyu.group_codes")


def adopt_in(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, chat: GroupChat, *, now: datetime) -> str:
    """Inside the fetch's unit of work (the group's row already written): adopt the room into the
    code that claims it. Returns a line for the task's outcome, or "" when the room is no code's."""
    codes = uow.group_codes.live(tenant_id)
    holder = next((c for c in codes if chat.chat_id in c.chat_ids), None)
    if holder is not None:
        return f"already in the pool of group code {holder.id}"
    room = NewRoom(chat_id=chat.chat_id, name=chat.name, owner=chat.owner, states=frozenset(m.state for m in chat.member_list if m.state))

    def pool_owners(code: GroupCode) -> frozenset[str]:
        rows = uow.group_codes.chats(tenant_id, list(code.chat_ids))
        return frozenset(r["owner_userid"] for r in rows.values() if r["owner_userid"])

    claiming, rule = adopters(codes, room, pool_owners)
    if not claiming:
        return ""
    if len(claiming) > 1:
        ids = [c.id for c in claiming]
        log.warning("group code room ambiguous", tenant_id=tenant_id, chat_id=chat.chat_id, rule=rule, group_code_ids=ids)
        return f"claimed by group codes {', '.join(map(str, ids))} (by {rule}): not adopted"
    code = uow.group_codes.get(tenant_id, claiming[0].id, for_update=True)
    if code is None or code.archived_at is not None:
        return ""
    if chat.chat_id in code.chat_ids:
        return f"already in the pool of group code {code.id}"
    if len(code.chat_ids) >= POOL_MAX:
        log.warning("group code pool full", tenant_id=tenant_id, chat_id=chat.chat_id, group_code_id=code.id, pool_max=POOL_MAX)
        return f"group code {code.id}'s pool is full ({POOL_MAX} groups): not adopted"
    uow.group_codes.update(tenant_id, code.id, now=now, chat_ids=[*code.chat_ids, chat.chat_id])
    log.info("group code room adopted", tenant_id=tenant_id, chat_id=chat.chat_id, group_code_id=code.id, rule=rule)
    try:
        group_codes.relist_in(uow, channel, tenant_id, code.id, now)
    except ChannelError as failed:  # the pool keeps the room; the worker's re-check lists it
        log.warning("group code re-list failed", tenant_id=tenant_id, group_code_id=code.id, errcode=failed.errcode)
        return f"adopted by group code {code.id} (by {rule}); re-listing left to the re-check"
    return f"adopted by group code {code.id} (by {rule})"
