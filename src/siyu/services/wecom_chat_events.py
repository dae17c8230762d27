"""WeCom's ``change_external_chat`` callbacks, applied to Siyu's copy of the customer groups
(``wecom_group_chats``, which the sync's group step fills too; shared/reference/wecom.md).

- ``create`` and ``update`` (whatever its ``UpdateDetail``: add_member, del_member,
  change_owner, change_name, change_notice): the group is read through the ``Channel`` port
  (``groupchat/get``) after the callback was answered (:func:`fetch_chat_change`, a queued task)
  and our row added or brought up to date: name, owner, member counts.
- ``create`` only: a group WeCom made for a group code (``auto_create_room``) is adopted into
  the code's pool in the same unit of work (:func:`siyu.services.group_code_rooms.adopt_in`).
- ``dismiss``: in the callback's unit of work, the row is marked dismissed at the event's time;
  a dismissed group is not fetched again (WeCom no longer has it).

A replay finds the row as the first delivery left it (same values, same fingerprint).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from siyu.adapters.channels.models import GroupChat
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.wecom import WeComEvent
from siyu.services import group_code_rooms
from siyu.services.clock import utcnow
from siyu.services.wecom_settings import ChannelFactory, open_channel


def chat_values(chat: GroupChat, *, status: int, owner_staff_id: int | None) -> tuple[dict[str, Any], str]:
    """A group's row values as WeCom describes it, and their fingerprint (which changes when they or the members do)."""
    values = {
        "name": chat.name[:100], "owner_userid": chat.owner, "owner_staff_id": owner_staff_id, "status": status,
        "members": len(chat.member_list), "external_members": sum(1 for m in chat.member_list if m.type == 2),
        "created_in_wecom": datetime.fromtimestamp(chat.create_time, UTC) if chat.create_time else None,
    }
    payload = json.dumps([values, [m.userid for m in chat.member_list]], sort_keys=True, ensure_ascii=False, default=str)
    return values, hashlib.md5(payload.encode(), usedforsecurity=False).hexdigest()


def apply_chat_event_in(uow: SqlUnitOfWork, tenant_id: int, event: WeComEvent) -> tuple[str, str | None]:
    """(the callback log's outcome, the chat id to fetch after the answer, or None)."""
    chat_id = event.get("ChatId")
    if not chat_id:
        return "recorded (no ChatId)", None
    if event.change_type != "dismiss":
        detail = f" ({event.get('UpdateDetail')})" if event.get("UpdateDetail") else ""
        return f"group {chat_id}: {event.change_type}{detail}, fetch queued", chat_id
    existing = uow.wecom_sync.group_chat(tenant_id, chat_id)
    if existing is None:
        return f"group {chat_id}: dismissed, not known to Siyu", None
    if existing["dismissed_at"] is not None:
        return f"group {existing['id']}: dismissed (already)", None
    uow.wecom_sync.update_group_chat(tenant_id, existing["id"], dismissed_at=event.created_at)
    return f"group {existing['id']}: dismissed", None


def fetch_chat_change(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, chat_id: str, *,
                      created: bool = False) -> str:
    """After a create (``created``) or update callback: read the group from WeCom and add or update
    our row; a created group may be a room WeCom made for a group code, which adopts it."""
    with uow:
        existing = uow.wecom_sync.group_chat(tenant_id, chat_id)
    if existing is not None and existing["dismissed_at"] is not None:
        return f"group {existing['id']}: dismissed, not fetched"
    channel = open_channel(uow, box, channels, tenant_id)
    chat = channel.get_group_chat(chat_id)
    with uow:
        existing = uow.wecom_sync.group_chat(tenant_id, chat_id)
        owner = uow.staff.find_by_userid(tenant_id, chat.owner) if chat.owner else None
        values, fingerprint = chat_values(chat, status=existing["status"] if existing else 0,
                                          owner_staff_id=owner.id if owner else None)
        stamp = {"fingerprint": fingerprint, "synced_at": utcnow()}
        if existing is None:
            uow.wecom_sync.add_group_chat(tenant_id, chat_id=chat_id, **values, **stamp)
            outcome = f"group {chat_id}: added"
        elif existing["dismissed_at"] is not None:
            outcome = f"group {existing['id']}: dismissed meanwhile, left as it is"
        elif existing["fingerprint"] != fingerprint:
            uow.wecom_sync.update_group_chat(tenant_id, existing["id"], **values, **stamp)
            outcome = f"group {existing['id']}: updated"
        else:
            outcome = f"group {existing['id']}: unchanged"
        if created and (existing is None or existing["dismissed_at"] is None):
            adopted = group_code_rooms.adopt_in(uow, channel, tenant_id, chat, now=stamp["synced_at"])
            outcome += f"; {adopted}" if adopted else ""
        uow.commit()
    return outcome
