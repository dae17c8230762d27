"""The media ids of materials uploaded to each tenant's WeCom (``wecom_media``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import wecom_media
from siyu.domain.media import CachedMedia, MediaPurpose

_M = wecom_media.c


def _cached(row: Any) -> CachedMedia:
    return CachedMedia(row.material_id, MediaPurpose(row.purpose), row.part, row.source, row.media_id, row.uploaded_at,
                       row.expires_at)


class WeComMediaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_materials(self, tenant_id: int, material_ids: list[int], purpose: MediaPurpose) -> dict[tuple[int, str], CachedMedia]:
        """(material id, part) -> the cached upload, for these materials and this kind of upload."""
        if not material_ids:
            return {}
        rows = self.session.execute(select(wecom_media).where(
            _M.tenant_id == tenant_id, _M.material_id.in_(material_ids), _M.purpose == purpose.value)).all()
        return {(r.material_id, r.part): _cached(r) for r in rows}

    def keep(self, tenant_id: int, media: CachedMedia) -> None:
        """Record an upload; of two workers' uploads of the same file, the one that lasts longer stays."""
        values = {"source": media.source, "media_id": media.media_id, "uploaded_at": media.uploaded_at,
                  "expires_at": media.expires_at}
        insert = (pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert)(wecom_media)
        statement = insert.values(tenant_id=tenant_id, material_id=media.material_id, purpose=media.purpose.value,
                                  part=media.part, **values)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=["tenant_id", "material_id", "purpose", "part"], set_=values,
            where=(wecom_media.c.source != statement.excluded.source) | (wecom_media.c.expires_at < statement.excluded.expires_at)))

    def forget(self, tenant_id: int, media_ids: list[str]) -> int:
        """Drop these ids (WeCom refused them), but not a fresher id another worker kept meanwhile."""
        if not media_ids:
            return 0
        result = self.session.execute(delete(wecom_media).where(_M.tenant_id == tenant_id, _M.media_id.in_(media_ids)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def forget_material(self, tenant_id: int, material_id: int) -> None:
        self.session.execute(delete(wecom_media).where(_M.tenant_id == tenant_id, _M.material_id == material_id))
