"""The simulated WeCom's contact-way, welcome-message and transfer endpoints."""

from __future__ import annotations

from typing import Any

from siyu.adapters.channels.sandbox.media import check_message_attachments
from siyu.adapters.channels.sandbox.customers import EC, route, user_of
from siyu.adapters.channels.sandbox.corp import Corp, need

MAX_CONTACT_WAYS = 500_000
WELCOME_CODE_SECONDS = 20
_WAY_FIELDS = ("remark", "skip_verify", "state", "user", "party", "expires_in")


def _check_way(corp: Corp, way: dict[str, Any]) -> None:
    need(len(way.get("remark") or "") <= 30, 40058, "remark: at most 30 characters")
    need(len(way.get("state") or "") <= 30, 40058, "state: at most 30 characters")
    users = way.get("user") or []
    need(len(users) <= 100, 40058, "user: at most 100")
    need(bool(users or way.get("party")), 40058, "user or party required")
    if way.get("type") == 1:
        need(len(users) == 1 and not way.get("party"), 40058, "a single contact way has exactly one user")
    for userid in users:
        user_of(corp, userid)


@route(f"{EC}/add_contact_way")
def add_contact_way(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    need(body.get("type") in (1, 2), 40058, "type: 1 or 2")
    need(body.get("scene") in (1, 2), 40058, "scene: 1 or 2")
    need(len(corp.contact_ways) < MAX_CONTACT_WAYS, 40058, "at most 500,000 contact ways")
    _check_way(corp, body)
    config_id = corp.new_id("cw")
    qr_code = corp.qr_code_url(config_id) if body["scene"] == 2 else ""
    corp.contact_ways[config_id] = {
        "config_id": config_id, "type": body["type"], "scene": body["scene"], "qr_code": qr_code,
        "is_temp": bool(body.get("is_temp")), **{k: body[k] for k in _WAY_FIELDS if k in body},
    }
    return {"config_id": config_id, "qr_code": qr_code}


def _way(corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    config_id = body.get("config_id") or ""
    if corp.lenient and config_id and config_id not in corp.contact_ways:
        corp.contact_ways[config_id] = {"config_id": config_id, "type": 2, "scene": 2, "is_temp": False,
                                        "qr_code": corp.qr_code_url(config_id), "user": [], "state": ""}
    way = corp.contact_ways.get(config_id)
    need(way is not None, 40058, "invalid config_id")
    assert way is not None
    return way


@route(f"{EC}/get_contact_way")
def get_contact_way(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    return {"contact_way": dict(_way(corp, body))}


@route(f"{EC}/update_contact_way")
def update_contact_way(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    way = _way(corp, body)
    updated = {**way, **{k: body[k] for k in _WAY_FIELDS if k in body}}
    _check_way(corp, updated)
    way.update(updated)
    return {}


@route(f"{EC}/del_contact_way")
def del_contact_way(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    way = _way(corp, body)
    del corp.contact_ways[way["config_id"]]
    return {}


@route(f"{EC}/send_welcome_msg")
def send_welcome_msg(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    code = body.get("welcome_code")
    need(bool(code), 41049, "missing welcome_code")
    issued = corp.welcome_codes.get(code or "")
    need(issued is not None and corp.clock() - issued["issued"] <= WELCOME_CODE_SECONDS, 41050, "welcome_code expired")
    assert issued is not None
    need(not issued["used"], 41051, "welcome_code used")
    text = (body.get("text") or {}).get("content") or ""
    attachments = body.get("attachments") or []
    need(len(text.encode()) <= 4000, 40058, "text: at most 4000 bytes")
    need(len(attachments) <= 9, 40058, "attachments: at most 9")
    need(bool(text or attachments), 40058, "text or attachments required")
    for item in attachments:
        need(item.get("msgtype") in ("image", "link", "miniprogram", "video", "file"), 41065, "invalid attachment type")
    check_message_attachments(corp, attachments)
    issued["used"] = True
    issued["sent"] = {"text": text, "attachments": attachments}
    return {}


# ---- transfers ------------------------------------------------------------------------------


def _transfer(corp: Corp, body: dict[str, Any], *, resigned: bool) -> dict[str, Any]:
    handover, takeover = user_of(corp, body.get("handover_userid")), user_of(corp, body.get("takeover_userid"))
    externals = body.get("external_userid") or []
    need(1 <= len(externals) <= 100, 40058, "external_userid: 1-100")
    need(handover != takeover, 40130, "handover and takeover are the same")
    if resigned:
        need(corp.users[handover]["resigned"], 40097, "handover user not resigned")
    results = []
    for external in externals:
        results.append({"external_userid": external, "errcode": _one_transfer(corp, handover, takeover, external)})
    return {"customer": results}


def _one_transfer(corp: Corp, handover: str, takeover: str, external: str) -> int:
    if external not in corp.contacts:
        return 40096
    if handover not in corp.follows.get(external, {}):
        return 40131
    record = corp.transfers.get((handover, external))
    if record is not None and record["status"] == 2:
        return 40100
    if corp.transfer_counts[external] >= 2:
        return 40128
    corp.transfer_counts[external] += 1
    corp.transfers[(handover, external)] = {"takeover": takeover, "status": 2, "takeover_time": 0}
    return 0


@route(f"{EC}/transfer_customer")
def transfer_customer(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    return _transfer(corp, body, resigned=False)


@route(f"{EC}/resigned/transfer_customer")
def resigned_transfer_customer(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    return _transfer(corp, body, resigned=True)


def _result(corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    handover, takeover = user_of(corp, body.get("handover_userid")), user_of(corp, body.get("takeover_userid"))
    rows = [{"external_userid": external, "status": r["status"], "takeover_time": r["takeover_time"]}
            for (h, external), r in sorted(corp.transfers.items()) if h == handover and r["takeover"] == takeover]
    return {"customer": rows, "next_cursor": ""}


@route(f"{EC}/transfer_result")
def transfer_result(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    return _result(corp, body)


@route(f"{EC}/resigned/transfer_result")
def resigned_transfer_result(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    return _result(corp, body)


@route(f"{EC}/get_unassigned_list")
def unassigned_list(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    size = int(body.get("page_size") or 1000)
    need(1 <= size <= 1000, 40058, "page_size: 1-1000")
    rows = [{"handover_userid": u, "external_userid": e, "dimission_time": 0}
            for e, follows in sorted(corp.follows.items()) for u in follows if corp.users.get(u, {}).get("resigned")]
    start = int(body.get("cursor") or 0)
    page = rows[start : start + size]
    end = start + size
    return {"info": page, "is_last": end >= len(rows), "next_cursor": str(end) if end < len(rows) else ""}


def complete_transfers(corp: Corp) -> None:
    """What WeCom does 24 hours after a transfer: the takeover follows, the handover does not."""
    for (handover, external), record in corp.transfers.items():
        if record["status"] == 2:
            follow = corp.follows[external].pop(handover, None)
            if follow is not None:
                corp.follows[external][record["takeover"]] = {**follow, "userid": record["takeover"]}
            record["status"], record["takeover_time"] = 1, int(corp.clock())
