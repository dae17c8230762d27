"""The simulated WeCom's mass-send (群发) endpoints: add_msg_template, the task and result
listings, reminders and cancelling, with WeCom's limits and errcodes.

Nothing is delivered when the task is created: the sender confirms in the WeCom client. The
simulation confirms ``corp.mass_confirm_seconds`` after creation (checked whenever results are
asked for; :func:`confirm_mass_message` does it at once). At confirmation each customer gets a
status: 1 sent, 2 not a friend (no longer followed by the sender), 3 over WeCom's
per-customer monthly cap. A lenient (demo) corp does not know the customers another process
made, so it treats them as friends except a stable ``mass_not_friend_share`` of them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from siyu.adapters.channels.sandbox.corp import Corp, need
from siyu.adapters.channels.sandbox.media import check_message_attachments
from siyu.adapters.channels.sandbox.customers import EC, _page, route, user_of

MAX_SINGLE_TARGETS = 10_000
MAX_CHATS = 2_000
MAX_ATTACHMENTS = 9
REMINDS_PER_DAY = 3
_ATTACHMENT_TYPES = ("image", "link", "miniprogram", "video", "file")
_MONTH = 30 * 86400
_DAY = 86400


def _known(corp: Corp, external: str) -> bool:
    return external in corp.contacts or (corp.lenient and external.startswith("wm"))


def _is_friend(corp: Corp, sender: str, external: str) -> bool:
    if external in corp.contacts:
        return sender in corp.follows.get(external, {})
    digest = hashlib.sha256(external.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 >= corp.mass_not_friend_share


def _message(corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    msgid = body.get("msgid") or ""
    need(bool(msgid), 40058, "msgid required")
    message = corp.mass_messages.get(msgid)
    need(message is not None, 40058, "invalid msgid")
    assert message is not None
    return message


@route(f"{EC}/add_msg_template")
def add_msg_template(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    chat_type = body.get("chat_type") or "single"
    need(chat_type in ("single", "group"), 40058, "chat_type: single or group")
    need(chat_type == "single", 40058, "the simulation sends to customers, not groups")
    sender = user_of(corp, body.get("sender"))
    externals = body.get("external_userid") or []
    need(isinstance(externals, list) and len(externals) <= MAX_SINGLE_TARGETS, 40058, "external_userid: at most 10000")
    text = ((body.get("text") or {}).get("content")) or ""
    attachments = body.get("attachments") or []
    need(len(text.encode()) <= 4000, 40058, "text: at most 4000 bytes")
    need(len(attachments) <= MAX_ATTACHMENTS, 40058, "attachments: at most 9")
    need(bool(text or attachments), 40058, "text or attachments required")
    for item in attachments:
        need(item.get("msgtype") in _ATTACHMENT_TYPES, 41065, "invalid attachment type")
    check_message_attachments(corp, attachments)
    unique = list(dict.fromkeys(externals))
    fail_list = [e for e in unique if not _known(corp, e)]
    targets = [e for e in unique if _known(corp, e)]
    need(bool(targets), 41048, "no customer to send to")
    msgid = corp.new_id("msg")
    corp.mass_messages[msgid] = {
        "msgid": msgid, "creator": sender, "create_time": int(corp.clock()), "create_type": 0,
        "text": {"content": text} if text else None, "attachments": attachments,
        "sender": sender, "status": 0, "send_time": 0, "cancelled": False, "reminds": [],
        "customers": {e: {"status": 0, "send_time": 0} for e in targets},
    }
    return {"msgid": msgid, "fail_list": fail_list}


def _received_this_month(corp: Corp, external: str, now: float) -> int:
    return sum(1 for m in corp.mass_messages.values()
               if m["customers"].get(external, {}).get("status") == 1 and now - m["send_time"] < _MONTH)


def confirm_mass_message(corp: Corp, msgid: str) -> None:
    """The sender taps "send" in the WeCom client: each customer is sent, not a friend, or capped."""
    with corp.lock:
        message = corp.mass_messages[msgid]
        if message["status"] == 2 or message["cancelled"]:
            return
        now = int(corp.clock())
        for external, row in message["customers"].items():
            if not _is_friend(corp, message["sender"], external):
                row["status"] = 2
            elif _received_this_month(corp, external, now) >= corp.mass_cap_per_month:
                row["status"] = 3
            else:
                row["status"], row["send_time"] = 1, now
        message["status"], message["send_time"] = 2, now


def _advance(corp: Corp, message: dict[str, Any]) -> None:
    wait = corp.mass_confirm_seconds
    if wait is not None and message["status"] == 0 and corp.clock() - message["create_time"] >= wait:
        confirm_mass_message(corp, message["msgid"])


def _limit(body: dict[str, Any], default: int, most: int) -> int:
    limit = int(body.get("limit") or default)
    need(1 <= limit <= most, 40058, f"limit: 1-{most}")
    return limit


@route(f"{EC}/get_groupmsg_list_v2")
def get_groupmsg_list_v2(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    need(body.get("chat_type", "single") in ("single", "group"), 40058, "chat_type: single or group")
    start, end = int(body.get("start_time") or 0), int(body.get("end_time") or 0)
    need(0 < start <= end and end - start <= 31 * _DAY, 40058, "start_time..end_time: at most one month")
    limit = _limit(body, 50, 100)
    creator = body.get("creator") or ""
    rows = [m for m in corp.mass_messages.values()
            if start <= m["create_time"] <= end and (not creator or m["creator"] == creator)]
    page, next_cursor = _page(sorted(rows, key=lambda m: m["msgid"]), str(body.get("cursor") or ""), limit)
    items = [{k: m[k] for k in ("msgid", "creator", "create_time", "create_type", "attachments")}
             | ({"text": m["text"]} if m["text"] else {}) for m in page]
    return {"group_msg_list": items, "next_cursor": next_cursor}


@route(f"{EC}/get_groupmsg_task")
def get_groupmsg_task(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    message = _message(corp, body)
    _limit(body, 500, 1000)
    _advance(corp, message)
    return {"task_list": [{"userid": message["sender"], "status": message["status"], "send_time": message["send_time"]}],
            "next_cursor": ""}


@route(f"{EC}/get_groupmsg_send_result")
def get_groupmsg_send_result(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    message = _message(corp, body)
    userid = user_of(corp, body.get("userid"))
    limit = _limit(body, 500, 1000)
    _advance(corp, message)
    rows = [{"external_userid": e, "userid": userid, "status": r["status"], "send_time": r["send_time"]}
            for e, r in message["customers"].items()] if userid == message["sender"] else []
    page, next_cursor = _page(rows, str(body.get("cursor") or ""), limit)
    return {"send_list": page, "next_cursor": next_cursor}


@route(f"{EC}/remind_groupmsg_send")
def remind_groupmsg_send(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    message = _message(corp, body)
    need(not message["cancelled"], 40058, "the mass message was cancelled")
    now = corp.clock()
    recent = [t for t in message["reminds"] if now - t < _DAY]
    need(len(recent) < REMINDS_PER_DAY, 40058, "remind: at most 3 times in 24 hours")
    message["reminds"] = [*recent, now]
    return {}


@route(f"{EC}/cancel_groupmsg_send")
def cancel_groupmsg_send(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    message = _message(corp, body)
    if message["status"] == 0:
        message["cancelled"] = True
    return {}
