"""The simulated WeCom's customer, tag and group endpoints, with WeCom's validation, limits
and errcodes.

Each handler takes the corp, the query parameters and the JSON body, and returns the body
of an ``errcode: 0`` answer or raises :class:`Fail`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from siyu.adapters.channels.sandbox.corp import Corp, Fail, need

EC = "/cgi-bin/externalcontact"
Handler = Callable[[Corp, dict[str, str], dict[str, Any]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def route(path: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[path] = fn
        return fn
    return register


def user_of(corp: Corp, userid: Any) -> str:
    if corp.lenient and isinstance(userid, str) and userid and userid not in corp.users:
        corp.add_user(userid)
    need(isinstance(userid, str) and userid in corp.users, 40003, "invalid userid")
    return userid


def _contact(corp: Corp, external_userid: Any) -> str:
    need(isinstance(external_userid, str) and external_userid in corp.contacts, 40096, "invalid external userid")
    return external_userid


def _relation(corp: Corp, userid: str, external_userid: str) -> dict[str, Any]:
    follow = corp.follows.get(external_userid, {}).get(userid)
    need(follow is not None, 84061, "not external contact")
    assert follow is not None
    return follow


def _page(items: list[Any], cursor: str, limit: int) -> tuple[list[Any], str]:
    start = int(cursor) if cursor.isdigit() else 0
    need(cursor == "" or cursor.isdigit(), 40058, "invalid cursor")
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else "")


def _tags_of(corp: Corp, tag_ids: list[str]) -> list[dict[str, Any]]:
    found = []
    for group in corp.tag_groups.values():
        for tag in group["tag"]:
            if tag["id"] in tag_ids:
                found.append({"group_name": group["group_name"], "tag_name": tag["name"], "tag_id": tag["id"], "type": 1})
    return found


def _follow_out(corp: Corp, follow: dict[str, Any], *, detailed: bool) -> dict[str, Any]:
    out = {k: v for k, v in follow.items() if k != "tag_ids"}
    if detailed:
        out["tags"] = _tags_of(corp, follow["tag_ids"])
    else:
        out["tag_id"] = list(follow["tag_ids"])
    return out


# ---- customers ------------------------------------------------------------------------


@route(f"{EC}/get_follow_user_list")
def follow_user_list(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    return {"follow_user": [u for u, info in corp.users.items() if not info["resigned"]]}


@route(f"{EC}/list")
def contact_list(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    userid = user_of(corp, params.get("userid"))
    return {"external_userid": [e for e, follows in corp.follows.items() if userid in follows]}


@route(f"{EC}/get")
def contact_get(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    external = _contact(corp, params.get("external_userid"))
    follows = list(corp.follows.get(external, {}).values())
    page, next_cursor = _page(follows, params.get("cursor", ""), corp.follow_page_size)
    return {"external_contact": corp.contacts[external], "follow_user": [_follow_out(corp, f, detailed=True) for f in page],
            "next_cursor": next_cursor}


@route(f"{EC}/batch/get_by_user")
def batch_get_by_user(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    userids = body.get("userid_list") or []
    need(isinstance(userids, list) and 1 <= len(userids) <= 100, 40058, "userid_list: 1-100 userids")
    limit = int(body.get("limit") or 50)
    need(1 <= limit <= 100, 40058, "limit: at most 100")
    for userid in userids:
        user_of(corp, userid)
    cursor = str(body.get("cursor") or "")
    key = tuple(userids)
    pairs = corp.listings.get(key) if cursor else None
    if pairs is None:  # a first page takes a snapshot that its cursors walk (one pass over the corp, not one per page)
        wanted = {u: i for i, u in enumerate(userids)}
        found = [(wanted[u], e, f) for e, follows in corp.follows.items() for u, f in follows.items() if u in wanted]
        pairs = [(e, f) for _, e, f in sorted(found, key=lambda p: (p[0], p[1]))]
        corp.listings[key] = pairs
    page, next_cursor = _page(pairs, cursor, limit)
    items = [{"external_contact": corp.contacts[e], "follow_info": _follow_out(corp, f, detailed=False)} for e, f in page]
    return {"external_contact_list": items, "next_cursor": next_cursor}


@route(f"{EC}/remark")
def remark(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    follow = _relation(corp, user_of(corp, body.get("userid")), _contact(corp, body.get("external_userid")))
    need(len(body.get("remark") or "") <= 20, 40058, "remark: at most 20 characters")
    need(len(body.get("description") or "") <= 150, 40058, "description: at most 150 characters")
    for key in ("remark", "description", "remark_mobiles"):
        if key in body:
            follow[key] = body[key]
    return {}


# ---- corp tags --------------------------------------------------------------------------


def _all_tags(corp: Corp) -> list[dict[str, Any]]:
    return [t for g in corp.tag_groups.values() for t in g["tag"]]


@route(f"{EC}/get_corp_tag_list")
def corp_tag_list(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    tag_ids, group_ids = body.get("tag_id") or [], body.get("group_id") or []
    groups = []
    for group in corp.tag_groups.values():
        if group_ids and group["group_id"] not in group_ids:
            continue
        tags = [t for t in group["tag"] if not tag_ids or t["id"] in tag_ids]
        if tag_ids and not tags:
            continue
        groups.append({**group, "tag": tags})
    return {"tag_group": groups}


@route(f"{EC}/add_corp_tag")
def add_corp_tag(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    names = [t.get("name", "") for t in body.get("tag") or []]
    need(bool(names) and all(1 <= len(n) <= 30 for n in names), 40058, "tag name: 1-30 characters")
    need(len(_all_tags(corp)) + len(names) <= 3000, 40058, "at most 3,000 corp tags")
    group = corp.tag_groups.get(body.get("group_id") or "")
    if group is None:
        need(not body.get("group_id"), 40058, "invalid group_id")
        name = body.get("group_name") or ""
        need(1 <= len(name) <= 30, 40058, "group_name: 1-30 characters")
        group = next((g for g in corp.tag_groups.values() if g["group_name"] == name), None)
        if group is None:
            group = {"group_id": corp.new_id("et"), "group_name": name, "order": 0, "create_time": int(corp.clock()),
                     "deleted": False, "tag": []}
            corp.tag_groups[group["group_id"]] = group
    existing = {t["name"] for t in group["tag"]}
    made = []
    for name in names:
        need(name not in existing, 40071, "tag name exists")
        tag = {"id": corp.new_id("et"), "name": name, "order": 0, "create_time": int(corp.clock()), "deleted": False}
        group["tag"].append(tag)
        made.append(tag)
    return {"tag_group": {**group, "tag": made}}


@route(f"{EC}/edit_corp_tag")
def edit_corp_tag(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    target = corp.tag_groups.get(body.get("id") or "") or next((t for t in _all_tags(corp) if t["id"] == body.get("id")), None)
    need(target is not None, 40068, "invalid tagid")
    assert target is not None
    if "name" in body:
        need(1 <= len(body["name"]) <= 30, 40058, "name: 1-30 characters")
        target["group_name" if "group_id" in target else "name"] = body["name"]
    if "order" in body:
        target["order"] = int(body["order"])
    return {}


@route(f"{EC}/del_corp_tag")
def del_corp_tag(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    tag_ids, group_ids = body.get("tag_id") or [], body.get("group_id") or []
    need(bool(tag_ids or group_ids), 40058, "tag_id or group_id required")
    for group_id in group_ids:
        need(group_id in corp.tag_groups, 40068, "invalid group id")
        del corp.tag_groups[group_id]
    for group in corp.tag_groups.values():
        group["tag"] = [t for t in group["tag"] if t["id"] not in tag_ids]
    return {}


@route(f"{EC}/mark_tag")
def mark_tag(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    follow = _relation(corp, user_of(corp, body.get("userid")), _contact(corp, body.get("external_userid")))
    known = {t["id"] for t in _all_tags(corp)}
    add, remove = body.get("add_tag") or [], body.get("remove_tag") or []
    need(bool(add or remove), 40058, "add_tag or remove_tag required")
    need(all(t in known for t in add + remove), 40068, "invalid tagid")
    follow["tag_ids"] = sorted((set(follow["tag_ids"]) | set(add)) - set(remove))
    return {}


# ---- customer groups ------------------------------------------------------------------------


@route(f"{EC}/groupchat/list")
def groupchat_list(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    owners = (body.get("owner_filter") or {}).get("userid_list") or []
    need(len(owners) <= 100, 81017, "too many owners")
    limit = int(body.get("limit") or 0)
    need(1 <= limit <= 1000, 40058, "limit: 1-1000")
    status = int(body.get("status_filter") or 0)
    chats = [c for c in corp.group_chats.values() if (not owners or c["owner"] in owners) and (status == 0 or c["status"] == status)]
    page, next_cursor = _page(chats, str(body.get("cursor") or ""), limit)
    return {"group_chat_list": [{"chat_id": c["chat_id"], "status": c["status"]} for c in page], "next_cursor": next_cursor}


@route(f"{EC}/groupchat/get")
def groupchat_get(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    chat = corp.group_chats.get(body.get("chat_id") or "")
    need(chat is not None, 40050, "invalid chatid")
    assert chat is not None
    return {"group_chat": {k: v for k, v in chat.items() if k != "status"}}


def _transfer_chats(corp: Corp, body: dict[str, Any], *, resigned: bool) -> dict[str, Any]:
    chat_ids = body.get("chat_id_list") or []
    need(1 <= len(chat_ids) <= 100, 40058, "chat_id_list: 1-100")
    new_owner = user_of(corp, body.get("new_owner"))
    failed = []
    for chat_id in chat_ids:
        chat = corp.group_chats.get(chat_id)
        if chat is None:
            failed.append({"chat_id": chat_id, "errcode": 40050, "errmsg": "invalid chatid"})
        elif resigned and not corp.users.get(chat["owner"], {}).get("resigned"):
            failed.append({"chat_id": chat_id, "errcode": 40097, "errmsg": "owner not resigned"})
        else:
            chat["owner"] = new_owner
    return {"failed_chat_list": failed}


@route(f"{EC}/groupchat/onjob_transfer")
def groupchat_onjob_transfer(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    return _transfer_chats(corp, body, resigned=False)


@route(f"{EC}/groupchat/transfer")
def groupchat_transfer(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    return _transfer_chats(corp, body, resigned=True)
