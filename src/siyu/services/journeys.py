"""Journeys (SOP 旅程): create (from scratch or a template), edit, start, pause, resume, stop, count.

A definition is parsed (``siyu.domain.journeys``) and checked against the tenant's data: the
tags, stages, channels and segment it names exist, and each branch's rule passes the segment
checks (``services.segments.check_rule``), so an error names the step. Editing a journey with
customers in it keeps each customer on the step with the same id; customers on a step the new
definition no longer has leave (dropped, ``step_removed``). Customers enter through
``services.journey_triggers`` and move through ``services.journey_runner``.
"""

from __future__ import annotations

from typing import Any

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.journeys import (
    Journey, JourneyDefinition, JourneyStatus, StepKind, StepStats, TriggerKind, clean_journey_name,
)
from siyu.domain.journeys.templates import template
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label
from siyu.services.segments import check_rule, rule_catalog


def check_definition(uow: SqlUnitOfWork, tenant_id: int, raw: Any) -> JourneyDefinition:
    """Inside an open unit of work: the parsed definition, every reference checked (InvalidInput naming the step)."""
    definition = JourneyDefinition.parse(raw)
    catalog = rule_catalog(uow, tenant_id)
    known = {"tags": catalog.tag_ids, "stages": catalog.stage_ids, "channels": catalog.channel_ids,
             "segments": catalog.segment_ids}
    for kind, ids in definition.references().items():
        missing = sorted(ids - known[kind])
        if missing:
            raise InvalidInput("journey.unknown_reference", "no %(kind)s with id %(id)s",
                               field=definition.where(kind, missing[0]), kind=kind, id=missing[0])
    trigger = definition.trigger
    if trigger.kind is TriggerKind.DATE_FIELD and trigger.field != "birthday":
        key = trigger.field.removeprefix("field:")
        if catalog.fields.get(key) is None or catalog.fields[key].value != "date":
            raise InvalidInput("journey.not_date_field", "trigger: “%(key)s” is not a date field", field="trigger", key=key)
    for i, step in enumerate(definition.steps):
        if step.kind is StepKind.BRANCH:
            assert step.rule is not None
            try:
                check_rule(uow, tenant_id, step.rule.to_dict())
            except InvalidInput as exc:
                raise InvalidInput("journey.bad_branch_rule", "%(where)s: %(reason)s", field=f"steps[{i}].rule",
                                   where=f"steps[{i}]", reason=exc.message) from exc
    return definition


def validate_definition(uow: SqlUnitOfWork, actor: Actor, raw: Any) -> JourneyDefinition:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return check_definition(uow, actor.tenant_id, raw)


def create_journey(uow: SqlUnitOfWork, actor: Actor, *, name: str, definition: Any) -> Journey:
    """A new journey, as a draft: nobody enters until it is started."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    name = clean_journey_name(name)
    with uow:
        checked = check_definition(uow, actor.tenant_id, definition)
        if uow.journeys.find_by_name(actor.tenant_id, name) is not None:
            raise Conflict("journey.name_taken", "a journey named “%(name)s” exists already", field="name", name=name)
        journey_id = uow.journeys.add(actor.tenant_id, name=name, definition=checked, actor=actor_label(actor), now=utcnow())
        journey = _get(uow, actor.tenant_id, journey_id)
        uow.commit()
    return journey


def create_from_template(uow: SqlUnitOfWork, actor: Actor, key: str, *, name: str | None = None, tag_id: int | None = None,
                         stage_id: int | None = None) -> Journey:
    """A draft journey from one of the templates (``domain.journeys.templates``), to edit before starting."""
    default_name, definition = template(key, tag_id=tag_id, stage_id=stage_id)
    return create_journey(uow, actor, name=name or default_name, definition=definition)


def update_journey(uow: SqlUnitOfWork, actor: Actor, journey_id: int, *, name: str | None = None,
                   definition: Any = None) -> Journey:
    """Rename and/or change the definition. Customers in it stay on the same-id step; those on a
    removed step leave (dropped). A stopped journey cannot change."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        current = _get(uow, actor.tenant_id, journey_id)
        if current.status is JourneyStatus.STOPPED:
            raise Conflict("journey.stopped", "the journey is stopped; copy it into a new one to change it")
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = clean_journey_name(name)
            other = uow.journeys.find_by_name(actor.tenant_id, values["name"])
            if other is not None and other.id != journey_id:
                raise Conflict("journey.name_taken", "a journey named “%(name)s” exists already", field="name", name=values["name"])
        now = utcnow()
        if definition is not None:
            checked = check_definition(uow, actor.tenant_id, definition)
            kept = {s.id for s in checked.steps}
            gone = {step for _, step in uow.journeys.live_enrollments(actor.tenant_id, journey_id)} - kept
            if gone:
                uow.journeys.drop(actor.tenant_id, journey_id, reason="step_removed", now=now, step_ids=gone)
            values["definition"] = checked
        uow.journeys.update(actor.tenant_id, journey_id, now=now, **values)
        journey = _get(uow, actor.tenant_id, journey_id)
        uow.commit()
    return journey


def _transition(uow: SqlUnitOfWork, actor: Actor, journey_id: int, action: str, status: JourneyStatus) -> Journey:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        current = _get(uow, actor.tenant_id, journey_id)
        if not current.allowed(action):
            raise Conflict("journey.bad_transition", "a %(status)s journey cannot %(action)s", status=current.status.value,
                           action=action)
        now = utcnow()
        if status is JourneyStatus.STOPPED:
            uow.journeys.drop(actor.tenant_id, journey_id, reason="stopped", now=now)
        uow.journeys.update(actor.tenant_id, journey_id, now=now, status=status.value)
        journey = _get(uow, actor.tenant_id, journey_id)
        uow.commit()
    return journey


def start_journey(uow: SqlUnitOfWork, actor: Actor, journey_id: int) -> Journey:
    return _transition(uow, actor, journey_id, "start", JourneyStatus.ACTIVE)


def pause_journey(uow: SqlUnitOfWork, actor: Actor, journey_id: int) -> Journey:
    """Nobody enters and nobody moves until resumed; waits that end meanwhile go on at resume."""
    return _transition(uow, actor, journey_id, "pause", JourneyStatus.PAUSED)


def resume_journey(uow: SqlUnitOfWork, actor: Actor, journey_id: int) -> Journey:
    return _transition(uow, actor, journey_id, "resume", JourneyStatus.ACTIVE)


def stop_journey(uow: SqlUnitOfWork, actor: Actor, journey_id: int) -> Journey:
    """For good: everyone still in leaves (dropped at their step)."""
    return _transition(uow, actor, journey_id, "stop", JourneyStatus.STOPPED)


def delete_journey(uow: SqlUnitOfWork, actor: Actor, journey_id: int) -> None:
    """Only a draft (never started) goes away; a journey that ran is stopped instead, to keep its counts."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        current = _get(uow, actor.tenant_id, journey_id)
        if current.status is not JourneyStatus.DRAFT:
            raise Conflict("journey.not_draft", "only a draft journey can be deleted; stop this one instead")
        uow.journeys.delete(actor.tenant_id, journey_id)
        uow.commit()


def get_journey(uow: SqlUnitOfWork, actor: Actor, journey_id: int) -> Journey:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return _get(uow, actor.tenant_id, journey_id)


def list_journeys(uow: SqlUnitOfWork, actor: Actor, request: PageRequest) -> Page[Journey]:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.journeys.list(actor.tenant_id, request)


def step_stats(uow: SqlUnitOfWork, actor: Actor, journey_id: int) -> list[StepStats]:
    """Per step of the current definition: customers at it now (and of them, those a contact-pressure
    rule put off), passed it, left the journey at it (and why: an opt-out, a limit, a stop ...)."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        journey = _get(uow, actor.tenant_id, journey_id)
        inside, runs = uow.journeys.step_counts(actor.tenant_id, journey_id)
        dropped, waiting = uow.journeys.step_reasons(actor.tenant_id, journey_id)
    return [StepStats(s.id, s.kind.value, inside.get(s.id, 0), runs.get((s.id, "passed"), 0), runs.get((s.id, "dropped"), 0),
                      dropped_by={r: n for (step, r), n in sorted(dropped.items()) if step == s.id},
                      waiting_by={r: n for (step, r), n in sorted(waiting.items()) if step == s.id})
            for s in journey.definition.steps]


def _get(uow: SqlUnitOfWork, tenant_id: int, journey_id: int) -> Journey:
    journey = uow.journeys.get(tenant_id, journey_id)
    if journey is None:
        raise NotFound("journey.not_found", "no such journey")
    return journey
