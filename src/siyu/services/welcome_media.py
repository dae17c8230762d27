"""Welcome messages' files kept uploaded to WeCom, so a welcome spends none of its 20 s uploading.

A welcome send takes each attachment's media id from the ``wecom_media`` cache and uploads what
is missing or about to lapse (``siyu.services.wecom_media``): fetched from the brand's URL and
uploaded inside WeCom's 20-second window. So the worker uploads a welcome message's files when
it is saved (:func:`warm_welcome_media`), and every :data:`REFRESH_EVERY` renews, for every
tenant, the ids of welcome materials that would stop being reused (less than ``REUSE_MARGIN``
left, 12 h) before the next round (:func:`refresh_welcome_media`). A tenant not linked to WeCom
has nothing to upload to, and is left alone.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.errors import DomainError
from siyu.domain.media import MediaPurpose
from siyu.domain.welcome import Material
from siyu.services.wecom_media import MaterialMedia
from siyu.services.wecom_settings import ChannelFactory, load_secrets, open_channel

log = structlog.get_logger("siyu.welcome_media")
REFRESH_EVERY = timedelta(hours=1)  # the periodic task's round (siyu.tasks)


def _upload(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, materials: list[Material], *,
            ahead: timedelta) -> int:
    wanted = [m for m in materials if m.media_needed(MediaPurpose.MESSAGE)]
    if not wanted:
        return 0
    with uow:
        linked = load_secrets(uow, box, tenant_id) is not None
    if not linked:
        return 0
    media = MaterialMedia(uow, open_channel(uow, box, channels, tenant_id), tenant_id, wanted, MediaPurpose.MESSAGE, ahead=ahead)
    media.ids()
    return media.uploads


def warm_welcome_media(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, message_id: int) -> int:
    """Upload the saved welcome message's files that have no usable media id; returns files uploaded."""
    with uow:
        message = uow.welcome.get_message(tenant_id, message_id)
        found = uow.welcome.materials(tenant_id, list(message.material_ids)) if message else {}
    return _upload(uow, box, channels, tenant_id, list(found.values()), ahead=timedelta(0))


def refresh_welcome_media(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, *,
                          ahead: timedelta = REFRESH_EVERY) -> dict[int, int]:
    """Every tenant: upload again the welcome materials' files whose ids lapse before ``ahead`` from
    now; tenant -> files uploaded. One tenant's failure (its WeCom down, a file gone) is logged and
    the others go on."""
    with uow:
        used = uow.welcome.welcome_material_ids()
    uploaded: dict[int, int] = {}
    for tenant_id, material_ids in sorted(used.items()):
        with uow:
            materials = list(uow.welcome.materials(tenant_id, sorted(material_ids)).values())
        try:
            uploaded[tenant_id] = _upload(uow, box, channels, tenant_id, materials, ahead=ahead)
        except DomainError as exc:
            log.warning("welcome media not refreshed", tenant_id=tenant_id, code=exc.code)
    return uploaded
