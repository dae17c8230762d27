"""One run of the WeCom sync, step by step (see the package docstring)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from siyu.adapters.channels.models import ContactWithFollow, GroupChat
from siyu.adapters.channels.port import Channel
from siyu.adapters.db.repositories.bulk import BulkRepository
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import CustomerRecord, Profile, RelationState, TagSource
from siyu.domain.identities import IdentityKey, IdentityKind, IdentitySource
from siyu.domain.timeline import EventKind
from siyu.domain.wecom_sync import SyncRun, SyncStatus, SyncStep
from siyu.services import relations
from siyu.services.clock import utcnow
from siyu.services.wecom_chat_events import chat_values
from siyu.services.oneid_bulk import BatchResolver, Incoming, resolve_all

ACTOR = "wecom_sync"
CHUNK = 100  # staff per batch/get_by_user and per groupchat/list (WeCom's limit)
ENDING_BATCH = 500
# What a page writes. A new brand's tables are empty when PostgreSQL first plans the sync's
# lookups by key (and its foreign-key checks), and those plans stay scans of a tiny table while
# the tables grow: ANALYZE after pages 1, 2, 4, 8 ... of a run that writes, ten times for 1,000
# pages (bench/README.md, "WeCom sync"). SQLite plans by index regardless (measured: no gain).
CUSTOMER_TABLES = ("customers", "customer_identities", "customer_tags", "staff_relations", "timeline_events")
GROUP_TABLES = ("wecom_group_chats",)


# ---- the run ----------------------------------------------------------------------------


def _fingerprint(*parts: Any) -> str:
    return hashlib.md5(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode(), usedforsecurity=False).hexdigest()


def _keys(item: ContactWithFollow) -> list[IdentityKey]:
    """wecom_external first (what the page is matched by), then the unionid when WeCom gives one."""
    contact = item.external_contact
    keys = [IdentityKey.parse(IdentityKind.WECOM_EXTERNAL, contact.external_userid)]
    if contact.unionid:
        keys.append(IdentityKey.parse(IdentityKind.UNIONID, contact.unionid))
    return keys


def _profile(item: ContactWithFollow) -> Profile:
    contact = item.external_contact
    return Profile.parse(name=contact.name or None, avatar=contact.avatar or None,
                         gender=int(contact.gender) if contact.gender in (1, 2) else None)


def _wecom_tags(item: ContactWithFollow) -> set[str]:
    return set(item.follow_info.tag_id) | {t.tag_id for t in item.follow_info.tags if t.type == 1}


class Sync:
    def __init__(self, uow: SqlUnitOfWork, channel: Channel, run: SyncRun) -> None:
        self.uow, self.channel, self.run_id, self.tenant_id = uow, channel, run.id, run.tenant_id
        self.full = run.full
        self.position = dict(run.position)
        self.counts: Counter[str] = Counter(run.counts)
        self.userids = list(run.userids)
        self.staff_ids: dict[str, int] = {}
        self.tag_of: dict[str, int] = {}  # WeCom tag id -> Siyu tag id
        self.wecom_of: dict[int, str] = {}  # Siyu tag id -> WeCom tag id
        self.pages = 0  # pages written by this process, for _grown

    # bookkeeping
    def _save(self, **values: Any) -> None:
        self.uow.wecom_sync.save_run(self.tenant_id, self.run_id, position=dict(self.position), counts=dict(self.counts),
                                     updated_at=utcnow(), **values)

    def stop(self, status: SyncStatus, error: str) -> None:
        with self.uow:
            self.uow.wecom_sync.save_run(self.tenant_id, self.run_id, status=status.value, error=error[:1000], updated_at=utcnow())
            self.uow.commit()

    def _goto(self, step: SyncStep) -> None:
        self.position = {"step": step.value, "chunk": 0, "cursor": ""}

    def _page_done(self, next_cursor: str) -> None:
        """Inside the page's unit of work: the position moves past the page, committed with it."""
        self.position["cursor"] = next_cursor
        if not next_cursor:
            self.position["chunk"] += 1
        self._save()
        self.uow.commit()

    def _grown(self, tables: tuple[str, ...], wrote: bool) -> None:
        """Inside a page's unit of work: on pages 1, 2, 4, 8 ... that wrote rows, PostgreSQL's
        statistics of ``tables`` are refreshed (see ``CUSTOMER_TABLES``)."""
        self.pages += 1
        if wrote and self.pages & (self.pages - 1) == 0:
            BulkRepository(self.uow.session).grown(tables)

    def _step_done(self, following: SyncStep) -> None:
        with self.uow:
            self._goto(following)
            self._save()
            self.uow.commit()

    def run(self) -> None:
        with self.uow:
            self.uow.wecom_sync.save_run(self.tenant_id, self.run_id, status=SyncStatus.RUNNING.value, error=None, updated_at=utcnow())
            self.uow.commit()
        steps = {SyncStep.STAFF: self._staff, SyncStep.TAGS: self._tags, SyncStep.CUSTOMERS: self._customers,
                 SyncStep.GROUPS: self._groups, SyncStep.ENDING: self._ending}
        while (step := SyncStep(self.position.get("step", SyncStep.STAFF.value))) is not SyncStep.DONE:
            if step is not SyncStep.STAFF and not self.staff_ids:
                with self.uow:
                    self.staff_ids = self.uow.wecom_sync.staff_by_userid(self.tenant_id, self.userids)
            steps[step]()
        with self.uow:
            self._save(status=SyncStatus.DONE.value, finished_at=utcnow())
            self.uow.commit()

    # steps
    def _staff(self) -> None:
        userids = self.channel.follow_users()
        with self.uow:
            self.staff_ids = self.uow.wecom_sync.staff_by_userid(self.tenant_id, userids)
            self.userids = [u for u in userids if u in self.staff_ids]
            unknown = [u for u in userids if u not in self.staff_ids]
            self.counts.update(staff_synced=len(self.userids), staff_unknown=len(unknown))
            self._goto(SyncStep.TAGS)
            self._save(userids=self.userids, unknown_userids=unknown)
            self.uow.commit()

    def _tags(self) -> None:
        groups = self.channel.corp_tags()
        now = utcnow()
        with self.uow:
            links = {link["wecom_tag_id"]: link for link in self.uow.wecom_sync.tag_links(self.tenant_id) if link["wecom_tag_id"]}
            ours = self.uow.wecom_sync.groups(self.tenant_id)
            by_wecom = {g["wecom_group_id"]: g["id"] for g in ours if g["wecom_group_id"]}
            by_name = {g["name"]: g["id"] for g in ours}
            for group in (g for g in groups if not g.deleted):
                group_id = by_wecom.get(group.group_id) or by_name.get(group.group_name[:30])
                if group_id is None:
                    group_id = self.uow.tags.add_group(self.tenant_id, group.group_name[:30], now=now).id
                    by_name[group.group_name[:30]] = group_id
                self.uow.wecom_sync.link_group(self.tenant_id, group_id, group.group_id)
                for tag in (t for t in group.tag if not t.deleted and t.id not in links):
                    found = self.uow.tags.find(self.tenant_id, group.group_name[:30], tag.name[:30])
                    tag_id = found.id if found else self.uow.tags.add_tag(self.tenant_id, group_id, tag.name[:30], now=now)
                    self.uow.wecom_sync.link_tag(self.tenant_id, tag_id, tag.id)
                    self.counts["corp_tags_imported"] += 0 if found else 1
            self.uow.commit()
            unlinked: dict[int, list[dict[str, Any]]] = {}
            for link in self.uow.wecom_sync.tag_links(self.tenant_id):
                if not link["wecom_tag_id"]:
                    unlinked.setdefault(link["group_id"], []).append(link)
        for tags in unlinked.values():  # Siyu's own tags, created in WeCom one group at a time
            first = tags[0]
            made = self.channel.add_corp_tags([t["name"] for t in tags], group_id=first["wecom_group_id"] or None,
                                              group_name=None if first["wecom_group_id"] else first["group_name"])
            ids = {t.name: t.id for t in made.tag}
            with self.uow:
                self.uow.wecom_sync.link_group(self.tenant_id, first["group_id"], made.group_id)
                for tag in tags:
                    if tag["name"] in ids:
                        self.uow.wecom_sync.link_tag(self.tenant_id, tag["id"], ids[tag["name"]])
                        self.counts["corp_tags_exported"] += 1
                self._save()
                self.uow.commit()
        self._step_done(SyncStep.CUSTOMERS)

    def _load_tag_links(self) -> None:
        with self.uow:
            links = [link for link in self.uow.wecom_sync.tag_links(self.tenant_id) if link["wecom_tag_id"]]
        self.tag_of = {link["wecom_tag_id"]: link["id"] for link in links}
        self.wecom_of = {link["id"]: link["wecom_tag_id"] for link in links}

    def _customers(self) -> None:
        self._load_tag_links()
        chunks = [self.userids[i : i + CHUNK] for i in range(0, len(self.userids), CHUNK)]
        self.pages = 0
        while self.position.get("chunk", 0) < len(chunks):
            page = self.channel.contacts_by_user(chunks[self.position["chunk"]], cursor=self.position.get("cursor", ""))
            with self.uow:
                self._grown(CUSTOMER_TABLES, self._contacts(page.items))
                self._page_done(page.next_cursor)
        self._step_done(SyncStep.GROUPS)

    def _contacts(self, items: list[ContactWithFollow]) -> bool:
        """One page: skip what is unchanged (incremental), resolve the rest through OneID as a
        batch (:class:`BatchResolver`, the same rule as ``oneid.resolve``), then write the
        relations, tags and marks with a few statements per page. True if it wrote more than
        the marks of relations seen unchanged."""
        uow, tenant_id, now = self.uow, self.tenant_id, utcnow()
        items = [i for i in items if i.follow_info.userid in self.staff_ids]
        keysets = [_keys(i) for i in items]
        before = uow.identities.owners(tenant_id, [k for ks in keysets for k in ks])
        known = [before.get(ks[0]) for ks in keysets]
        marks = uow.wecom_sync.relation_marks(tenant_id, [(c, self.staff_ids[i.follow_info.userid]) for i, c in zip(items, known) if c])
        sources = uow.wecom_sync.tag_sources(tenant_id, sorted({c for c in known if c}))
        todo: list[tuple[ContactWithFollow, list[IdentityKey], int, bool]] = []
        seen: list[int] = []
        for item, keys, customer_id in zip(items, keysets, known):
            staff_id = self.staff_ids[item.follow_info.userid]
            mark = marks.get((customer_id, staff_id)) if customer_id else None
            same = bool(mark and mark["state"] == RelationState.ACTIVE.value
                        and mark["wecom_fingerprint"] == _fingerprint(item.model_dump(), sorted(sources.get(customer_id or 0, {}))))
            if same and not self.full:
                seen.append(mark["id"])  # type: ignore[index]
                self.counts["relations_unchanged"] += 1
            else:
                todo.append((item, keys, staff_id, same))
        uow.wecom_sync.mark_seen(tenant_id, self.run_id, seen)
        if not todo:
            return False
        resolver = BatchResolver(uow, tenant_id, actor=ACTOR)
        resolved = resolve_all(resolver, [Incoming(CustomerRecord(keys=tuple(keys), profile=_profile(item)), IdentitySource.WECOM.value, now)
                                     for item, keys, _, _ in todo])
        survivors = [resolver.survivor_of(c) for c in resolved]
        first_added: dict[int, datetime] = {}
        counted: set[int] = set()  # a new customer two staff follow on this page is created once
        for (item, keys, _, same), customer_id in zip(todo, survivors):
            owned = {before[k] for k in keys if k in before}
            if owned or customer_id not in counted:
                self.counts["customers_created" if not owned else "customers_unchanged" if same else "customers_updated"] += 1
            counted.add(customer_id)
            self.counts["customers_merged"] += max(0, len(owned) - 1)
            if not owned and item.follow_info.createtime:
                at = datetime.fromtimestamp(item.follow_info.createtime, UTC)
                first_added[customer_id] = min(at, first_added.get(customer_id, at))
        for customer_id, at in first_added.items():  # known since the relation's createtime, not since the sync: in the insert
            resolver.update_customer(customer_id, at=now, added_at=at)
        known_ids = set(before.values())
        new_owner: dict[int, int] = {}
        for (_, _, staff_id, _), customer_id in zip(todo, survivors):  # a new customer's first follower owns it (as _relations)
            if customer_id not in known_ids:
                new_owner.setdefault(customer_id, staff_id)
        for customer_id, staff_id in new_owner.items():
            resolver.update_customer(customer_id, at=now, owner_staff_id=staff_id)
        resolver.flush()
        self._relations(todo, survivors, now)
        return True

    def _relations(self, todo: list[tuple[ContactWithFollow, list[IdentityKey], int, bool]], survivors: list[int], now: datetime) -> None:
        uow, tenant_id = self.uow, self.tenant_id
        ids = sorted(set(survivors))
        marks = uow.wecom_sync.relation_marks(tenant_id, [(c, s) for (_, _, s, _), c in zip(todo, survivors)])
        sources = uow.wecom_sync.tag_sources(tenant_id, ids)
        owners = uow.wecom_sync.owners_of(tenant_id, ids)
        new_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        pulled: list[tuple[int, int]] = []
        owned_now: dict[int, list[int]] = {}
        for (item, _, staff_id, _), customer_id in zip(todo, survivors):
            follow, contact = item.follow_info, item.external_contact
            added = datetime.fromtimestamp(follow.createtime, UTC) if follow.createtime else now
            wanted = {"add_way": follow.add_way, "channel_state": follow.state[:30] or None, "remark": follow.remark[:20] or None,
                      "description": follow.description[:150] or None, "added_at": added}
            mark = marks.get((customer_id, staff_id))
            active = bool(mark and mark["state"] == RelationState.ACTIVE.value)
            if owners.get(customer_id) is None and not active:  # a new follower owns an unowned customer, as follow_in does
                owners[customer_id] = staff_id
                owned_now.setdefault(staff_id, []).append(customer_id)
            current = sources.setdefault(customer_id, {})
            on_wecom = _wecom_tags(item)
            for tag_id in sorted({self.tag_of[t] for t in on_wecom if t in self.tag_of} - set(current)):
                current[tag_id] = TagSource.WECOM_SYNC.value
                pulled.append((customer_id, tag_id))
            if owners.get(customer_id) == staff_id:
                dropped = [t for t, source in current.items()
                           if source == TagSource.WECOM_SYNC.value and t in self.wecom_of and self.wecom_of[t] not in on_wecom]
                pending = {t for c, t in pulled if c == customer_id}  # pulled from another follow on this page, not written yet
                stored = [t for t in dropped if t not in pending]
                if stored:
                    uow.tags.remove(tenant_id, customer_id, stored)
                    self.counts["tags_removed"] += len(stored)
                pulled = [(c, t) for c, t in pulled if not (c == customer_id and t in dropped)]
                for tag_id in dropped:
                    del current[tag_id]
            push = sorted(self.wecom_of[t] for t, source in current.items()
                          if source != TagSource.WECOM_SYNC.value and t in self.wecom_of and self.wecom_of[t] not in on_wecom)
            if push:
                self.channel.mark_tags(follow.userid, contact.external_userid, add=push)
                self.counts["tags_pushed"] += len(push)
            seen_as = item.model_copy(update={"follow_info": follow.model_copy(update={"tag_id": sorted(set(follow.tag_id) | set(push))})})
            stamp = {"wecom_seen_run_id": self.run_id, "wecom_fingerprint": _fingerprint(seen_as.model_dump(), sorted(current))}
            if mark is None:
                new_rows.append({"tenant_id": tenant_id, "customer_id": customer_id, "staff_id": staff_id,
                                 "state": RelationState.ACTIVE.value, **wanted, **stamp})
            elif not active:
                updates.append({"id": mark["id"], "state": RelationState.ACTIVE.value, "ended_at": None, **wanted, **stamp})
            else:
                changes = {k: v for k, v in wanted.items() if mark[k] != v}
                self.counts["relations_updated"] += int(bool(changes))
                updates.append({"id": mark["id"], **changes, **stamp})
            if not active:
                self.counts["relations_created"] += 1
                events.append({"tenant_id": tenant_id, "customer_id": customer_id, "kind": EventKind.RELATION_ADDED.value,
                               "occurred_at": added, "actor": ACTOR, "data": {"staff_id": staff_id, "channel_state": wanted["channel_state"]}})
        uow.wecom_sync.add_relations(new_rows)
        BulkRepository(uow.session).update_by_id("staff_relations", tenant_id, updates)  # rows setting the same columns: one executemany
        uow.timeline.add_many(events)
        uow.tags.apply(tenant_id, pulled, source=TagSource.WECOM_SYNC.value, applied_by=ACTOR, now=now)
        self.counts["tags_added"] += len(pulled)
        for staff_id, customer_ids in owned_now.items():
            uow.wecom_sync.set_owner(tenant_id, customer_ids, staff_id, now=now)

    def _groups(self) -> None:
        chunks = [self.userids[i : i + CHUNK] for i in range(0, len(self.userids), CHUNK)]
        self.pages = 0
        while self.position.get("chunk", 0) < len(chunks):
            page = self.channel.group_chats(owners=chunks[self.position["chunk"]], cursor=self.position.get("cursor", ""), limit=100)
            chats = [(ref.status, self.channel.get_group_chat(ref.chat_id)) for ref in page.items]
            with self.uow:
                created = self.counts["groups_created"]
                for status, chat in chats:
                    self._group(status, chat)
                self._grown(GROUP_TABLES, self.counts["groups_created"] > created)
                self._page_done(page.next_cursor)
        self._step_done(SyncStep.ENDING)

    def _group(self, status: int, chat: GroupChat) -> None:
        values, fingerprint = chat_values(chat, status=status, owner_staff_id=self.staff_ids.get(chat.owner))
        existing = self.uow.wecom_sync.group_chat(self.tenant_id, chat.chat_id)
        stamp = {"fingerprint": fingerprint, "seen_run_id": self.run_id, "synced_at": utcnow()}
        if existing is None:
            self.uow.wecom_sync.add_group_chat(self.tenant_id, chat_id=chat.chat_id, **values, **stamp)
            self.counts["groups_created"] += 1
        elif existing["fingerprint"] != fingerprint:
            self.uow.wecom_sync.update_group_chat(self.tenant_id, existing["id"], **values, **stamp)
            self.counts["groups_updated"] += 1
        else:
            self.uow.wecom_sync.update_group_chat(self.tenant_id, existing["id"], seen_run_id=self.run_id)

    def _ending(self) -> None:
        staff_ids = sorted(self.staff_ids.values())
        while staff_ids:
            with self.uow:
                batch = self.uow.wecom_sync.unseen_active(self.tenant_id, self.run_id, staff_ids, limit=ENDING_BATCH)
                now = utcnow()
                for customer_id, staff_id in batch:
                    relations.end_in(self.uow, self.tenant_id, customer_id, staff_id, RelationState.ENDED, at=now, actor=ACTOR)
                self.counts["relations_ended"] += len(batch)
                self._save()
                self.uow.commit()
            if len(batch) < ENDING_BATCH:
                break
        self._step_done(SyncStep.DONE)
