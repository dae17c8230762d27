"""Experiments (实验): create one, put customers in its arms, read it back.

Any send can use an experiment: before it fans out, it calls :func:`assign_in` inside its own
unit of work with its audience and reaches only the customers whose arm is not the control
(the holdout). Assignment is the domain's hash of the experiment's salt and the customer id
(:meth:`siyu.domain.experiments.Experiment.arm_of`), stored on first assignment: assigning a
customer again returns the arm they already have, even if they were first assigned by
another send of the same experiment. The report (:func:`experiment_report`) counts each arm's
customers, converters, GMV and repliers (customers with a ``message_replied`` event) over a
window of days after the experiment's start, with one query each on the operational store (the
assignments are not copied to the warehouse, and the orders and events a report needs are one
indexed join away); the statistics are the domain's
(:mod:`siyu.domain.experiment_stats`, :mod:`siyu.domain.experiment_reports`), and it shows,
for each send of the experiment, the arms as the send planned them (targeted, held out, and
excluded for another reason such as no relation or contact pressure).

People make experiments (:func:`create_experiment`, names unique per brand) and change them
while unused (:func:`update_experiment`: nobody assigned, no send names it), or a mass send
makes its own in the send's transaction (:func:`attach_in`, from the form's "hold out N%" and
"variant B"). An unused experiment attached to a send starts with it: its conversion window
counts from the send's time, not from when the experiment was written down.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.experiment_reports import ExperimentReport, build_report, planned_sends, window_of
from siyu.domain.experiments import Experiment, ExperimentDraft
from siyu.domain.mass_sends import MassSendDraft
from siyu.domain.send_experiments import SendExperiment
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow

MAX_ASSIGN = 100_000  # customers per call from outside a send (the API takes fewer per request)


def create_experiment(uow: SqlUnitOfWork, actor: Actor, draft: ExperimentDraft, *, started_at: datetime | None = None,
                      salt: str | None = None) -> Experiment:
    """Record the experiment with a fresh random salt (``salt``: a fixed one, for the demo brand's
    arms to be the same every load); its conversion window counts from ``started_at`` (default:
    now; a send it is attached to while unused moves it to the send's time)."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    now = utcnow()
    with uow:
        _refuse_taken(uow, actor.tenant_id, draft.name)
        experiment = _add(uow, actor.tenant_id, draft, started_at=started_at or now, now=now, salt=salt)
        uow.commit()
    return experiment


def update_experiment(uow: SqlUnitOfWork, actor: Actor, experiment_id: int, draft: ExperimentDraft) -> Experiment:
    """Change the name, the arms and the window of an experiment nobody is in yet and no send names."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        _get(uow, actor.tenant_id, experiment_id)
        if uow.experiments.in_use(actor.tenant_id, experiment_id):
            raise Conflict("experiment.in_use", "a send uses the experiment already, so it can no longer change", field="name")
        _refuse_taken(uow, actor.tenant_id, draft.name, other_than=experiment_id)
        uow.experiments.update(actor.tenant_id, experiment_id, name=draft.name, arms=draft.arms, window_days=draft.window_days)
        experiment = _get(uow, actor.tenant_id, experiment_id)
        uow.commit()
    return experiment


def in_use(uow: SqlUnitOfWork, actor: Actor, experiment_id: int) -> bool:
    """Whether the experiment can still change (:func:`update_experiment`)."""
    actor.require(Permission.ANALYTICS_VIEW)
    with uow:
        _get(uow, actor.tenant_id, experiment_id)
        return uow.experiments.in_use(actor.tenant_id, experiment_id)


def attach_in(uow: SqlUnitOfWork, tenant_id: int, draft: MassSendDraft, made: SendExperiment | None, *, start: datetime,
              now: datetime) -> MassSendDraft:
    """The send's experiment, inside the send's unit of work (a send refused later leaves no experiment).

    ``made``: the form's holdout and variant B become a new experiment, named after the send
    (" (2)", " (3)" ... when the name is taken), starting at ``start``, the send's time. Without
    it, an experiment the send names that is still unused starts at ``start`` too."""
    if made is not None:
        if draft.experiment_id is not None:
            raise InvalidInput("experiment.choose_one", "choose an experiment or make one for this send, not both", field="experiment_id")
        name = _free_name(uow, tenant_id, made.name or draft.name)
        experiment = _add(uow, tenant_id, made.draft(name), started_at=start, now=now)
        return replace(draft, experiment_id=experiment.id, variant_texts=made.variant_texts)
    if draft.experiment_id is not None:
        experiment = _get(uow, tenant_id, draft.experiment_id)
        if experiment.started_at != start and not uow.experiments.in_use(tenant_id, experiment.id):
            uow.experiments.update(tenant_id, experiment.id, name=experiment.name, arms=experiment.arms,
                                   window_days=experiment.window_days, started_at=start)
    return draft


def _add(uow: SqlUnitOfWork, tenant_id: int, draft: ExperimentDraft, *, started_at: datetime, now: datetime,
         salt: str | None = None) -> Experiment:
    experiment_id = uow.experiments.add(tenant_id, name=draft.name, salt=salt or secrets.token_hex(16), arms=draft.arms,
                                        window_days=draft.window_days, started_at=started_at, now=now)
    return _get(uow, tenant_id, experiment_id)


def _refuse_taken(uow: SqlUnitOfWork, tenant_id: int, name: str, *, other_than: int | None = None) -> None:
    if name in uow.experiments.names_like(tenant_id, name, other_than=other_than):
        raise Conflict("experiment.name_taken", "another experiment is called %(name)s", field="name", name=name)


def _free_name(uow: SqlUnitOfWork, tenant_id: int, name: str) -> str:
    taken = uow.experiments.names_like(tenant_id, name[:56])
    if name not in taken:
        return name
    number = 2
    while f"{name[:56]} ({number})" in taken:
        number += 1
    return f"{name[:56]} ({number})"


def get_experiment(uow: SqlUnitOfWork, actor: Actor, experiment_id: int) -> Experiment:
    actor.require(Permission.ANALYTICS_VIEW)
    with uow:
        return _get(uow, actor.tenant_id, experiment_id)


def list_experiments(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[Experiment]:
    actor.require(Permission.ANALYTICS_VIEW)
    with uow:
        return uow.experiments.list(actor.tenant_id, request)


def arm_counts(uow: SqlUnitOfWork, actor: Actor, experiment_id: int) -> dict[str, int]:
    """Customers assigned so far, per arm (every arm listed, in the experiment's order)."""
    actor.require(Permission.ANALYTICS_VIEW)
    with uow:
        experiment = _get(uow, actor.tenant_id, experiment_id)
        counts = uow.experiments.arm_counts(actor.tenant_id, experiment_id)
    return {a.key: counts.get(a.key, 0) for a in experiment.arms}


def _get(uow: SqlUnitOfWork, tenant_id: int, experiment_id: int) -> Experiment:
    found = uow.experiments.get(tenant_id, experiment_id)
    if found is None:
        raise NotFound("experiment.not_found", "no such experiment")
    return found


def assign_in(uow: SqlUnitOfWork, tenant_id: int, experiment_id: int, customer_ids: Iterable[int], *,
              now: datetime | None = None) -> dict[int, str]:
    """Each customer's arm, assigning those not yet in the experiment (inside the caller's unit of work).

    Idempotent: a customer already assigned keeps their first arm. Ids of no customer of the
    tenant are refused as a whole, so a send never half-assigns a bad audience.
    """
    experiment = _get(uow, tenant_id, experiment_id)
    wanted = set(customer_ids)
    unknown = wanted - uow.experiments.known_customers(tenant_id, wanted)
    if unknown:
        raise InvalidInput("experiment.unknown_customers", "%(count)s customer ids are not customers of this brand (e.g. %(example)s)",
                           field="customer_ids", count=len(unknown), example=min(unknown))
    have = uow.experiments.arms_of(tenant_id, experiment_id, wanted)
    new = {c: experiment.arm_of(c) for c in wanted - set(have)}
    uow.experiments.assign(tenant_id, experiment_id, new, now or utcnow())
    if new:  # a concurrent writer may have assigned some first: read back what is stored
        have = uow.experiments.arms_of(tenant_id, experiment_id, wanted)
    return dict(sorted(have.items()))


def assign(uow: SqlUnitOfWork, actor: Actor, experiment_id: int, customer_ids: Iterable[int]) -> dict[int, str]:
    """:func:`assign_in` in a transaction of its own, for the API and the console."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    wanted = set(customer_ids)
    if len(wanted) > MAX_ASSIGN:
        raise InvalidInput("experiment.too_many_customers", "at most %(max)s customers at a time", field="customer_ids", max=MAX_ASSIGN)
    with uow:
        arms = assign_in(uow, actor.tenant_id, experiment_id, wanted)
        uow.commit()
    return arms


def experiment_report(uow: SqlUnitOfWork, actor: Actor, experiment_id: int, *, window_days: int | None = None,
                      now: datetime | None = None) -> ExperimentReport:
    """Each arm's customers, converters, GMV and repliers over ``window_days`` after the start (default:
    the experiment's own window), and every variant against the control (conversion, GMV per
    customer, reply rate). A replier has a ``message_replied`` event in the window
    (:mod:`siyu.domain.experiment_reports`)."""
    actor.require(Permission.ANALYTICS_VIEW)
    with uow:
        experiment = _get(uow, actor.tenant_id, experiment_id)
        days, start, end = window_of(experiment, window_days)
        counts = uow.experiments.arm_counts(actor.tenant_id, experiment_id)
        report = build_report(experiment, days, counts, uow.experiments.window_converters(actor.tenant_id, experiment_id, start, end),
                              now=now or utcnow(), repliers=uow.experiments.window_repliers(actor.tenant_id, experiment_id, start, end))
        sends = planned_sends(experiment, uow.experiments.send_arms(actor.tenant_id, experiment_id))
    return replace(report, sends=sends)
