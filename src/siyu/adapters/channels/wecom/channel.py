"""``WeComChannel``: the :class:`~siyu.adapters.channels.port.Channel` port over WeCom's API.

One method per endpoint the product uses, typed both ways (models in
:mod:`siyu.adapters.channels.models`). Limits WeCom documents are checked before a call is
spent (pydantic, or here); the transport in :mod:`.client` handles tokens, retries, errcodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from siyu.adapters.channels.models import (
    ContactDetail,
    ContactPage,
    ContactWay,
    ContactWayCreated,
    ContactWayDraft,
    ContactWithFollow,
    ExternalContact,
    FollowUser,
    GroupChat,
    GroupChatPage,
    GroupTransferFailure,
    MassMessageCreated,
    MassMessagePage,
    MassSendResultPage,
    MassTaskPage,
    OAuthUser,
    RemarkUpdate,
    TagGroup,
    TransferOutcome,
    TransferResultPage,
    UnassignedPage,
    WelcomeMessage,
)
from siyu.adapters.channels.media import HttpMediaSource, MediaSource
from siyu.adapters.channels.wecom.client import WeComClient
from siyu.adapters.channels.wecom.join_ways import JoinWayCalls
from siyu.adapters.channels.wecom.media import MediaCalls
from siyu.adapters.channels.wecom.moments import MomentCalls
from siyu.domain.errors import InvalidInput

EC = "/cgi-bin/externalcontact"
M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or None
        raise InvalidInput("wecom.bad_answer", "WeCom's answer does not fit at %(where)s: %(reason)s", field=where,
                           where=where or "-", reason=first["msg"].removeprefix("Value error, ")) from None


def _limit(values: list[Any], most: int, what: str) -> None:
    if not values:
        raise InvalidInput("wecom.none_given", "give at least one %(what)s", field=what, what=what)
    if len(values) > most:
        raise InvalidInput("wecom.too_many_per_call", "WeCom takes at most %(most)s %(what)s per call; got %(count)s", field=what,
                           most=most, what=what, count=len(values))


class WeComChannel(MomentCalls, MediaCalls, JoinWayCalls):  # mixins: .moments, .media (and QR images), .join_ways
    def __init__(self, client: WeComClient, *, media_source: MediaSource | None = None) -> None:
        self.client = client
        self.media_source = media_source or HttpMediaSource(client.http)

    def close(self) -> None:
        self.client.close()

    # ---- staff and customers ----------------------------------------------------

    def follow_users(self) -> list[str]:
        return list(self.client.get(f"{EC}/get_follow_user_list").get("follow_user", []))

    def list_contacts(self, userid: str) -> list[str]:
        return list(self.client.get(f"{EC}/list", {"userid": userid}).get("external_userid", []))

    def get_contact(self, external_userid: str) -> ContactDetail:
        """The customer and every staff member who follows them (all pages of follow users)."""
        cursor = ""
        contact: ExternalContact | None = None
        follows: list[FollowUser] = []
        while True:
            params = {"external_userid": external_userid, **({"cursor": cursor} if cursor else {})}
            data = self.client.get(f"{EC}/get", params)
            page = _parse(ContactDetail, data)
            contact = contact or page.external_contact
            follows.extend(page.follow_user)
            cursor = str(data.get("next_cursor") or "")
            if not cursor:
                return ContactDetail(external_contact=contact, follow_user=follows)

    def contacts_by_user(self, userids: list[str], *, cursor: str = "", limit: int = 100) -> ContactPage:
        _limit(userids, 100, "userid_list")
        if not 1 <= limit <= 100:
            raise InvalidInput("wecom.limit_range", "limit is 1-%(max)s", field="limit", max=100)
        data = self.client.post(f"{EC}/batch/get_by_user", {"userid_list": userids, "cursor": cursor, "limit": limit})
        return _parse(ContactPage, {"items": data.get("external_contact_list", []), "next_cursor": data.get("next_cursor", "")})

    def iter_contacts_by_user(self, userids: list[str]) -> Iterator[ContactWithFollow]:
        """Every (customer, follow info) of these staff: 100 staff per call, every cursor."""
        for start in range(0, len(userids), 100):
            chunk, cursor = userids[start : start + 100], ""
            while True:
                page = self.contacts_by_user(chunk, cursor=cursor)
                yield from page.items
                cursor = page.next_cursor
                if not cursor:
                    break

    def remark(self, userid: str, external_userid: str, update: RemarkUpdate) -> None:
        body = {"userid": userid, "external_userid": external_userid,
                **update.model_dump(exclude_none=True)}
        self.client.post(f"{EC}/remark", body)

    # ---- corp tags --------------------------------------------------------------

    def corp_tags(self, *, tag_ids: list[str] | None = None, group_ids: list[str] | None = None) -> list[TagGroup]:
        data = self.client.post(f"{EC}/get_corp_tag_list", {"tag_id": tag_ids or [], "group_id": group_ids or []})
        return [_parse(TagGroup, group) for group in data.get("tag_group", [])]

    def add_corp_tags(self, names: list[str], *, group_id: str | None = None, group_name: str | None = None) -> TagGroup:
        _limit(names, 3000, "tag")
        for name in [*names, group_name or ""]:
            if len(name) > 30:
                raise InvalidInput("wecom.tag_name_too_long", "“%(name)s” is longer than WeCom's 30 characters for a tag name", field="name", name=name)
        if not group_id and not group_name:
            raise InvalidInput("wecom.tag_group_missing", "name the tag group (its id or a name for a new group)", field="group_name")
        body: dict[str, Any] = {"tag": [{"name": n} for n in names]}
        body.update({"group_id": group_id} if group_id else {"group_name": group_name})
        data = self.client.post(f"{EC}/add_corp_tag", body, idempotent=False)
        return _parse(TagGroup, data["tag_group"])

    def edit_corp_tag(self, tag_or_group_id: str, *, name: str | None = None, order: int | None = None) -> None:
        if name is not None and not 1 <= len(name) <= 30:
            raise InvalidInput("wecom.tag_name_length", "a tag name is 1-30 characters", field="name")
        body: dict[str, Any] = {"id": tag_or_group_id}
        body.update({k: v for k, v in (("name", name), ("order", order)) if v is not None})
        self.client.post(f"{EC}/edit_corp_tag", body)

    def delete_corp_tags(self, *, tag_ids: list[str] | None = None, group_ids: list[str] | None = None) -> None:
        if not tag_ids and not group_ids:
            raise InvalidInput("wecom.nothing_to_delete", "give the tags or tag groups to delete", field="tag_id")
        self.client.post(f"{EC}/del_corp_tag", {"tag_id": tag_ids or [], "group_id": group_ids or []})

    def mark_tags(self, userid: str, external_userid: str, *, add: list[str] | None = None,
                  remove: list[str] | None = None) -> None:
        if not add and not remove:
            raise InvalidInput("wecom.no_tag_change", "give tags to add or to remove", field="add_tag")
        body = {"userid": userid, "external_userid": external_userid, "add_tag": add or [], "remove_tag": remove or []}
        self.client.post(f"{EC}/mark_tag", body)

    # ---- customer groups ------------------------------------------------------------

    def group_chats(self, *, owners: list[str] | None = None, status_filter: int = 0, cursor: str = "",
                    limit: int = 100) -> GroupChatPage:
        if owners is not None and len(owners) > 100:
            raise InvalidInput("wecom.owner_filter_too_long", "WeCom lists the groups of at most 100 owners per call", field="owner_filter")
        if not 1 <= limit <= 1000:
            raise InvalidInput("wecom.limit_range", "limit is 1-%(max)s", field="limit", max=1000)
        body: dict[str, Any] = {"status_filter": status_filter, "cursor": cursor, "limit": limit}
        if owners:
            body["owner_filter"] = {"userid_list": owners}
        data = self.client.post(f"{EC}/groupchat/list", body)
        return _parse(GroupChatPage, {"items": data.get("group_chat_list", []), "next_cursor": data.get("next_cursor", "")})

    def get_group_chat(self, chat_id: str) -> GroupChat:
        data = self.client.post(f"{EC}/groupchat/get", {"chat_id": chat_id, "need_name": 1})
        return _parse(GroupChat, data["group_chat"])

    # ---- acquisition ----------------------------------------------------------------

    def add_contact_way(self, draft: ContactWayDraft) -> ContactWayCreated:
        body = draft.model_dump(exclude_none=True)
        return _parse(ContactWayCreated, self.client.post(f"{EC}/add_contact_way", body, idempotent=False))

    def get_contact_way(self, config_id: str) -> ContactWay:
        data = self.client.post(f"{EC}/get_contact_way", {"config_id": config_id})
        return _parse(ContactWay, data["contact_way"])

    def update_contact_way(self, config_id: str, draft: ContactWayDraft) -> None:
        body = draft.model_dump(exclude_none=True, exclude={"type", "scene", "is_temp"})
        self.client.post(f"{EC}/update_contact_way", {"config_id": config_id, **body})

    def delete_contact_way(self, config_id: str) -> None:
        self.client.post(f"{EC}/del_contact_way", {"config_id": config_id})

    def send_welcome_message(self, welcome_code: str, message: WelcomeMessage) -> None:
        body: dict[str, Any] = {"welcome_code": welcome_code, "attachments": message.attachments}
        if message.text:
            body["text"] = {"content": message.text}
        self.client.post(f"{EC}/send_welcome_msg", body, idempotent=False)

    # ---- sign-in (OAuth) ---------------------------------------------------------------

    def oauth_user(self, code: str) -> OAuthUser:
        """Exchange a sign-in code (valid 5 minutes, once) for who opened the link. A read
        timeout is not repeated: WeCom may have spent the code, and a second try answers 40029."""
        if not code or len(code) > 512:
            raise InvalidInput("wecom.oauth_code_missing", "the sign-in link carries no code", field="code")
        data = self.client.call("GET", "/cgi-bin/auth/getuserinfo", params={"code": code}, idempotent=False)
        return _parse(OAuthUser, data)

    # ---- transfers ------------------------------------------------------------------

    def transfer_customers(self, handover: str, takeover: str, external_userids: list[str], *, resigned: bool = False,
                           message: str | None = None) -> list[TransferOutcome]:
        _limit(external_userids, 100, "external_userid")
        body: dict[str, Any] = {"handover_userid": handover, "takeover_userid": takeover, "external_userid": external_userids}
        if message and not resigned:
            body["transfer_success_msg"] = message
        path = f"{EC}/resigned/transfer_customer" if resigned else f"{EC}/transfer_customer"
        data = self.client.post(path, body, idempotent=False)
        return [_parse(TransferOutcome, c) for c in data.get("customer", [])]

    def transfer_result(self, handover: str, takeover: str, *, resigned: bool = False, cursor: str = "") -> TransferResultPage:
        path = f"{EC}/resigned/transfer_result" if resigned else f"{EC}/transfer_result"
        data = self.client.post(path, {"handover_userid": handover, "takeover_userid": takeover, "cursor": cursor})
        return _parse(TransferResultPage, data)

    def unassigned(self, *, cursor: str = "", page_size: int = 1000) -> UnassignedPage:
        if not 1 <= page_size <= 1000:
            raise InvalidInput("wecom.limit_range", "limit is 1-%(max)s", field="page_size", max=1000)
        data = self.client.post(f"{EC}/get_unassigned_list", {"cursor": cursor, "page_size": page_size})
        return _parse(UnassignedPage, data)

    def transfer_group_chats(self, chat_ids: list[str], new_owner: str, *, resigned: bool = False) -> list[GroupTransferFailure]:
        _limit(chat_ids, 100, "chat_id_list")
        path = f"{EC}/groupchat/transfer" if resigned else f"{EC}/groupchat/onjob_transfer"
        data = self.client.post(path, {"chat_id_list": chat_ids, "new_owner": new_owner}, idempotent=False)
        return [_parse(GroupTransferFailure, f) for f in data.get("failed_chat_list", [])]

    # ---- mass sends (群发) ------------------------------------------------------------

    def add_msg_template(self, sender: str, external_userids: list[str], *, text: str | None = None,
                         attachments: list[dict[str, Any]] | None = None) -> MassMessageCreated:
        """Create a mass-send task for one staff member (delivered once they confirm in WeCom).

        Never repeated once it may have reached WeCom (``at_most_once``: a timeout, a 5xx, a
        broken connection): a task that may have been created is for the caller to reconcile
        (``get_groupmsg_list``), never to send twice."""
        _limit(external_userids, 10_000, "external_userid")
        message = WelcomeMessage(text=text, attachments=attachments or [])  # same text and attachment limits
        body: dict[str, Any] = {"chat_type": "single", "sender": sender, "external_userid": external_userids,
                                "attachments": message.attachments}
        if message.text:
            body["text"] = {"content": message.text}
        return _parse(MassMessageCreated, self.client.post(f"{EC}/add_msg_template", body, at_most_once=True))

    def get_groupmsg_list(self, *, start_time: int, end_time: int, creator: str | None = None, cursor: str = "",
                          limit: int = 100) -> MassMessagePage:
        if not 0 < start_time <= end_time or end_time - start_time > 31 * 86400:
            raise InvalidInput("wecom.mass_list_span", "WeCom lists mass messages over at most one month", field="end_time")
        if not 1 <= limit <= 100:
            raise InvalidInput("wecom.limit_range", "limit is 1-%(max)s", field="limit", max=100)
        # filter_type 2: made by the corp or by staff (the API's own tasks are the corp's; 2 misses none)
        body: dict[str, Any] = {"chat_type": "single", "start_time": start_time, "end_time": end_time, "filter_type": 2,
                                "cursor": cursor, "limit": limit}
        if creator:
            body["creator"] = creator
        data = self.client.post(f"{EC}/get_groupmsg_list_v2", body)
        return _parse(MassMessagePage, {"items": data.get("group_msg_list", []), "next_cursor": data.get("next_cursor", "")})

    def get_groupmsg_task(self, msgid: str, *, cursor: str = "", limit: int = 1000) -> MassTaskPage:
        if not 1 <= limit <= 1000:
            raise InvalidInput("wecom.limit_range", "limit is 1-%(max)s", field="limit", max=1000)
        data = self.client.post(f"{EC}/get_groupmsg_task", {"msgid": msgid, "cursor": cursor, "limit": limit})
        return _parse(MassTaskPage, {"items": data.get("task_list", []), "next_cursor": data.get("next_cursor", "")})

    def get_groupmsg_send_result(self, msgid: str, userid: str, *, cursor: str = "", limit: int = 1000) -> MassSendResultPage:
        if not 1 <= limit <= 1000:
            raise InvalidInput("wecom.limit_range", "limit is 1-%(max)s", field="limit", max=1000)
        data = self.client.post(f"{EC}/get_groupmsg_send_result", {"msgid": msgid, "userid": userid, "cursor": cursor,
                                                                      "limit": limit})
        return _parse(MassSendResultPage, {"items": data.get("send_list", []), "next_cursor": data.get("next_cursor", "")})

    def remind_groupmsg_send(self, msgid: str) -> None:
        """Remind the sender(s) to confirm: WeCom allows 3 reminders per message per 24 hours."""
        self.client.post(f"{EC}/remind_groupmsg_send", {"msgid": msgid}, idempotent=False)

    def cancel_groupmsg_send(self, msgid: str) -> None:
        self.client.post(f"{EC}/cancel_groupmsg_send", {"msgid": msgid})
