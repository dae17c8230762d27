"""Smart tags: one engine that keeps machine-owned tags equal to what a rule wants.

Two kinds of owner feed it, and both go through the one reconcile path (:func:`_reconcile`):

- the analyses' rules (``siyu.analytics.smart_tags``: RFM segment, churn risk), each owning a
  tag group: its tags are made on first use;
- segments kept as a tag (``materialise_as_tag_id``): the tag is exactly the segment's members
  on the warehouse, refreshed after each sync and on demand (:func:`refresh_segments`).

Tags are applied with source ``rule``; a managed tag put by hand on a customer the rule does
not want is removed at the next refresh (a member who already carries it keeps it as it is).
The refresh is bulk and idempotent: it compares what the rule wants with the tags customers
carry and writes only the differences, each change on the customer's timeline like any other
tag application (``tagged`` / ``untagged``, by "smart tags"), so a refresh that changes nothing
writes nothing. A customer merged away since the warehouse sync is skipped (the next sync maps
them to the survivor).

The customers' stored scores (``customer_scores``, which the rfm and ltv conditions read) are
written here too (:func:`store_scores`), only the rows that changed.

Segments are refreshed one unit of work each, in dependency order
(``siyu.domain.segments.refresh_order``): a segment after the segments it refers to and after
the segments whose kept tag its rule reads. Reading a tag that changed earlier in the same
refresh first asks ``tags_changed`` (the warehouse's copy of customer tags is brought up to
date) so the later segment sees the new members. The members themselves come from
``members``, a callable the caller binds to the warehouse (services never query it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.customers import TagSource
from siyu.domain.errors import DomainError
from siyu.domain.fields import FieldKind
from siyu.domain.segments import CustomerScore, SegmentRefresh, SegmentRule, refresh_order, rule_tag_ids
from siyu.domain.tags import RuleTags
from siyu.services.clock import utcnow
from siyu.services.tags import apply_in, ensure_tag

log = structlog.get_logger("siyu.smart_tags")
ACTOR = "smart tags"

#: the members of a rule on the warehouse: (rule, the tenant's saved rules, its field kinds) -> ids
MemberSource = Callable[[SegmentRule, Mapping[int, SegmentRule], Mapping[str, FieldKind]], list[int]]


@dataclass(frozen=True)
class TagTarget:
    """What one owner wants: the tags it manages and, per customer, which of them they carry."""

    managed: frozenset[int]
    wanted: Mapping[int, frozenset[int]]


@dataclass(frozen=True)
class SegmentTagReport:
    segment_id: int
    name: str
    tag_id: int
    members: int
    added: int
    removed: int
    refreshed_at: datetime


@dataclass(frozen=True)
class ScoreReport:
    customers: int  # customers with scores
    written: int  # rows inserted or changed
    removed: int  # rows of customers no longer scored

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


@dataclass(frozen=True)
class SmartTagReport:
    tenant_id: int
    groups: dict[str, int]  # group -> customers the rule wants tagged
    added: int  # the rules' and the segments' together
    removed: int
    segments: tuple[SegmentTagReport, ...] = ()
    scores: ScoreReport | None = None
    changed_tags: tuple[int, ...] = field(default=(), repr=False)  # tag ids that moved (the kept segments' read them)


# -- the engine --------------------------------------------------------------------------------
def _reconcile(uow: SqlUnitOfWork, tenant_id: int, target: TagTarget, changed: set[int]) -> tuple[int, int]:
    """Inside the open unit of work: make the managed tags of every customer exactly ``target.wanted``;
    the tag ids that moved are added to ``changed``."""
    managed = sorted(target.managed)
    current = uow.tags.holders(tenant_id, managed)
    live = uow.tags.live_among(tenant_id, sorted(target.wanted))
    to_add: dict[int, list[int]] = {}
    for c, tags in target.wanted.items():
        missing = tags - current.get(c, set())
        if c in live and missing:
            to_add[c] = sorted(missing)
    to_remove = {c: sorted(tags - target.wanted.get(c, frozenset())) for c, tags in current.items()
                 if tags - target.wanted.get(c, frozenset())}
    source = TagSource.RULE.value
    added = apply_in(uow, tenant_id, to_add, add=True, source=source, actor=ACTOR) if to_add else 0
    removed = apply_in(uow, tenant_id, to_remove, add=False, source=source, actor=ACTOR) if to_remove else 0
    changed.update(t for ids in to_add.values() for t in ids)
    changed.update(t for ids in to_remove.values() for t in ids)
    return added, removed


# -- the analyses' rules -----------------------------------------------------------------------
def apply_rule_tags(uow: SqlUnitOfWork, tenant_id: int, rules: list[RuleTags]) -> SmartTagReport:
    """Make every rule's group on the tenant's customers exactly what the rule wants."""
    added = removed = 0
    changed: set[int] = set()
    with uow:
        for rule in rules:
            if rule.wanted:  # the group's tags are made on first use; a rule wanting nothing makes none
                ids = {name: ensure_tag(uow, tenant_id, rule.group, name).id for name in rule.names}
            else:
                ids = {name: found.id for name in rule.names if (found := uow.tags.find(tenant_id, rule.group, name)) is not None}
            target = TagTarget(managed=frozenset(ids.values()),
                               wanted={customer_id: frozenset({ids[name]}) for customer_id, name in rule.wanted.items()})
            more, fewer = _reconcile(uow, tenant_id, target, changed)
            added, removed = added + more, removed + fewer
        uow.commit()
    report = SmartTagReport(tenant_id=tenant_id, groups={r.group: len(r.wanted) for r in rules}, added=added, removed=removed,
                            changed_tags=tuple(sorted(changed)))
    log.info("smart tags refreshed", tenant_id=tenant_id, added=added, removed=removed)
    return report


# -- segments kept as tags ---------------------------------------------------------------------
def refresh_segment_tags(uow: SqlUnitOfWork, tenant_id: int, members: MemberSource, *,
                         tags_changed: Callable[[], None] | None = None,
                         changed_tags: tuple[int, ...] = ()) -> list[SegmentTagReport]:
    """Make every kept segment's tag exactly its members, in dependency order; each segment's
    report is stored on it. ``changed_tags``: tags already changed before this call (by the
    analyses' rules), so a segment reading them asks ``tags_changed`` first."""
    with uow:
        all_segments = {s.id: s for s in uow.segments.all(tenant_id)}
        fields = {key: f.kind for key, f in uow.fields.all(tenant_id).items()}
    rules = {i: s.rule for i, s in all_segments.items()}
    kept = {i: s.materialise_as_tag_id for i, s in all_segments.items() if s.materialise_as_tag_id is not None}
    dirty = set(changed_tags)
    reports = []
    for segment_id in refresh_order(rules, kept):  # type: ignore[arg-type]
        segment, tag_id = all_segments[segment_id], kept[segment_id]
        if dirty & rule_tag_ids(segment.rule, rules) and tags_changed is not None:
            tags_changed()  # the warehouse must see the tags changed so far before this rule reads them
            dirty.clear()
        try:
            ids = members(segment.rule, rules, fields)
        except DomainError as exc:  # one segment that cannot be evaluated must not stop the others
            log.warning("segment tag not refreshed", tenant_id=tenant_id, segment_id=segment_id, code=exc.code,
                        reason=exc.message)
            continue
        with uow:
            if uow.tags.get(tenant_id, tag_id) is None:
                log.warning("kept tag missing", tenant_id=tenant_id, segment_id=segment_id, tag_id=tag_id)
                continue
            target = TagTarget(managed=frozenset({tag_id}), wanted=dict.fromkeys(ids, frozenset({tag_id})))
            added, removed = _reconcile(uow, tenant_id, target, dirty)
            refresh = SegmentRefresh(refreshed_at=utcnow(), members=len(ids), added=added, removed=removed)
            uow.segments.record_refresh(tenant_id, segment_id, refresh)
            uow.commit()
        reports.append(SegmentTagReport(segment_id=segment_id, name=segment.name, tag_id=tag_id, members=refresh.members,
                                        added=added, removed=removed, refreshed_at=refresh.refreshed_at))
        log.info("segment tag refreshed", tenant_id=tenant_id, segment_id=segment_id, members=len(ids), added=added,
                 removed=removed)
    return reports


def refresh_segments(uow: SqlUnitOfWork, actor: Actor, members: MemberSource, *,
                     tags_changed: Callable[[], None] | None = None) -> list[SegmentTagReport]:
    """Refresh the actor's tenant's kept segments now (on demand; the sync does it on schedule)."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    return refresh_segment_tags(uow, actor.tenant_id, members, tags_changed=tags_changed)


# -- scores ------------------------------------------------------------------------------------
def store_scores(uow: SqlUnitOfWork, tenant_id: int, scores: Mapping[int, CustomerScore]) -> ScoreReport:
    """Make the tenant's ``customer_scores`` exactly ``scores``, writing only the rows that changed."""
    with uow:
        stored = uow.segments.scores(tenant_id)
        wanted = {c: s.values() for c, s in scores.items()}
        changed = {c: v for c, v in wanted.items() if stored.get(c) != v}
        gone = set(stored) - set(wanted)
        if changed or gone:
            uow.segments.write_scores(tenant_id, changed, gone, now=utcnow())
        uow.commit()
    log.info("customer scores stored", tenant_id=tenant_id, customers=len(wanted), written=len(changed), removed=len(gone))
    return ScoreReport(customers=len(wanted), written=len(changed), removed=len(gone))
