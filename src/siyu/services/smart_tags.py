"""Smart tags: the analyses' rules (``siyu.analytics.smart_tags``) written onto customers.

Each rule owns a tag group: its tags are applied with source ``rule``, and a tag of the group
put by hand is corrected at the next refresh. The refresh is bulk and idempotent: it compares
what the rule wants with the tags customers carry and writes only the differences, each change
on the customer's timeline like any other tag application (``tagged`` / ``untagged``, by
"smart tags"). A customer merged away since the warehouse sync is skipped (the next sync maps
them to the survivor). Everything happens in one unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import TagSource
from siyu.domain.tags import RuleTags
from siyu.services.tags import apply_in, ensure_tag

log = structlog.get_logger("siyu.smart_tags")
ACTOR = "smart tags"


@dataclass(frozen=True)
class SmartTagReport:
    tenant_id: int
    groups: dict[str, int]  # group -> customers the rule wants tagged
    added: int
    removed: int


def apply_rule_tags(uow: SqlUnitOfWork, tenant_id: int, rules: list[RuleTags]) -> SmartTagReport:
    """Make every rule's group on the tenant's customers exactly what the rule wants."""
    added = removed = 0
    with uow:
        for rule in rules:
            if rule.wanted:  # the group's tags are made on first use; a rule wanting nothing makes none
                ids = {name: ensure_tag(uow, tenant_id, rule.group, name).id for name in rule.names}
            else:
                ids = {name: found.id for name in rule.names if (found := uow.tags.find(tenant_id, rule.group, name)) is not None}
            wanted = {customer_id: {ids[name]} for customer_id, name in rule.wanted.items()}
            more, fewer = _reconcile(uow, tenant_id, set(ids.values()), wanted)
            added, removed = added + more, removed + fewer
        uow.commit()
    report = SmartTagReport(tenant_id=tenant_id, groups={r.group: len(r.wanted) for r in rules}, added=added, removed=removed)
    log.info("smart tags refreshed", tenant_id=tenant_id, added=added, removed=removed)
    return report


def _reconcile(uow: SqlUnitOfWork, tenant_id: int, managed: set[int], wanted: dict[int, set[int]]) -> tuple[int, int]:
    """Inside the open unit of work: make the managed tags of every customer exactly ``wanted``."""
    current = uow.tags.holders(tenant_id, sorted(managed))
    live = uow.tags.live_among(tenant_id, sorted(wanted))
    to_add = {c: sorted(tags - current.get(c, set())) for c, tags in wanted.items() if c in live and tags - current.get(c, set())}
    to_remove = {c: sorted(tags - wanted.get(c, set())) for c, tags in current.items() if tags - wanted.get(c, set())}
    source = TagSource.RULE.value
    added = apply_in(uow, tenant_id, to_add, add=True, source=source, actor=ACTOR) if to_add else 0
    removed = apply_in(uow, tenant_id, to_remove, add=False, source=source, actor=ACTOR) if to_remove else 0
    return added, removed
