"""Contact pressure (触达频控): screen an audience before a send, record what was delivered.

Every send (mass send, journey step, moment) does two things here, inside its own unit of
work:

- before it fans out, :func:`screen_in` splits its audience into the customers it may reach
  at ``at`` and those it may not, each with the reason (``Screening``); the send reports
  ``Screening.counts()``;
- for every message WeCom reports delivered, :func:`record_in` writes one row of the message
  log (``customer_messages``), which is what the next screening counts.

The rules themselves (limits per Shanghai day / week / month, quiet hours, WeCom's cap) and
their precedence are the domain's (:mod:`siyu.domain.contact_pressure`). The rest of this
module is the actor-facing side: read and change the rules (``contact_rules.manage``), opt a
customer out or back in (``customers.edit`` on a customer in scope: a guide only their own
customers), and page the opt-outs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.contact_pressure import (
    ContactRules,
    ExclusionReason,
    OptOut,
    OptOutSource,
    PeriodCounts,
    Periods,
    decide,
)
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.paging import Page, PageRequest
from siyu.domain.timeline import EventKind
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label

CHUNK = 5000  # customer ids per query (each chunk is one bound parameter: see the repository)
WHOLE_AUDIENCE = 10_000  # from this many ids on (two chunks), one set-based screen over a temporary table instead of chunks
NO_MESSAGES = PeriodCounts()
MAX_NOTE = 200


@dataclass(frozen=True, slots=True)
class Screening:
    """An audience screened at one instant: ``allowed`` in the order given (each id once), and
    why each of the others may not be reached now."""

    allowed: list[int]
    excluded: dict[int, ExclusionReason] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """``{"allowed": n, "opted_out": n, "quiet_hours": n, ...}``: every reason, zeros included."""
        found = {reason.value: 0 for reason in ExclusionReason}
        for reason in self.excluded.values():
            found[reason.value] += 1
        return {"allowed": len(self.allowed), **found}


def rules_in(uow: SqlUnitOfWork, tenant_id: int) -> ContactRules:
    """The tenant's rules (the defaults, ``ContactRules()``, until an admin saves some)."""
    return uow.contact_pressure.rules(tenant_id) or ContactRules()


def screen_in(uow: SqlUnitOfWork, tenant_id: int, customer_ids: Sequence[int], *, at: datetime,
              wecom_mass: bool = True) -> Screening:
    """Which of ``customer_ids`` may get one more message at ``at`` (inside the caller's unit of work).

    ``wecom_mass``: the message goes out as a WeCom mass message (``add_msg_template``), so
    WeCom's per-customer cap applies too. Three queries per chunk of ids (customers merged into
    them, opt-outs, message counts), never one per customer; from :data:`WHOLE_AUDIENCE` ids on,
    the whole audience at once instead, set-based (:func:`_pressure_of_audience`), with the same
    answer. Duplicate ids are screened once, at their first place. A customer merged into one of
    the ids brings their opt-out and messages (an id that is itself merged into another of the
    ids keeps its own too). Ids that are no customer of the tenant are not looked up as such: they
    have no opt-out and no messages, so they pass (the caller's audience is already the tenant's).
    """
    if at.tzinfo is None:
        raise InvalidInput("contact_pressure.naive_time", "give the delivery time with its time zone", field="at")
    rules = rules_in(uow, tenant_id)
    periods = rules.periods(at)
    quiet = rules.in_quiet_hours(at)
    needs_counts = not quiet and (wecom_mass or any(x is not None for x in (rules.per_day, rules.per_week, rules.per_month)))
    wanted = [int(c) for c in dict.fromkeys(customer_ids)]
    if len(wanted) >= WHOLE_AUDIENCE:
        opted_out, counts = _pressure_of_audience(uow, tenant_id, wanted, rules, periods if needs_counts else None, wecom_mass)
    else:
        opted_out, counts = set(), {}
        for start in range(0, len(wanted), CHUNK):
            chunk_opted_out, chunk_counts = _pressure_of(uow, tenant_id, wanted[start : start + CHUNK],
                                                         periods if needs_counts else None)
            opted_out |= chunk_opted_out
            counts.update(chunk_counts)
    # Most customers have neither an opt-out nor a message in the periods: one decision serves them all.
    untouched = decide(rules, at, NO_MESSAGES, opted_out=False, periods=periods, wecom_mass=wecom_mass)
    allowed: list[int] = []
    excluded: dict[int, ExclusionReason] = {}
    for customer_id in wanted:
        if customer_id in opted_out:
            reason: ExclusionReason | None = ExclusionReason.OPTED_OUT
        elif customer_id in counts:
            reason = decide(rules, at, counts[customer_id], opted_out=False, periods=periods, wecom_mass=wecom_mass)
        else:
            reason = untouched
        if reason is None:
            allowed.append(customer_id)
        else:
            excluded[customer_id] = reason
    return Screening(allowed=allowed, excluded=excluded)


def _add(have: PeriodCounts | None, found: PeriodCounts) -> PeriodCounts:
    if have is None:
        return found
    return PeriodCounts(day=have.day + found.day, week=have.week + found.week, month=have.month + found.month,
                        wecom=have.wecom + found.wecom)


def _merged_owners(given: set[int], parents: dict[int, int]) -> dict[int, list[int]]:
    """For each customer merged into given ids (``parents``: merged -> merged into), the given ids
    other than itself that its history counts for: every one it lives on in, through merges of merges."""
    found: dict[int, list[int]] = {}
    for customer_id in parents:
        owners: list[int] = []
        above = parents.get(customer_id)
        for _ in range(10):  # as deep as the repository looks
            if above is None:
                break
            if above in given:
                owners.append(above)
            above = parents.get(above)
        found[customer_id] = owners
    return found


def _pressure_of(uow: SqlUnitOfWork, tenant_id: int, chunk: list[int],
                 periods: Periods | None) -> tuple[set[int], dict[int, PeriodCounts]]:
    """Opted-out ids and message counts of a chunk of customers. A customer merged into one of
    them is the same person: their opt-out and their messages count for the one they live on in
    (for each of them, when that is several of the ids: a merged-away id given with its survivor)."""
    given = set(chunk)
    merged = _merged_owners(given, uow.contact_pressure.merged_below(tenant_id, chunk))
    lookup = chunk + [c for c in merged if c not in given]

    def owners(customer_id: int) -> list[int]:  # whom a looked-up customer's history counts for
        return ([customer_id] if customer_id in given else []) + merged.get(customer_id, [])

    opted_out: set[int] = set()
    counts: dict[int, PeriodCounts] = {}
    for start in range(0, len(lookup), CHUNK):
        part = lookup[start : start + CHUNK]
        for customer_id in uow.contact_pressure.opted_out_among(tenant_id, part):
            opted_out.update(owners(customer_id))
        if periods is not None:
            for customer_id, found in uow.contact_pressure.counts_among(tenant_id, part, periods).items():
                for owner in owners(customer_id):
                    counts[owner] = _add(counts.get(owner), found)
    return opted_out, counts


def _pressure_of_audience(uow: SqlUnitOfWork, tenant_id: int, wanted: list[int], rules: ContactRules, periods: Periods | None,
                          wecom_mass: bool) -> tuple[set[int], dict[int, PeriodCounts]]:
    """What :func:`_pressure_of` finds, for a whole audience at once: its ids (and the customers
    merged into them) in a temporary table, then one query for the opt-outs and one for the
    counts, which returns only the ids at one of the limits (the others pass them all)."""
    repository = uow.contact_pressure
    repository.load_audience(wanted)
    merged = _merged_owners(set(wanted), repository.merged_below(tenant_id, None))
    repository.add_to_audience([(customer_id, owner) for customer_id, owners in merged.items() for owner in owners])
    opted_out = repository.opted_out_in_audience(tenant_id)
    counts: dict[int, PeriodCounts] = {}
    if periods is not None:
        counts = repository.counts_at_limit_in_audience(tenant_id, periods, per_day=rules.per_day, per_week=rules.per_week,
                                                        per_month=rules.per_month,
                                                        wecom_limit=periods.wecom_limit if wecom_mass else None)
    repository.drop_audience()
    return opted_out, counts


def record_in(uow: SqlUnitOfWork, tenant_id: int, deliveries: Iterable[tuple[int, int | None]], *, source_kind: str,
              source_id: int, sent_at: datetime, wecom_mass: bool = True) -> int:
    """Log one message per ``(customer_id, staff_id)`` delivered by the source (inside the caller's unit of work).

    ``(source_kind, source_id)`` names one delivery per customer (a mass send; a journey's
    per-customer step run), so recording it again (a retried poll) adds nothing. Returns the
    rows added. ``wecom_mass`` marks them as counting towards WeCom's cap.
    """
    return record_each_in(uow, tenant_id, [(customer_id, staff_id, source_id) for customer_id, staff_id in deliveries],
                          source_kind=source_kind, sent_at=sent_at, wecom_mass=wecom_mass)


def record_each_in(uow: SqlUnitOfWork, tenant_id: int, deliveries: Iterable[tuple[int, int | None, int]], *, source_kind: str,
                   sent_at: datetime, wecom_mass: bool = True) -> int:
    """:func:`record_in` for deliveries that each name their own source: ``(customer_id, staff_id,
    source_id)`` (a round of journey message steps, one outbox row each), in one insert."""
    kind = source_kind.strip()
    if not kind or len(kind) > 20:
        raise InvalidInput("contact_pressure.source_kind_invalid", "the source kind is 1 to 20 characters, e.g. mass_send",
                           field="source_kind")
    if sent_at.tzinfo is None:
        raise InvalidInput("contact_pressure.naive_time", "give the delivery time with its time zone", field="sent_at")
    seen: dict[tuple[int, int], int | None] = {}  # one row per customer and source: the first staff member named wins
    for customer_id, staff_id, source_id in deliveries:
        seen.setdefault((customer_id, source_id), staff_id)
    return uow.contact_pressure.record([
        {"tenant_id": tenant_id, "customer_id": customer_id, "staff_id": staff_id, "source_kind": kind, "source_id": source_id,
         "sent_at": sent_at, "counts_toward_wecom_cap": wecom_mass}
        for (customer_id, source_id), staff_id in seen.items()
    ])


# -- the actor-facing side


def get_rules(uow: SqlUnitOfWork, actor: Actor) -> ContactRules:
    actor.require(Permission.CONTACT_RULES_MANAGE)
    with uow:
        return rules_in(uow, actor.tenant_id)


def update_rules(uow: SqlUnitOfWork, actor: Actor, rules: ContactRules) -> ContactRules:
    """Replace the tenant's rules (build them with ``ContactRules.parse``, which validates)."""
    actor.require(Permission.CONTACT_RULES_MANAGE)
    with uow:
        uow.contact_pressure.save_rules(actor.tenant_id, rules, now=utcnow(), actor=actor_label(actor))
        saved = rules_in(uow, actor.tenant_id)
        uow.commit()
    return saved


def _customer_in_scope(uow: SqlUnitOfWork, actor: Actor, customer_id: int) -> None:
    if uow.customers.get(actor.scope, customer_id) is None:
        raise NotFound("customer.not_found", "no such customer")


def _same_person(uow: SqlUnitOfWork, tenant_id: int, customer_id: int) -> list[int]:
    """The customer and every customer merged into them (whose opt-outs are theirs too)."""
    return [customer_id, *sorted(uow.contact_pressure.merged_into_among(tenant_id, [customer_id]))]


def _opt_out_of(uow: SqlUnitOfWork, tenant_id: int, customer_id: int) -> OptOut | None:
    for candidate in _same_person(uow, tenant_id, customer_id):
        found = uow.contact_pressure.find_opt_out(tenant_id, candidate)
        if found is not None:
            return found
    return None


def find_opt_out(uow: SqlUnitOfWork, actor: Actor, customer_id: int) -> OptOut | None:
    """The customer's opt-out (or that of a customer merged into them), or ``None`` when they may be contacted."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        _customer_in_scope(uow, actor, customer_id)
        return _opt_out_of(uow, actor.tenant_id, customer_id)


def opt_out(uow: SqlUnitOfWork, actor: Actor, customer_id: int, *, source: OptOutSource | str = OptOutSource.MANUAL,
            note: str | None = None) -> OptOut:
    """Set do-not-disturb on a customer: no send reaches them until :func:`opt_in`. Already opted out: a conflict."""
    actor.require(Permission.CUSTOMERS_EDIT)
    try:
        kind = OptOutSource(source)
    except ValueError:
        raise InvalidInput("opt_out.source_unknown", "the source is manual, import, customer_request or api", field="source") from None
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput("opt_out.note_too_long", "the note is at most %(max)s characters", field="note", max=MAX_NOTE)
    with uow:
        _customer_in_scope(uow, actor, customer_id)
        if _opt_out_of(uow, actor.tenant_id, customer_id) is not None:
            raise Conflict("opt_out.exists", "this customer has already opted out")
        now, label = utcnow(), actor_label(actor)
        uow.contact_pressure.add_opt_out(actor.tenant_id, customer_id, source=kind, actor=label, note=note, now=now)
        uow.timeline.add(actor.tenant_id, customer_id, EventKind.OPTED_OUT, actor=label, at=now, source=kind.value, note=note)
        found = uow.contact_pressure.find_opt_out(actor.tenant_id, customer_id)
        uow.commit()
    assert found is not None
    return found


def opt_in(uow: SqlUnitOfWork, actor: Actor, customer_id: int) -> None:
    """Remove the customer's do-not-disturb (the timeline keeps that it was set, and by whom)."""
    actor.require(Permission.CUSTOMERS_EDIT)
    with uow:
        _customer_in_scope(uow, actor, customer_id)
        current = _opt_out_of(uow, actor.tenant_id, customer_id)
        if current is None:
            raise NotFound("opt_out.not_found", "this customer has not opted out")
        for same in _same_person(uow, actor.tenant_id, customer_id):  # a merged-in customer's opt-out goes too
            uow.contact_pressure.remove_opt_out(actor.tenant_id, same)
        uow.timeline.add(actor.tenant_id, customer_id, EventKind.OPTED_IN, actor=actor_label(actor), at=utcnow(),
                         source=current.source.value)
        uow.commit()


def list_opt_outs(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[OptOut]:
    """Opted-out customers in the actor's scope, the latest first."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.contact_pressure.page_opt_outs(actor.scope, request)
