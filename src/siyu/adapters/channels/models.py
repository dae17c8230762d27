"""The typed shapes a :class:`~siyu.adapters.channels.port.Channel` takes and returns.

They mirror WeCom's JSON (field names included), since WeCom is the channel the product is
built for; a sandbox channel returns the same models. Pydantic validates what comes back
(unknown fields are ignored, so WeCom adding a field breaks nothing) and what goes out (the
documented limits, checked before a call is spent).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class FollowTag(_Model):
    group_name: str = ""
    tag_name: str = ""
    tag_id: str = ""
    type: int = 1  # 1 corp tag, 2 personal tag, 3 rule-group tag


class FollowUser(_Model):
    """A staff member's side of a relation: remark, tags, how and through which way they met."""

    userid: str
    remark: str = ""
    description: str = ""
    createtime: int = 0
    tags: list[FollowTag] = []
    tag_id: list[str] = []  # batch/get_by_user gives ids only
    remark_mobiles: list[str] = []
    oper_userid: str = ""
    add_way: int = 0
    state: str = ""


class ExternalContact(_Model):
    external_userid: str
    name: str = ""
    avatar: str = ""
    type: int = 1  # 1 WeChat user, 2 WeCom user
    gender: int = 0
    unionid: str = ""
    corp_name: str = ""
    position: str = ""


class ContactDetail(_Model):
    external_contact: ExternalContact
    follow_user: list[FollowUser] = []


class ContactWithFollow(_Model):
    external_contact: ExternalContact
    follow_info: FollowUser


class ContactPage(_Model):
    items: list[ContactWithFollow]
    next_cursor: str = ""


class CorpTag(_Model):
    id: str
    name: str
    order: int = 0
    create_time: int = 0
    deleted: bool = False


class TagGroup(_Model):
    group_id: str
    group_name: str
    order: int = 0
    create_time: int = 0
    deleted: bool = False
    tag: list[CorpTag] = []


class GroupChatRef(_Model):
    chat_id: str
    status: int = 0  # 0 normal, 1 owner resigned, 2 transferring, 3 transfer done


class GroupChatPage(_Model):
    items: list[GroupChatRef]
    next_cursor: str = ""


class GroupMember(_Model):
    userid: str
    type: int  # 1 staff, 2 external
    join_time: int = 0
    join_scene: int = 0  # 1 invited directly, 2 by an invitation link, 3 by scanning the group's QR code
    invitor: dict[str, str] | None = None
    unionid: str = ""
    name: str = ""
    group_nickname: str = ""
    state: str = ""  # the join way's state the member came in by (docs 92229/99547, appendix), or ""


class GroupChat(_Model):
    chat_id: str
    name: str = ""
    owner: str = ""
    create_time: int = 0
    notice: str = ""
    member_list: list[GroupMember] = []
    admin_list: list[dict[str, str]] = []


class ContactWayDraft(_Model):
    """What add_contact_way / update_contact_way take (docs 92572, 92228)."""

    type: Literal[1, 2] = 2  # 1 one staff member, 2 several
    scene: Literal[1, 2] = 2  # 1 mini-program button, 2 QR code
    remark: str = Field(default="", max_length=30)
    skip_verify: bool = True
    state: str = Field(default="", max_length=30)
    user: list[str] = Field(default_factory=list, max_length=100)
    party: list[int] = Field(default_factory=list, max_length=100)
    is_temp: bool = False
    expires_in: int | None = Field(default=None, ge=60, le=14 * 86400)

    @model_validator(mode="after")
    def _who(self) -> ContactWayDraft:
        if not self.user and not self.party:
            raise ValueError("a contact way needs at least one staff member or department")
        if self.type == 1 and (len(self.user) != 1 or self.party):
            raise ValueError("a single contact way (type 1) has exactly one staff member")
        return self


class ContactWayCreated(_Model):
    config_id: str
    qr_code: str = ""


class ContactWay(_Model):
    config_id: str
    type: int
    scene: int
    remark: str = ""
    skip_verify: bool = True
    state: str = ""
    qr_code: str = ""
    user: list[str] = []
    party: list[int] = []
    is_temp: bool = False
    expires_in: int | None = None


class WelcomeMessage(_Model):
    text: str | None = None
    attachments: list[dict[str, Any]] = Field(default_factory=list, max_length=9)

    @field_validator("text")
    @classmethod
    def _text_bytes(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) > 4000:
            raise ValueError("a welcome message's text is at most 4,000 bytes")
        return value

    @model_validator(mode="after")
    def _something(self) -> WelcomeMessage:
        if not self.text and not self.attachments:
            raise ValueError("a welcome message needs text or an attachment")
        return self


class RemarkUpdate(_Model):
    remark: str | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, max_length=150)
    remark_mobiles: list[str] | None = Field(default=None, max_length=5)


class TransferOutcome(_Model):
    external_userid: str
    errcode: int  # 0 accepted; else one of the transfer errcodes


class TransferStatus(_Model):
    external_userid: str
    status: int  # 1 done, 2 waiting, 3 refused, 4 takeover at limit, 5 no record
    takeover_time: int = 0


class TransferResultPage(_Model):
    customer: list[TransferStatus]
    next_cursor: str = ""


class UnassignedCustomer(_Model):
    handover_userid: str
    external_userid: str
    dimission_time: int = 0


class UnassignedPage(_Model):
    info: list[UnassignedCustomer]
    is_last: bool = True
    next_cursor: str = ""


class GroupTransferFailure(_Model):
    chat_id: str
    errcode: int
    errmsg: str = ""


# ---- mass sends (群发) --------------------------------------------------------------------------


class MassMessageCreated(_Model):
    """add_msg_template's answer: the task's id, and the customers WeCom would not take."""

    msgid: str
    fail_list: list[str] = []


class MassMessageRef(_Model):
    """One mass message in get_groupmsg_list_v2."""

    msgid: str
    creator: str = ""
    create_time: int = 0
    create_type: int = 0  # 0 made by the corp (API/admin), 1 by the staff member
    text: dict[str, str] | None = None
    attachments: list[dict[str, Any]] = []


class MassMessagePage(_Model):
    items: list[MassMessageRef]
    next_cursor: str = ""


class MassTaskStatus(_Model):
    """A sender's side of a mass message: 0 not confirmed yet, 2 sent (confirmed)."""

    userid: str
    status: int = 0
    send_time: int = 0


class MassTaskPage(_Model):
    items: list[MassTaskStatus]
    next_cursor: str = ""


class MassSendResult(_Model):
    """One customer's delivery: 0 not sent, 1 sent, 2 not a friend, 3 over the customer's cap."""

    external_userid: str = ""
    chat_id: str = ""
    userid: str = ""
    status: int = 0
    send_time: int = 0


class MassSendResultPage(_Model):
    items: list[MassSendResult]
    next_cursor: str = ""


class OAuthUser(_Model):
    """Who opened a sign-in link in WeCom (``auth/getuserinfo``): a corp member has ``userid``
    (``UserId`` in the older ``user/getuserinfo`` answer); anyone else only an ``openid`` or
    ``external_userid``."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    userid: str = ""
    openid: str = ""
    external_userid: str = ""

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("userid") and data.get("UserId"):
            data = {**data, "userid": data["UserId"]}
        if isinstance(data, dict) and not data.get("openid") and data.get("OpenId"):
            data = {**data, "openid": data["OpenId"]}
        return data
