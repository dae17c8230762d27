"""A brand set up for import tests (tags, stages, staff, a field), and a snapshot of its
customers that two tenants can be compared by (ids differ between tenants; identities do not)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from siyu.adapters.db.tables import customer_identities, customers, staff, staff_relations, stage_changes, stages, timeline_events
from siyu.bootstrap import Context
from siyu.domain.access import Actor, Role
from siyu.domain.imports import ImportRun
from siyu.domain.organisation import Staff, StaffDraft
from siyu.domain.paging import PageRequest
from siyu.services import fields, imports, staff as staff_service, stages as stage_service, tags
from tests import factories as f


@dataclass
class Brand:
    actor: Actor
    guide: Staff
    other: Staff


def brand(context: Context) -> Brand:
    _, admin = f.tenant(context)
    for group, name in (("导入", "VIP"), ("会员", "金卡")):
        tags.create_tag(context.uow(), admin, group=group, name=name)
    for name in ("新客", "复购"):
        stage_service.create_stage(context.uow(), admin, name)
    fields.define_field(context.uow(), admin, key="level", label="会员等级", kind="single", options=["金", "银"])
    store = f.store(context, admin)
    made = [
        staff_service.create_staff(context.uow(), admin, StaffDraft.parse(wecom_userid=userid, name=name, mobile=None, store_id=store.id, role=Role.GUIDE))
        for userid, name in (("guide01", "导购一"), ("guide02", "导购二"))
    ]
    return Brand(actor=admin, guide=made[0], other=made[1])


def write(tmp_path: Path, text: str, *, name: str = "customers.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(context: Context, actor: Actor, path: Path, **options: object) -> ImportRun:
    return imports.import_customers(context.uow(), actor, path, **options)  # type: ignore[arg-type]


def errors_of(context: Context, actor: Actor, run: ImportRun) -> list[tuple[int, str | None, str | None, str]]:
    page = imports.list_import_errors(context.uow(), actor, run.id, PageRequest(page_size=200))
    return [(e.row, e.column, e.value, e.reason) for e in page.items]


def snapshot(context: Context, tenant_id: int) -> list[tuple[object, ...]]:
    """Every customer of the tenant as comparable values, sorted."""
    with context.uow() as uow:
        s = uow.session
        userids = dict(s.execute(select(staff.c.id, staff.c.wecom_userid).where(staff.c.tenant_id == tenant_id)).all())
        stage_names = dict(s.execute(select(stages.c.id, stages.c.name).where(stages.c.tenant_id == tenant_id)).all())
        found = []
        for c in s.execute(select(customers).where(customers.c.tenant_id == tenant_id)).all():
            keys = sorted(tuple(r) for r in s.execute(
                select(customer_identities.c.kind, customer_identities.c.value, customer_identities.c.source)
                .where(customer_identities.c.tenant_id == tenant_id, customer_identities.c.customer_id == c.id)).all())
            relations = sorted((userids[r.staff_id], r.state) for r in s.execute(
                select(staff_relations).where(staff_relations.c.tenant_id == tenant_id, staff_relations.c.customer_id == c.id)).all())
            history = sorted(((stage_names.get(r.from_stage_id), stage_names.get(r.to_stage_id)) for r in s.execute(
                select(stage_changes).where(stage_changes.c.tenant_id == tenant_id, stage_changes.c.customer_id == c.id)).all()), key=repr)
            events = Counter(r.kind for r in s.execute(
                select(timeline_events.c.kind).where(timeline_events.c.tenant_id == tenant_id, timeline_events.c.customer_id == c.id)).all())
            tag_labels = sorted(t.label for t in (a.tag for a in uow.tags.applied(tenant_id, c.id)))
            found.append((
                tuple(keys), c.merged_into_id is not None, c.name, c.gender, c.birthday, c.region, stage_names.get(c.stage_id),
                userids.get(c.owner_staff_id), sorted(c.fields.items()), tuple(tag_labels), tuple(relations), tuple(history),
                tuple(sorted(events.items())),
            ))
    return sorted(found, key=repr)
