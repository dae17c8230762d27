"""The typed shapes of WeCom's moments (朋友圈) endpoints, kept apart from :mod:`.models` so the
moments part of the port reads (and merges) on its own.

WeCom (shared/reference/wecom.md "Moments"; doc 95094 / 95095 / 97612):

- ``add_moment_task {visible_range{sender_list{user_list, department_list},
  external_contact_list{tag_list}}, text{content}, attachments}`` -> ``{jobid}``: asynchronous.
  Attachments are 9 images, or 1 video, or 1 link — never mixed; text or an attachment is required.
  No sender list means every staff member with the customer-contact permission.
- ``get_moment_task_result?jobid=`` -> ``{status 1 started | 2 running | 3 done, type,
  result{errcode, moment_id, invalid_sender_list{user_list, department_list},
  invalid_external_contact_list{tag_list}}}``.
- ``get_moment_task {moment_id, cursor, limit <= 1000}`` -> ``{next_cursor, task_list[{userid,
  publish_status 0 not yet | 1 published}]}``: who of the senders has published it.
- ``cancel_moment_task {moment_id}``: staff who have not published can no longer do so.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MOMENT_TEXT_MAX = 2000  # characters
MOMENT_IMAGES_MAX = 9
JOB_STARTED, JOB_RUNNING, JOB_DONE = 1, 2, 3
NOT_PUBLISHED, PUBLISHED = 0, 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class MomentTask(_Model):
    """What ``add_moment_task`` takes: who posts it, who may see it (by corp tag), what it says."""

    text: str = ""
    attachments: list[dict[str, Any]] = Field(default_factory=list)
    sender_userids: list[str] = Field(default_factory=list, description="Empty: every staff member with the contact permission")
    sender_department_ids: list[int] = Field(default_factory=list)
    tag_ids: list[str] = Field(default_factory=list, description="WeCom corp tag ids; empty: every customer of each sender")

    @field_validator("text")
    @classmethod
    def _text_length(cls, value: str) -> str:
        if len(value) > MOMENT_TEXT_MAX:
            raise ValueError(f"a moment's text is at most {MOMENT_TEXT_MAX} characters")
        return value

    @model_validator(mode="after")
    def _attachments(self) -> MomentTask:
        kinds = [a.get("msgtype") for a in self.attachments]
        if not self.text and not kinds:
            raise ValueError("a moment needs text or an attachment")
        if any(k not in ("image", "video", "link") for k in kinds):
            raise ValueError("a moment's attachments are images, a video or a link")
        if len(set(kinds)) > 1 or (kinds and kinds[0] != "image" and len(kinds) > 1) or len(kinds) > MOMENT_IMAGES_MAX:
            raise ValueError("a moment carries up to 9 images, or one video, or one link")
        return self

    def body(self) -> dict[str, Any]:
        visible: dict[str, Any] = {}
        if self.sender_userids or self.sender_department_ids:
            visible["sender_list"] = {"user_list": self.sender_userids, "department_list": self.sender_department_ids}
        if self.tag_ids:
            visible["external_contact_list"] = {"tag_list": self.tag_ids}
        body: dict[str, Any] = {"visible_range": visible}
        if self.text:
            body["text"] = {"content": self.text}
        if self.attachments:
            body["attachments"] = self.attachments
        return body


class InvalidSenders(_Model):
    user_list: list[str] = []
    department_list: list[int] = []


class InvalidContacts(_Model):
    tag_list: list[str] = []


class MomentJobOutcome(_Model):
    errcode: int = 0
    errmsg: str = ""
    moment_id: str = ""
    invalid_sender_list: InvalidSenders = InvalidSenders()
    invalid_external_contact_list: InvalidContacts = InvalidContacts()


class MomentJobResult(_Model):
    status: int  # 1 started, 2 running, 3 done
    type: str = "add_moment_task"
    result: MomentJobOutcome | None = None

    @property
    def done(self) -> bool:
        return self.status == JOB_DONE


class MomentPublishStatus(_Model):
    userid: str
    publish_status: int  # 0 not yet, 1 published


class MomentTaskPage(_Model):
    task_list: list[MomentPublishStatus] = []
    next_cursor: str = ""
