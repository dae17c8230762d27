"""Reading console forms and list filters, and turning form errors into field messages."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Request
from starlette.datastructures import FormData

from siyu.domain.errors import Conflict, DomainError, InvalidInput
from siyu.domain.paging import PageRequest
from siyu.web.i18n import Language

PAGE_SIZE = 20
FORM_WIDE = "__form__"
E = TypeVar("E", bound=Enum)


def paging(page: str = "1") -> PageRequest:
    """The ``page`` query parameter, forgiving: anything odd means the first page."""
    number = int(page) if page.isdigit() else 1
    return PageRequest(page=max(1, number), page_size=PAGE_SIZE)


Paging = Annotated[PageRequest, Depends(paging)]


def optional_id(raw: str | None, field: str) -> int | None:
    """A ``<select>`` of ids where the empty option means none."""
    value = (raw or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput("form.choose_option", "choose one of the options", field=field)
    return int(value)


def filter_id(raw: str | None) -> int | None:
    """An id in a list filter; a value that is not one filters nothing."""
    value = (raw or "").strip()
    return int(value) if value.isdigit() else None


def filter_choice(kind: type[E], raw: str | None) -> E | None:
    try:
        return kind(raw) if raw else None
    except ValueError:
        return None


def filter_ids(raw: list[str] | None) -> tuple[int, ...]:
    """Ids from a repeated parameter (checkboxes); anything that is not one is dropped."""
    return tuple(sorted({int(value) for value in raw or () if value.strip().isdigit()}))


def query_string(filters: Mapping[str, object]) -> str:
    """The non-empty filters, for links that keep them (pagination); lists repeat the key."""
    kept = {key: value for key, value in filters.items() if value not in (None, "", (), [])}
    return urlencode(kept, doseq=True)


async def posted_form(request: Request) -> FormData:
    """The whole posted form, for forms whose field names are data (a tenant's custom fields)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def failure(language: Language, exc: DomainError) -> tuple[dict[str, str], int]:
    """Field errors for the form, and the status to send with it (409 conflict, else 422)."""
    return {exc.field or FORM_WIDE: language.error(exc)}, 409 if isinstance(exc, Conflict) else 422
