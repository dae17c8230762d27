"""The blocks the operational store's triggers marked as written since the warehouse sync last
read them (``warehouse_changes``, migration 0031), and the token of the sync that consumed them.

The sync reads the marks before any data, re-reads the marked blocks, and afterwards deletes
exactly the (id, writes) pairs it read: a mark written, or written again, after the read keeps
its row (a new one, or a bumped ``writes``) for the next sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from siyu.adapters.db.tables.warehouse import warehouse_changes, warehouse_sync_tokens

DELETE_CHUNK = 500


@dataclass(frozen=True)
class Change:
    id: int
    source: str
    block: int
    writes: int


class WarehouseChanges:
    def __init__(self, session: Session) -> None:
        self.session = session

    def marked(self, tenant_id: int, sources: Iterable[str]) -> list[Change]:
        c = warehouse_changes.c
        stmt = (select(c.id, c.source, c.block, c.writes)
                .where(c.tenant_id == tenant_id, c.source.in_(sorted(set(sources)))).order_by(c.id))
        return [Change(int(i), s, int(b), int(w)) for i, s, b, w in self.session.execute(stmt)]

    def tokens(self, tenant_id: int, sources: Iterable[str]) -> dict[str, int]:
        t = warehouse_sync_tokens.c
        stmt = select(t.source, t.token).where(t.tenant_id == tenant_id, t.source.in_(sorted(set(sources))))
        return {s: int(token) for s, token in self.session.execute(stmt)}

    def consume(self, tenant_id: int, changes: Sequence[Change], sources: Iterable[str], token: int) -> None:
        """Forget the marks read (unless written again since) and remember the consuming sync's token."""
        c, t = warehouse_changes.c, warehouse_sync_tokens.c
        for i in range(0, len(changes), DELETE_CHUNK):
            pairs = [(x.id, x.writes) for x in changes[i : i + DELETE_CHUNK]]
            self.session.execute(delete(warehouse_changes).where(c.tenant_id == tenant_id, tuple_(c.id, c.writes).in_(pairs)))
        names = sorted(set(sources))
        self.session.execute(delete(warehouse_sync_tokens).where(t.tenant_id == tenant_id, t.source.in_(names)))
        if names:
            self.session.execute(insert(warehouse_sync_tokens), [{"tenant_id": tenant_id, "source": s, "token": token} for s in names])
