"""Moments tasks (朋友圈任务): the brand asks its staff to post a moment, visible to the customers
with some tags, and follows who posted it.

A task is text (at most 2,000 characters) and attachments from the material library — up to
9 images, or one video, or one link (WeCom's rule, never mixed; mini-programs and files cannot
go on moments). Images, the video and a link's cover are uploaded with
``media/upload_attachment`` when the task is submitted (``siyu.services.wecom_media``) — sent by staff picked one by one or by store,
visible to the customers carrying any of the chosen corp tags (none: all of each sender's
customers). The worker hands it to WeCom (``add_moment_task``, an asynchronous job), polls the
job until WeCom made the moment, then polls each sender's publish status for ``FOLLOW_DAYS``
or until every sender published. The completion rate is published senders over the senders
WeCom accepted.

Lifecycle: ``queued`` (recorded; the worker will submit it) -> ``submitted`` (a WeCom job) ->
``publishing`` (the moment exists; staff publish it from their WeCom) -> ``done`` (all
published, or the follow-up time is over) | ``cancelled`` (stopped: the rest can no longer
publish) | ``failed`` (WeCom refused the task; ``error`` says why).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from siyu.domain.errors import InvalidInput
from siyu.domain.welcome import Material, MaterialKind

TEXT_MAX = 2000
IMAGES_MAX = 9
TAGS_MAX = 100
SENDERS_MAX = 1000  # staff per task, after stores are expanded
FOLLOW_DAYS = 3  # how long publish status is followed after WeCom made the moment


class MomentStatus(StrEnum):
    QUEUED = "queued"
    SUBMITTED = "submitted"
    PUBLISHING = "publishing"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (MomentStatus.DONE, MomentStatus.CANCELLED, MomentStatus.FAILED)


class SenderStatus(StrEnum):
    WAITING = "waiting"  # not published (yet)
    PUBLISHED = "published"
    INVALID = "invalid"  # WeCom did not take this sender (left, no permission)


def _ids(values: Iterable[int], field: str, most: int) -> tuple[int, ...]:
    found = tuple(sorted({int(v) for v in values}))
    if len(found) > most:
        raise InvalidInput("moment.too_many", "at most %(max)s", field=field, max=most)
    return found


@dataclass(frozen=True, slots=True)
class MomentDraft:
    text: str
    material_ids: tuple[int, ...] = ()
    staff_ids: tuple[int, ...] = ()
    store_ids: tuple[int, ...] = ()
    tag_ids: tuple[int, ...] = ()

    @classmethod
    def parse(cls, *, text: str | None, material_ids: Iterable[int] = (), staff_ids: Iterable[int] = (),
              store_ids: Iterable[int] = (), tag_ids: Iterable[int] = ()) -> MomentDraft:
        body = (text or "").strip()
        if len(body) > TEXT_MAX:
            raise InvalidInput("moment.text_too_long", "a moment's text is at most %(max)s characters", field="text", max=TEXT_MAX)
        materials = tuple(dict.fromkeys(int(m) for m in material_ids))  # keep the order chosen: it is the order shown
        if len(materials) > IMAGES_MAX:
            raise InvalidInput("moment.too_many_attachments", "a moment carries at most %(max)s images", field="material_ids",
                               max=IMAGES_MAX)
        if not body and not materials:
            raise InvalidInput("moment.empty", "a moment needs text or an attachment", field="text")
        staff_ids, store_ids = _ids(staff_ids, "staff_ids", SENDERS_MAX), _ids(store_ids, "store_ids", SENDERS_MAX)
        if not staff_ids and not store_ids:
            raise InvalidInput("moment.no_senders", "choose the staff or the stores who post it", field="staff_ids")
        return cls(body, materials, staff_ids, store_ids, _ids(tag_ids, "tag_ids", TAGS_MAX))


def moment_attachments(materials: list[Material], media: dict[int, dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """The attachments, checked against WeCom's mix rule (9 images | 1 video | 1 link).

    Without ``media``: the task as recorded (what was chosen, by URL). With ``media`` (material
    id -> part -> media id from ``media/upload_attachment``, see :meth:`Material.media_needed`):
    as ``add_moment_task`` takes them — images and the video by media id, a link with its page,
    title and (when it has a picture) its cover's media id."""
    kinds = {m.kind for m in materials}
    if MaterialKind.MINIPROGRAM in kinds:
        raise InvalidInput("moment.no_miniprogram", "a mini-program cannot go on moments: choose images or one link",
                           field="material_ids")
    if MaterialKind.FILE in kinds:
        raise InvalidInput("moment.no_file", "a file cannot go on moments: choose images, one video or one link", field="material_ids")
    if MaterialKind.LINK in kinds and len(materials) > 1:
        raise InvalidInput("moment.link_alone", "a link goes on a moment alone: one link, or up to 9 images", field="material_ids")
    if any(m.kind is MaterialKind.LINK and not m.pic_url for m in materials):  # WeCom: a moment link's cover is required
        raise InvalidInput("moment.link_needs_picture", "a link on moments needs a picture for its cover: add one to the material",
                           field="material_ids")
    if MaterialKind.VIDEO in kinds and len(materials) > 1:
        raise InvalidInput("moment.video_alone", "a video goes on a moment alone: one video, or up to 9 images", field="material_ids")
    out: list[dict[str, Any]] = []
    for m in materials:
        ids = (media or {}).get(m.id, {})
        if m.kind is MaterialKind.LINK:
            cover = {"media_id": ids["cover"]} if "cover" in ids else ({"picurl": m.pic_url} if media is None else {})
            out.append({"msgtype": "link", "link": {"title": m.title, "url": m.url, **cover}})
        elif media is None:
            out.append({"msgtype": m.kind.value, m.kind.value: {"pic_url" if m.kind is MaterialKind.IMAGE else "url": m.url}})
        else:
            out.append({"msgtype": m.kind.value, m.kind.value: {"media_id": ids["main"]}})
    return out


@dataclass(frozen=True, slots=True)
class MomentSender:
    staff_id: int
    userid: str
    status: SenderStatus
    published_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Moment:
    id: int
    text: str
    material_ids: tuple[int, ...]
    attachments: tuple[dict[str, Any], ...]
    staff_ids: tuple[int, ...]
    store_ids: tuple[int, ...]
    tag_ids: tuple[int, ...]
    wecom_tag_ids: tuple[str, ...]  # as they were when recorded (a tag renamed or gone later changes nothing)
    status: MomentStatus
    jobid: str | None
    wecom_moment_id: str | None
    error: str | None
    senders: int
    published: int
    invalid: int
    actor: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None

    @property
    def completion_rate(self) -> float | None:
        """Published senders over the senders WeCom accepted; None before any was accepted."""
        accepted = self.senders - self.invalid
        return self.published / accepted if accepted > 0 else None
