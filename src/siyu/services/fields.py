"""Extended fields each tenant defines for its customers."""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.fields import CustomField, FieldKind, clean_field_key, clean_options
from siyu.domain.tags import clean_label
from siyu.services.clock import utcnow


def list_fields(uow: SqlUnitOfWork, actor: Actor) -> list[CustomField]:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return list(uow.fields.all(actor.tenant_id).values())


def define_field(
    uow: SqlUnitOfWork, actor: Actor, *, key: str, label: str, kind: FieldKind | str, options: list[str] | None = None, required: bool = False
) -> CustomField:
    actor.require(Permission.CUSTOMERS_MANAGE)
    try:
        kind = FieldKind(kind)
    except ValueError:
        raise InvalidInput("field.unknown_kind", "a field kind is one of %(kinds)s", field="kind",
                           kinds=", ".join(k.value for k in FieldKind)) from None
    key, label = clean_field_key(key), clean_label(label, field="label")
    cleaned = clean_options(kind, options or [])
    with uow:
        existing = uow.fields.all(actor.tenant_id)
        if key in existing:
            raise Conflict("field.key_taken", "a field “%(key)s” exists already", field="key", key=key)
        if any(f.label == label for f in existing.values()):
            raise Conflict("field.label_taken", "a field labelled “%(label)s” exists already", field="label", label=label)
        made = uow.fields.add(actor.tenant_id, now=utcnow(), key=key, label=label, kind=kind.value, options=list(cleaned), required=required)
        uow.commit()
    return made


def update_field(uow: SqlUnitOfWork, actor: Actor, key: str, *, label: str, options: list[str] | None = None, required: bool = False) -> CustomField:
    """Relabel a field, add options, or change whether it is required. Kinds never change
    (stored values would stop being valid); options in use cannot be dropped."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    label = clean_label(label, field="label")
    with uow:
        field = uow.fields.all(actor.tenant_id).get(key)
        if field is None:
            raise NotFound("field.not_found", "no such field")
        cleaned = clean_options(field.kind, options if options is not None else list(field.options))
        dropped = set(field.options) - set(cleaned)
        if dropped:
            raise InvalidInput("field.options_in_use", "options cannot be removed: %(options)s", field="options",
                               options=", ".join(sorted(dropped)))
        uow.fields.update(actor.tenant_id, key, label=label, options=list(cleaned), required=required)
        updated = uow.fields.all(actor.tenant_id)[key]
        uow.commit()
    return updated
