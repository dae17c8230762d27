"""Exporting a filtered customer list to CSV or XLSX, a batch of customers at a time.

Who may export what:

- ``customers.view`` is needed, and the rows are always cut to the actor's row scope: a guide
  exports the customers they follow, a store manager those of their store.
- Every customer of the tenant at once (no filter, by an actor who sees the whole tenant) is
  the brand's whole customer base leaving the system: that needs ``customers.manage`` too.
- Phone numbers are masked (``138****8000``) for actors without ``phones.view``, exactly as in
  the console and the API (:func:`siyu.services.customers.rows` does it for all three).

Columns: id, name, gender, birthday, region, phone, identities (the other keys, ``kind:value``),
tags (``group/tag; ...``), stage, owner, added_at (Asia/Shanghai), then each extended field by
its label. CSV is UTF-8 with a BOM so Excel shows Chinese; XLSX is written in write-only mode.
"""

from __future__ import annotations

from datetime import datetime
from collections.abc import Iterable
from itertools import islice
from typing import IO, Any
from zoneinfo import ZoneInfo

from siyu.adapters.db.repositories.customers import CustomerFilter
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.files.writers import SheetFormat, open_writer
from siyu.domain.access import Actor, Permission
from siyu.domain.customers import Gender
from siyu.domain.fields import CustomField
from siyu.domain.identities import IdentityKind
from siyu.services.customers import CustomerRow, rows, searched_by

__all__ = ["HEADER", "SheetFormat", "export_customers", "export_listed"]

HEADER = ["id", "name", "gender", "birthday", "region", "phone", "identities", "tags", "stage", "owner", "added_at"]
SHANGHAI = ZoneInfo("Asia/Shanghai")
_GENDER = {Gender.UNKNOWN: "", Gender.MALE: "男", Gender.FEMALE: "女"}


def export_customers(uow: SqlUnitOfWork, actor: Actor, flt: CustomerFilter, out: IO[bytes], *, fmt: SheetFormat) -> int:
    """Write the matching customers to ``out``; returns how many rows were written."""
    actor.require(Permission.CUSTOMERS_VIEW)
    if actor.scope.whole_tenant and flt == CustomerFilter():
        actor.require(Permission.CUSTOMERS_MANAGE)
    written = 0
    with uow, open_writer(fmt, out, title="customers") as sheet:
        definitions = list(uow.fields.all(actor.tenant_id).values())
        labels = {t.id: t.label for t in uow.tags.all(actor.tenant_id)}
        sheet.write(HEADER + [d.label for d in definitions])
        for batch in uow.customers.stream(actor.scope, searched_by(actor, flt)):
            for row in rows(uow, actor, batch):
                sheet.write(_line(row, labels, definitions))
                written += 1
    return written


def export_listed(uow: SqlUnitOfWork, actor: Actor, customer_ids: Iterable[int], out: IO[bytes], *, fmt: SheetFormat,
                  title: str = "customers", batch: int = 2000) -> int:
    """Write the given customers (a segment's members, in the order given) with the same columns
    and masking as :func:`export_customers`, cut to the actor's scope as it is now; returns how
    many rows were written. A list can be the whole tenant, so a whole-tenant actor needs
    ``customers.manage`` as for an unfiltered export."""
    actor.require(Permission.CUSTOMERS_VIEW)
    if actor.scope.whole_tenant:
        actor.require(Permission.CUSTOMERS_MANAGE)
    written = 0
    with uow, open_writer(fmt, out, title=title) as sheet:
        definitions = list(uow.fields.all(actor.tenant_id).values())
        labels = {t.id: t.label for t in uow.tags.all(actor.tenant_id)}
        sheet.write(HEADER + [d.label for d in definitions])
        ids = iter(customer_ids)
        while chunk := list(islice(ids, batch)):
            for row in rows(uow, actor, uow.customers.visible(actor.scope, chunk)):
                sheet.write(_line(row, labels, definitions))
                written += 1
    return written


def _line(row: CustomerRow, labels: dict[int, str], definitions: list[CustomField]) -> list[Any]:
    customer = row.customer
    phone = next((i for i in row.identities if i.kind is IdentityKind.PHONE), None)
    others = [i for i in row.identities if i is not phone]
    return [
        customer.id,
        customer.name,
        _GENDER[customer.gender],
        customer.birthday.isoformat() if customer.birthday else "",
        customer.region or "",
        phone.value if phone else "",
        "; ".join(f"{i.kind.value}:{i.value}" for i in others),
        "; ".join(sorted(labels[t] for t in row.tag_ids if t in labels)),
        row.stage_name or "",
        row.owner_name or "",
        _local(customer.added_at),
        *(_field(customer.fields.get(d.key)) for d in definitions),
    ]


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _field(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value
