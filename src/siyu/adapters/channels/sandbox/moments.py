"""The simulated WeCom's moments (朋友圈) endpoints.

A task becomes a job (``add_moment_task`` -> jobid); the job answers "running" for the first
``corp.moments["job_reads"]`` reads of its result (default 1, so a poller sees the asynchrony),
then "done" with the moment id and the senders and tags WeCom did not know. Staff then publish
it in their WeCom app: tests and the demo say so with :func:`publish_moment`; ``get_moment_task``
reports each sender's publish status; ``cancel_moment_task`` stops the rest from publishing.
``get_moment_task_result`` takes its jobid from the query or the JSON body (sources disagree on
GET or POST, so both are accepted).
"""

from __future__ import annotations

from typing import Any

from siyu.adapters.channels.sandbox.corp import Corp, Fail, need
from siyu.adapters.channels.sandbox.media import check_moment_attachments
from siyu.adapters.channels.sandbox.customers import EC, _page, route

TEXT_MAX = 2000


def _book(corp: Corp) -> dict[str, Any]:
    book = corp.moments
    book.setdefault("jobs", {})
    book.setdefault("tasks", {})
    book.setdefault("job_reads", 1)
    return book


def _known_tags(corp: Corp) -> set[str]:
    return {tag["id"] for group in corp.tag_groups.values() for tag in group["tag"]}


@route(f"{EC}/add_moment_task")
def add_moment_task(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    text = (body.get("text") or {}).get("content") or ""
    attachments = body.get("attachments") or []
    need(len(text) <= TEXT_MAX, 40058, "text.content: at most 2000 characters")
    need(bool(text or attachments), 40058, "text or attachments required")
    kinds = [a.get("msgtype") for a in attachments]
    need(all(k in ("image", "video", "link") for k in kinds), 41065, "invalid attachment type")
    need(len(set(kinds)) <= 1 and len(kinds) <= (9 if kinds[:1] == ["image"] else 1), 40058,
         "attachments: 9 images, or 1 video, or 1 link")
    check_moment_attachments(corp, attachments)
    visible = body.get("visible_range") or {}
    senders = visible.get("sender_list") or {}
    users = list(senders.get("user_list") or [])
    departments = list(senders.get("department_list") or [])
    tags = list((visible.get("external_contact_list") or {}).get("tag_list") or [])
    if corp.lenient:
        for userid in users:
            corp.users.setdefault(userid, {"resigned": False})
    book = _book(corp)
    jobid = corp.new_id("mjob")
    book["jobs"][jobid] = {"reads": 0, "text": text, "attachments": attachments, "users": users, "departments": departments,
                           "tags": tags, "moment_id": None}
    return {"jobid": jobid}


def _result(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    book = _book(corp)
    jobid = params.get("jobid") or body.get("jobid") or ""
    job = book["jobs"].get(jobid)
    need(job is not None, 40058, "invalid jobid")
    assert job is not None
    job["reads"] += 1
    if job["moment_id"] is None and job["reads"] <= book["job_reads"]:
        return {"status": 2, "type": "add_moment_task"}
    if job["moment_id"] is None:
        invalid_users = [u for u in job["users"] if u not in corp.users or corp.users[u].get("resigned")]
        known = _known_tags(corp)
        invalid_tags = [t for t in job["tags"] if t not in known]
        senders = [u for u in job["users"] if u not in invalid_users] if job["users"] or job["departments"] else [
            u for u, info in sorted(corp.users.items()) if not info.get("resigned")]
        moment_id = corp.new_id("mom")
        job.update(moment_id=moment_id, invalid_users=invalid_users, invalid_tags=invalid_tags)
        book["tasks"][moment_id] = {"senders": senders, "published": set(), "cancelled": False, "text": job["text"],
                                    "attachments": job["attachments"], "tags": [t for t in job["tags"] if t not in invalid_tags]}
    return {"status": 3, "type": "add_moment_task", "result": {
        "errcode": 0, "errmsg": "ok", "moment_id": job["moment_id"],
        "invalid_sender_list": {"user_list": job["invalid_users"], "department_list": []},
        "invalid_external_contact_list": {"tag_list": job["invalid_tags"]}}}


route(f"{EC}/get_moment_task_result")(_result)


def _task(corp: Corp, moment_id: Any) -> dict[str, Any]:
    task = _book(corp)["tasks"].get(moment_id) if isinstance(moment_id, str) else None
    need(task is not None, 40058, "invalid moment_id")
    assert task is not None
    return task


@route(f"{EC}/get_moment_task")
def get_moment_task(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    task = _task(corp, body.get("moment_id"))
    limit = int(body.get("limit") or 500)
    need(1 <= limit <= 1000, 40058, "limit: 1-1000")
    rows = [{"userid": u, "publish_status": int(u in task["published"])} for u in task["senders"]]
    page, cursor = _page(rows, str(body.get("cursor") or ""), limit)
    return {"task_list": page, "next_cursor": cursor}


@route(f"{EC}/cancel_moment_task")
def cancel_moment_task(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    _task(corp, body.get("moment_id"))["cancelled"] = True
    return {}


def publish_moment(corp: Corp, moment_id: str, userid: str) -> None:
    """What a staff member does in the WeCom app: publish the moment the corp asked them to."""
    with corp.lock:
        task = _task(corp, moment_id)
        if task["cancelled"]:
            raise Fail(40058, "the moment task was cancelled")
        need(userid in task["senders"], 40003, "not a sender of this moment")
        task["published"].add(userid)


def moment_of_job(corp: Corp, jobid: str) -> str | None:
    """The moment id a job made, once done (tests)."""
    job = _book(corp)["jobs"].get(jobid)
    return job["moment_id"] if job else None
