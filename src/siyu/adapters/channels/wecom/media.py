"""Media uploads of :class:`~siyu.adapters.channels.wecom.channel.WeComChannel`, as a mixin
(shapes and sources: :mod:`siyu.adapters.channels.media`; WeCom's limits: :mod:`siyu.domain.media`).

Size and format are checked before the upload is spent; the transport's token, retry and
errcode handling apply as to any call (a 45009 is retried, a 40005 raised typed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from siyu.adapters.channels.media import MediaFetchFailed, MediaFile, MediaSource, QrCodeFetchFailed, UploadedMedia
from siyu.domain.media import MediaKind, MediaPurpose, check_media, sniff

if TYPE_CHECKING:
    from siyu.adapters.channels.wecom.client import WeComClient

UPLOAD = "/cgi-bin/media/upload"
UPLOAD_ATTACHMENT = "/cgi-bin/media/upload_attachment"
QR_CODE_MAX_BYTES = 2 << 20
QR_CODE_FORMATS = {"png": "image/png", "jpg": "image/jpeg"}  # what WeCom makes; anything else is refused
MOMENTS_ATTACHMENT = 1  # attachment_type: 1 moments, 2 product catalogue


def _parse(data: object) -> UploadedMedia:
    from siyu.adapters.channels.wecom.channel import _parse as parse  # the channel's one answer check

    return parse(UploadedMedia, data)


class MediaCalls:
    client: WeComClient
    media_source: MediaSource

    def fetch_media(self, url: str, *, max_bytes: int) -> MediaFile:
        """The material's file from where the brand keeps it (not from WeCom)."""
        return self.media_source.fetch(url, max_bytes=max_bytes)

    def fetch_qr_code(self, url: str) -> MediaFile:
        """The QR code image WeCom made for a contact way or join way (its ``qr_code`` URL, an
        image on WeCom's CDN): the very code WeCom routes, not one drawn by Siyu from the URL."""
        try:
            image = self.media_source.fetch(url, max_bytes=QR_CODE_MAX_BYTES)
        except MediaFetchFailed as failed:
            raise QrCodeFetchFailed(url=url, reason=str(failed.params.get("reason", ""))) from None
        # judged by its bytes, not the header: it is served back from the console's own origin
        found = sniff(image.data)
        if found not in QR_CODE_FORMATS:
            raise QrCodeFetchFailed(url=url, reason=f"not a PNG or JPEG image (sent as {image.content_type})")
        return image.model_copy(update={"content_type": QR_CODE_FORMATS[found]})

    def upload_media(self, kind: MediaKind, file: MediaFile) -> UploadedMedia:
        """``media/upload``: a temporary media id (3 days) for messages and mini-program covers."""
        check_media(MediaPurpose.MESSAGE, kind, file.data)
        data = self.client.upload(UPLOAD, {"type": kind.value}, filename=file.filename, data=file.data,
                                  content_type=file.content_type)
        return _parse(data)

    def upload_attachment(self, kind: MediaKind, file: MediaFile) -> UploadedMedia:
        """``media/upload_attachment`` for moments (``attachment_type=1``): 3 days, like media/upload."""
        check_media(MediaPurpose.MOMENT, kind, file.data)
        data = self.client.upload(UPLOAD_ATTACHMENT, {"media_type": kind.value, "attachment_type": MOMENTS_ATTACHMENT},
                                  filename=file.filename, data=file.data, content_type=file.content_type)
        return _parse(data)
