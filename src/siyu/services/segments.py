"""Segments (人群): create, change, delete and list saved rules, checked against the tenant's data.

A rule is parsed and checked (``siyu.domain.segments``) against a catalog of what the tenant
has: tags, stages, channels, staff, stores, regions, extended fields (kinds and options) and
the other segments, so a reference to something missing, an op a field's kind does not take,
or a cycle through other segments is refused with a coded error naming the condition. A
segment another segment refers to cannot be deleted. Counting and listing members is the
analytics' job (``siyu.analytics.segments``, on the warehouse); a fresh check of a few
customers on the operational store is ``siyu.services.segment_matching``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import Conflict, NotFound
from siyu.domain.fields import FieldKind
from siyu.domain.paging import Page, PageRequest
from siyu.domain.segments import (
    RuleCatalog,
    RuleProblems,
    Segment,
    SegmentRule,
    clean_description,
    clean_segment_name,
)
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label


def rule_catalog(uow: SqlUnitOfWork, tenant_id: int) -> RuleCatalog:
    """Inside an open unit of work: what the tenant's rules may refer to."""
    ids = uow.segments.ids_of(tenant_id)
    fields = uow.fields.all(tenant_id)
    rules = uow.segments.rules(tenant_id)
    return RuleCatalog(
        fields={key: f.kind for key, f in fields.items()},
        field_options={key: f.options for key, f in fields.items() if f.kind in (FieldKind.SINGLE, FieldKind.MULTI)},
        tag_ids=ids["tags"], stage_ids=ids["stages"], channel_ids=ids["channels"], staff_ids=ids["staff"],
        store_ids=ids["stores"], region_ids=ids["regions"], segment_ids=frozenset(rules), segment_rules=rules,
    )


def check_rule(uow: SqlUnitOfWork, tenant_id: int, raw: Any, *, segment_id: int | None = None) -> SegmentRule:
    """Inside an open unit of work: the parsed, checked rule (InvalidInput naming the condition)."""
    return SegmentRule.parse(raw).check(rule_catalog(uow, tenant_id), segment_id=segment_id)


def validate_rule(uow: SqlUnitOfWork, actor: Actor, raw: Any) -> SegmentRule:
    """Parse and check a rule for the actor's tenant (the editor's live preview)."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return check_rule(uow, actor.tenant_id, raw)


@dataclass(frozen=True, slots=True)
class Evaluable:
    """A checked rule with what the warehouse needs to evaluate it (the tenant's field kinds and
    saved rules, as the segment queries take them); ``segment`` when it is a saved one."""

    rule: SegmentRule
    fields: tuple[tuple[str, FieldKind], ...]
    saved: tuple[tuple[int, SegmentRule], ...]
    segment: Segment | None = None


def _evaluable(uow: SqlUnitOfWork, tenant_id: int, rule: SegmentRule, segment: Segment | None) -> Evaluable:
    fields = tuple(sorted((key, f.kind) for key, f in uow.fields.all(tenant_id).items()))
    saved = tuple(sorted(uow.segments.rules(tenant_id).items()))
    return Evaluable(rule=rule, fields=fields, saved=saved, segment=segment)


def preview_rule(uow: SqlUnitOfWork, actor: Actor, raw: Any, *, segment_id: int | None = None) -> Evaluable:
    """A rule being edited, checked with every problem at once (``RuleProblems``: each names its
    group or condition), ready to count; ``segment_id``: the segment being edited (for cycles)."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        if segment_id is not None:
            _get(uow, actor.tenant_id, segment_id)
        catalog = rule_catalog(uow, actor.tenant_id)
        problems = SegmentRule.problems(raw, catalog, segment_id=segment_id)
        if problems:
            raise RuleProblems(problems=problems)
        return _evaluable(uow, actor.tenant_id, SegmentRule.parse(raw).check(catalog, segment_id=segment_id), None)


def evaluable_segment(uow: SqlUnitOfWork, actor: Actor, segment_id: int) -> Evaluable:
    """A saved segment, ready to count, list or export on the warehouse."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        segment = _get(uow, actor.tenant_id, segment_id)
        return _evaluable(uow, actor.tenant_id, segment.rule, segment)


def _check_tag(uow: SqlUnitOfWork, tenant_id: int, tag_id: int | None, segment_id: int | None) -> None:
    if tag_id is None:
        return
    if uow.tags.get(tenant_id, tag_id) is None:
        raise NotFound("tag.not_found", "no such tag", field="materialise_as_tag_id")
    if any(s.materialise_as_tag_id == tag_id and s.id != segment_id for s in uow.segments.materialised(tenant_id)):
        raise Conflict("segment.tag_taken", "another segment keeps this tag already", field="materialise_as_tag_id")


def create_segment(uow: SqlUnitOfWork, actor: Actor, *, name: str, rule: Any, description: str = "",
                   materialise_as_tag_id: int | None = None) -> Segment:
    actor.require(Permission.CUSTOMERS_MANAGE)
    name, description = clean_segment_name(name), clean_description(description)
    with uow:
        checked = check_rule(uow, actor.tenant_id, rule)
        if uow.segments.find_by_name(actor.tenant_id, name) is not None:
            raise Conflict("segment.name_taken", "a segment named “%(name)s” exists already", field="name", name=name)
        _check_tag(uow, actor.tenant_id, materialise_as_tag_id, None)
        segment_id = uow.segments.add(actor.tenant_id, name=name, description=description, rule=checked,
                                      tag_id=materialise_as_tag_id, actor=actor_label(actor), now=utcnow())
        segment = uow.segments.find(actor.tenant_id, segment_id)
        uow.commit()
    assert segment is not None
    return segment


_UNSET: Any = object()


def update_segment(uow: SqlUnitOfWork, actor: Actor, segment_id: int, *, name: str | None = None, rule: Any = None,
                   description: str | None = None, materialise_as_tag_id: int | None = _UNSET) -> Segment:
    """Change what is given; ``materialise_as_tag_id=None`` stops keeping a tag."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        current = _get(uow, actor.tenant_id, segment_id)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = clean_segment_name(name)
            other = uow.segments.find_by_name(actor.tenant_id, values["name"])
            if other is not None and other.id != segment_id:
                raise Conflict("segment.name_taken", "a segment named “%(name)s” exists already", field="name",
                               name=values["name"])
        if description is not None:
            values["description"] = clean_description(description)
        if rule is not None:
            values["rule"] = check_rule(uow, actor.tenant_id, rule, segment_id=current.id)
        if materialise_as_tag_id is not _UNSET:
            _check_tag(uow, actor.tenant_id, materialise_as_tag_id, segment_id)
            values["materialise_as_tag_id"] = materialise_as_tag_id
        uow.segments.update(actor.tenant_id, segment_id, **values, updated_by=actor_label(actor), updated_at=utcnow())
        segment = _get(uow, actor.tenant_id, segment_id)
        uow.commit()
    return segment


def delete_segment(uow: SqlUnitOfWork, actor: Actor, segment_id: int) -> None:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        _get(uow, actor.tenant_id, segment_id)
        users = [s for s in uow.segments.all(actor.tenant_id) if segment_id in s.rule.referenced_segments()]
        if users:
            raise Conflict("segment.in_use", "the segment “%(name)s” refers to this one; change it first",
                           name=users[0].name)
        uow.segments.delete(actor.tenant_id, segment_id)
        uow.commit()


def get_segment(uow: SqlUnitOfWork, actor: Actor, segment_id: int) -> Segment:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return _get(uow, actor.tenant_id, segment_id)


def list_segments(uow: SqlUnitOfWork, actor: Actor, request: PageRequest) -> Page[Segment]:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.segments.list(actor.tenant_id, request)


def saved_rules(uow: SqlUnitOfWork, actor: Actor) -> dict[int, SegmentRule]:
    """Every saved rule of the actor's tenant by id (to inline ``segment`` conditions)."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.segments.rules(actor.tenant_id)


def _get(uow: SqlUnitOfWork, tenant_id: int, segment_id: int) -> Segment:
    segment = uow.segments.find(tenant_id, segment_id)
    if segment is None:
        raise NotFound("segment.not_found", "no such segment")
    return segment
