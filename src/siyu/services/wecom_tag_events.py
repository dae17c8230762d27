"""WeCom's ``change_external_tag`` callbacks, applied to Siyu's corp tags (shared/reference/wecom.md).

- ``delete`` (``TagType`` tag or tag_group, ``Id``): in the callback's unit of work, the linked
  tag leaves Siyu (customers lose it), or the linked group with every tag in it.
- ``create``, ``update`` and ``shuffle``: the tag or group is read through the ``Channel`` port
  (``get_corp_tag_list``) after the callback was answered (:func:`fetch_tag_change`, a queued
  task), and our group and tags are linked, created or renamed to match, as the sync's tag step
  does; a tag WeCom no longer lists (deleted meanwhile) leaves Siyu too. WeCom's order is not
  Siyu's (the console orders its own tags), so a shuffle changes no position.

Every step finds its target by the WeCom id linked on our side, so a replay, or a fetch after
the delete it raced, changes nothing the first did not.
"""

from __future__ import annotations

from siyu.adapters.channels.models import TagGroup
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.wecom import WeComEvent
from siyu.services.clock import utcnow
from siyu.services.wecom_settings import ChannelFactory, open_channel

TAG, GROUP = "tag", "tag_group"


def apply_tag_event_in(uow: SqlUnitOfWork, tenant_id: int, event: WeComEvent) -> tuple[str, tuple[str, str] | None]:
    """(the callback log's outcome, the (TagType, Id) to fetch after the answer, or None)."""
    wecom_id, kind = event.get("Id"), event.get("TagType") or TAG
    if not wecom_id or kind not in (TAG, GROUP):
        return "recorded (no tag Id or an unknown TagType)", None
    if event.change_type == "delete":
        return _remove(uow, tenant_id, kind, wecom_id), None
    return f"{kind} {wecom_id}: {event.change_type}, fetch queued", (kind, wecom_id)


def _remove(uow: SqlUnitOfWork, tenant_id: int, kind: str, wecom_id: str) -> str:
    if kind == TAG:
        tag = uow.wecom_sync.tag_by_wecom_id(tenant_id, wecom_id)
        if tag is None:
            return f"tag {wecom_id}: not linked in Siyu (already removed)"
        uow.tags.delete_tag(tenant_id, tag["id"])
        return f"tag {tag['id']} removed"
    group_id = uow.wecom_sync.group_by_wecom_id(tenant_id, wecom_id)
    if group_id is None:
        return f"tag group {wecom_id}: not linked in Siyu (already removed)"
    for tag_id in uow.wecom_sync.tags_in_group(tenant_id, group_id):
        uow.tags.delete_tag(tenant_id, tag_id)
    uow.wecom_sync.delete_group(tenant_id, group_id)
    return f"tag group {group_id} removed with its tags"


def fetch_tag_change(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, kind: str,
                     wecom_id: str) -> str:
    """After a create, update or shuffle callback: read the tag (or group) from WeCom and match ours to it."""
    channel = open_channel(uow, box, channels, tenant_id)
    found = channel.corp_tags(tag_ids=[wecom_id]) if kind == TAG else channel.corp_tags(group_ids=[wecom_id])
    groups = [g for g in found if not g.deleted]
    with uow:
        if not groups:  # gone from WeCom by now: as its delete callback would
            outcome = _remove(uow, tenant_id, kind, wecom_id)
        else:
            outcome = "; ".join(_match(uow, tenant_id, group, whole=kind == GROUP) for group in groups)
        uow.commit()
    return outcome


def _match(uow: SqlUnitOfWork, tenant_id: int, group: TagGroup, *, whole: bool) -> str:
    """Our group and its tags as WeCom has them: linked by WeCom id, else by name, else created.
    ``whole``: the group was read entire, so a linked tag it no longer lists is gone."""
    now, name = utcnow(), group.group_name[:30]
    group_id = uow.wecom_sync.group_by_wecom_id(tenant_id, group.group_id)
    if group_id is None:
        named = uow.tags.find_group(tenant_id, name=name)
        group_id = named.id if named else uow.tags.add_group(tenant_id, name, now=now).id
        uow.wecom_sync.link_group(tenant_id, group_id, group.group_id)
    else:
        current = uow.tags.find_group(tenant_id, group_id=group_id)
        if current is not None and current.name != name and uow.tags.find_group(tenant_id, name=name) is None:
            uow.wecom_sync.rename_group(tenant_id, group_id, name)
    ours = uow.tags.find_group(tenant_id, group_id=group_id)
    name = ours.name if ours else name  # ours stays as it was when WeCom's new name is another group's
    live = [t for t in group.tag if not t.deleted]
    for tag in live:
        linked = uow.wecom_sync.tag_by_wecom_id(tenant_id, tag.id)
        if linked is None:
            named_tag = uow.tags.find(tenant_id, name, tag.name[:30])
            tag_id = named_tag.id if named_tag else uow.tags.add_tag(tenant_id, group_id, tag.name[:30], now=now)
            uow.wecom_sync.link_tag(tenant_id, tag_id, tag.id)
        elif linked["name"] != tag.name[:30] and uow.tags.find(tenant_id, name, tag.name[:30]) is None:
            uow.tags.rename_tag(tenant_id, linked["id"], tag.name[:30])
    removed = 0
    if whole:
        listed = {t.id for t in live}
        for link in uow.wecom_sync.tag_links(tenant_id):
            if link["group_id"] == group_id and link["wecom_tag_id"] and link["wecom_tag_id"] not in listed:
                uow.tags.delete_tag(tenant_id, link["id"])
                removed += 1
    return f"tag group {group_id} matched ({len(live)} tags" + (f", {removed} removed)" if removed else ")")
