"""Turn a filtered SELECT into a :class:`Page`: one COUNT, one LIMIT/OFFSET."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from siyu.domain.paging import Page, PageRequest

T = TypeVar("T")


def fetch_page(session: Session, query: Select[Any], request: PageRequest, to_item: Callable[[Any], T]) -> Page[T]:
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = session.execute(query.limit(request.page_size).offset(request.offset)).all()
    return Page([to_item(r) for r in rows], total=total, page=request.page, page_size=request.page_size)
