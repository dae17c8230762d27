"""The tenant's member levels: read in order, replaced as a whole."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import member_levels
from siyu.domain.member_levels import MemberLevels


class MemberLevelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, tenant_id: int) -> MemberLevels:
        m = member_levels.c
        rows = self.session.execute(select(m.name, m.loyal).where(m.tenant_id == tenant_id).order_by(m.position)).all()
        return MemberLevels(names=tuple(r.name for r in rows), loyal_from=next((r.name for r in rows if r.loyal), None))

    def replace(self, tenant_id: int, levels: MemberLevels, *, now: datetime) -> None:
        self.session.execute(delete(member_levels).where(member_levels.c.tenant_id == tenant_id))
        loyal = set(levels.loyal)
        if levels.names:
            self.session.execute(insert(member_levels), [
                {"tenant_id": tenant_id, "name": name, "position": i, "loyal": name in loyal, "created_at": now}
                for i, name in enumerate(levels.names, start=1)])
