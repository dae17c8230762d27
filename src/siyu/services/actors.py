"""Who did something: the people and API tokens behind the actor labels the services record.

Timeline events, tag applications, merges and imports keep an actor label (``user:3``,
``token:2``, ``system``; see :func:`siyu.services.customers.actor_label`). Anyone who may see
such a record may see who made it, so naming needs no permission beyond being signed in; the
lookup is limited to the actor's own tenant, so a label that points elsewhere names nobody.
"""

from __future__ import annotations

from collections.abc import Iterable

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor


def _ids(labels: set[str], kind: str) -> set[int]:
    found = set()
    for label in labels:
        prefix, _, number = label.partition(":")
        if prefix == kind and number.isdigit():
            found.add(int(number))
    return found


def actor_names(uow: SqlUnitOfWork, actor: Actor, labels: Iterable[str | None]) -> dict[str, str]:
    """``{label: name}`` for the user and token labels among ``labels`` that belong to the
    actor's tenant: a user's display name, a token's name."""
    wanted = {label for label in labels if label}
    with uow:
        people = uow.users.names(actor.tenant_id, _ids(wanted, "user"))
        tokens = uow.tokens.names(actor.tenant_id, _ids(wanted, "token"))
    return {**{f"user:{i}": name for i, name in people.items()}, **{f"token:{i}": name for i, name in tokens.items()}}
