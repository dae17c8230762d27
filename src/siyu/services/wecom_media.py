"""Materials' files in WeCom: uploaded once, their media ids kept per tenant until they expire.

WeCom takes images, videos, files and mini-program covers by media id only (``media/upload``;
moments: ``media/upload_attachment``), and an id lives 3 days (``siyu.domain.media``). So before
a welcome, a mass send or a moment goes out, :class:`MaterialMedia` gives each material's
media ids: the cached one (``wecom_media``) while it has ``REUSE_MARGIN`` left and the material
still points at the same file, else the file fetched from the material's URL, checked (size,
format) and uploaded, and the new id kept.

Two workers sending the same material at once may both upload it (WeCom keeps a spare copy for
3 days); the table keeps the id that lasts longer, and both sends use valid ids. When WeCom
still refuses an id (40007: it dropped it early, or another app's upload was meant), the ids
that send used are forgotten — only while they are still the cached ones, so a fresher id
another worker kept survives — uploaded again, and the send is tried once more
(:func:`with_fresh_media`). No unit of work is held open during a fetch or an upload.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import structlog

from siyu.adapters.channels.port import Channel
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.errors import ChannelError
from siyu.domain.media import INVALID_MEDIA_ID, MEDIA_LIFETIME, CachedMedia, MediaPurpose, max_bytes
from siyu.domain.welcome import Material
from siyu.services.clock import utcnow

log = structlog.get_logger("siyu.wecom_media")
T = TypeVar("T")


class MaterialMedia:
    """The media ids of some materials for one kind of upload, resolved on first use.

    ``ahead``: a cached id is reused only if it would still be reusable that much later (a
    refresh ahead of the next round, ``siyu.services.welcome_media``); a send leaves it at 0."""

    def __init__(self, uow: SqlUnitOfWork, channel: Channel, tenant_id: int, materials: list[Material],
                 purpose: MediaPurpose, *, ahead: timedelta = timedelta(0)) -> None:
        self.uow, self.channel, self.tenant_id = uow, channel, tenant_id
        self.materials, self.purpose, self.ahead = materials, purpose, ahead
        self._ids: dict[int, dict[str, str]] | None = None
        self.uploads = 0  # files uploaded by this object (a figure for tests and logs)

    @property
    def needed(self) -> bool:
        return any(m.media_needed(self.purpose) for m in self.materials)

    def ids(self) -> dict[int, dict[str, str]]:
        """material id -> part -> media id, uploading what is not cached (or no longer usable)."""
        if self._ids is not None:
            return self._ids
        found: dict[int, dict[str, str]] = {m.id: {} for m in self.materials}
        if not self.needed:
            self._ids = found
            return found
        with self.uow:
            cached = self.uow.wecom_media.for_materials(self.tenant_id, [m.id for m in self.materials], self.purpose)
        for material in self.materials:
            for part, kind, url in material.media_needed(self.purpose):
                hit = cached.get((material.id, part))
                if hit is not None and hit.usable(utcnow() + self.ahead, url):
                    found[material.id][part] = hit.media_id
                    continue
                file = self.channel.fetch_media(url, max_bytes=max_bytes(self.purpose, kind))
                started = utcnow()  # the id's 3 days are counted from before the upload: never too long
                upload = self.channel.upload_media if self.purpose is MediaPurpose.MESSAGE else self.channel.upload_attachment
                uploaded = upload(kind, file)
                self.uploads += 1
                kept = CachedMedia(material.id, self.purpose, part, url, uploaded.media_id, started, started + MEDIA_LIFETIME)
                with self.uow:  # one commit per upload: a later file's failure loses none done
                    self.uow.wecom_media.keep(self.tenant_id, kept)
                    self.uow.commit()
                found[material.id][part] = uploaded.media_id
        self._ids = found
        return found

    def renew(self) -> None:
        """WeCom refused an id this send used: forget the ids (only while still cached) and upload again on next use."""
        used = [media_id for parts in (self._ids or {}).values() for media_id in parts.values()]
        with self.uow:
            dropped = self.uow.wecom_media.forget(self.tenant_id, used)
            self.uow.commit()
        log.info("wecom media refused; uploading again", tenant_id=self.tenant_id, purpose=self.purpose.value, dropped=dropped)
        self._ids = None

    def message_attachments(self) -> list[dict[str, Any]]:
        """The materials as welcome messages and mass sends carry them (ids from media/upload)."""
        ids = self.ids()
        return [m.attachment(ids[m.id]) for m in self.materials]


def with_fresh_media(media: MaterialMedia, send: Callable[[], T]) -> T:
    """``send()`` (which reads ``media``); on WeCom's 40007, renew the ids and send once more."""
    try:
        return send()
    except ChannelError as exc:
        if exc.errcode != INVALID_MEDIA_ID or not media.needed:
            raise
    media.renew()
    return send()
