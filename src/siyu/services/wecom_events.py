"""WeCom's events into the customer model (inside the callback's unit of work), and the
contact-details refresh the worker runs after the callback was answered.

- add / add_half: the customer is found or created through OneID by ``wecom_external``;
  the staff member (by WeCom userid) follows them, with the contact way's ``state``.
- del_external_contact: the relation ends as deleted by the staff member (or transferred,
  when WeCom says a transfer did it); del_follow_user: deleted by the customer.
- edit / add: the details (name, avatar, gender, unionid, remark, add_way) come from
  ``externalcontact/get`` in :func:`refresh_contact`, queued so the answer is not held up.
- tag and group-chat events: :mod:`siyu.services.wecom_tag_events` and
  :mod:`siyu.services.wecom_chat_events` (deletes and dismissals at once; the rest read from
  WeCom after the answer, :func:`fetch_change`).
- transfer_fail is recorded.

Order. WeCom does not promise to deliver in order, and its retries reorder. For one customer and
one staff member the events' CreateTime decides, not their arrival: an add or a deletion older
than the relation's last change is recorded and not applied (at the same second a deletion
beats an add); an add that arrives after a later deletion of the pair was received (and, the
customer unknown then, only recorded) is applied at its time and that deletion right after it,
at its own; a deletion that arrives after a later re-add was received ends the relation at its
time and the re-add follows. Either order of an add and a deletion leaves the same relation and
the same timeline (no welcome message goes to a customer who is already gone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from siyu.adapters.channels.models import FollowUser
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.customers import CustomerRecord, Profile, Relation, RelationState
from siyu.domain.errors import InvalidInput
from siyu.domain.identities import IdentityKey, IdentityKind, IdentitySource
from siyu.domain.wecom import CallbackEvent, ContactChange, WeComEvent
from siyu.services import alerts, group_codes, oneid, relations, wecom_chat_events, wecom_tag_events, welcome
from siyu.services.clock import utcnow
from siyu.services.wecom_settings import ChannelFactory, open_channel

ACTOR = "wecom"
CHAT = "chat"
CHAT_CREATE = "chat_create"  # a group WeCom just made: fetched, then maybe adopted by a group code (services.group_code_rooms)
ADDS = (ContactChange.ADD, ContactChange.ADD_HALF)
DELETIONS = (ContactChange.DELETE_BY_STAFF, ContactChange.DELETE_BY_CUSTOMER)


@dataclass(frozen=True, slots=True)
class Applied:
    outcome: str  # one line for the callback log
    refresh: bool = False  # queue a contact-details refresh after the commit
    welcome_send_id: int | None = None  # queue the welcome message after the commit (services.welcome)
    fetch: tuple[str, str] | None = None  # (tag | tag_group | chat | chat_create, WeCom id): queue :func:`fetch_change` after the commit


def fetch_change(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, kind: str, wecom_id: str) -> str:
    """The queued half of a tag or group-chat callback: read it from WeCom and apply it."""
    if kind in (CHAT, CHAT_CREATE):
        return wecom_chat_events.fetch_chat_change(uow, box, channels, tenant_id, wecom_id, created=kind == CHAT_CREATE)
    return wecom_tag_events.fetch_tag_change(uow, box, channels, tenant_id, kind, wecom_id)


def apply_event(uow: SqlUnitOfWork, tenant_id: int, event: WeComEvent) -> Applied:
    group_codes.record_join(uow, tenant_id, event)  # a customer group's join by a group code's QR scan
    if event.event == CallbackEvent.EXTERNAL_TAG and event.known:
        outcome, tag = wecom_tag_events.apply_tag_event_in(uow, tenant_id, event)
        return Applied(outcome, fetch=tag)
    if event.event == CallbackEvent.EXTERNAL_CHAT and event.known:
        outcome, chat_id = wecom_chat_events.apply_chat_event_in(uow, tenant_id, event)
        kind = CHAT_CREATE if event.change_type == "create" else CHAT
        return Applied(outcome, fetch=(kind, chat_id) if chat_id else None)
    if event.event != CallbackEvent.EXTERNAL_CONTACT:
        return Applied("recorded (an event kind Siyu does not act on)")
    userid, external = event.get("UserID"), event.get("ExternalUserID")
    if not userid or not external:
        return Applied("recorded (no UserID or ExternalUserID)")
    try:
        key = IdentityKey.parse(IdentityKind.WECOM_EXTERNAL, external)
    except InvalidInput:
        return Applied(f"recorded (external_userid “{external[:40]}” is malformed)")
    change, at = event.change_type, event.created_at
    staff = uow.staff.find_by_userid(tenant_id, userid)
    if change in (ContactChange.ADD, ContactChange.ADD_HALF):
        found = oneid.resolve(uow, tenant_id, CustomerRecord(keys=(key,)), source=IdentitySource.WECOM, actor=ACTOR,
                              now=utcnow(), added_at=at)
        if staff is None:
            return Applied(f"customer {found.customer_id}; staff userid “{userid}” is unknown — add them under staff", refresh=True)
        relation = uow.relations.find(tenant_id, found.customer_id, staff.id)
        if relation is not None and _newer_than(relation, at, add=True):
            return Applied(f"customer {found.customer_id}: an add older than the relation's last change, not applied", refresh=True)
        relations.follow_in(uow, tenant_id, found.customer_id, staff.id, at=at, actor=ACTOR, channel_state=event.get("State"))
        later = uow.wecom.latest_contact_event(tenant_id, userid, external, change_types=list(DELETIONS), since=at,
                                               inclusive=True, other_than=event.key)
        if later is not None:  # the deletion came first: it happened after this add, so it ends the relation now, at its time
            state = _ended_state(later[0], later[2])
            if relations.end_in(uow, tenant_id, found.customer_id, staff.id, state, at=later[1], actor=ACTOR):
                alerts.relation_ended(uow, tenant_id, found.customer_id, staff, state, at=later[1])
            return Applied(f"customer {found.customer_id} followed staff {staff.id}, then {state.value} (received first)",
                           refresh=True)
        send_id = welcome.on_add(uow, tenant_id, event_key=event.key, customer_id=found.customer_id, staff_id=staff.id,
                                 state=event.get("State"), welcome_code=event.get("WelcomeCode"))
        return Applied(f"customer {found.customer_id} follows staff {staff.id} (state {event.get('State') or '-'})", refresh=True,
                       welcome_send_id=send_id)
    if change == ContactChange.EDIT:
        return Applied("details refresh queued", refresh=True)
    if change in DELETIONS:
        customer_id = uow.identities.owners(tenant_id, [key]).get(key)
        if customer_id is None or staff is None:  # an add that comes later (older) finds this one in the log
            return Applied("recorded (customer or staff not known to Siyu yet)")
        relation = uow.relations.find(tenant_id, customer_id, staff.id)
        if relation is not None and _newer_than(relation, at, add=False):
            return Applied(f"relation of customer {customer_id} and staff {staff.id}: a deletion older than its last add, not applied")
        state = _ended_state(change, event.fields)
        changed = relations.end_in(uow, tenant_id, customer_id, staff.id, state, at=at, actor=ACTOR)
        if changed:
            alerts.relation_ended(uow, tenant_id, customer_id, staff, state, at=at)  # deletions alert the store manager
        outcome = f"relation of customer {customer_id} and staff {staff.id}: {state.value}" + ("" if changed else " (already)")
        later = uow.wecom.latest_contact_event(tenant_id, userid, external, change_types=list(ADDS), since=at, inclusive=False,
                                               other_than=event.key)
        if changed and later is not None:  # an add after this deletion came first: the customer is back, at its time
            relations.follow_in(uow, tenant_id, customer_id, staff.id, at=later[1], actor=ACTOR, channel_state=later[2].get("State"))
            outcome += ", then added again (received first)"
        return Applied(outcome)
    if change == ContactChange.TRANSFER_FAIL:
        return Applied(f"transfer failed: {event.get('FailReason') or 'no reason given'}")
    return Applied("recorded (a change type Siyu does not act on)")


def _ended_state(change: str, fields: dict[str, str]) -> RelationState:
    if change == ContactChange.DELETE_BY_CUSTOMER:
        return RelationState.DELETED_BY_CUSTOMER
    return RelationState.TRANSFERRED if fields.get("Source") == "DELETE_BY_TRANSFER" else RelationState.DELETED_BY_STAFF


def _newer_than(relation: Relation, at: datetime, *, add: bool) -> bool:
    """Whether the relation's last change is later than an event at ``at`` (so the event is
    history): an add loses to an end at the same second, a deletion to no add at the same second."""
    if relation.state is RelationState.ACTIVE:
        return relation.added_at > at
    return relation.ended_at is not None and (relation.ended_at >= at if add else relation.ended_at > at)


@dataclass(frozen=True, slots=True)
class Refreshed:
    customer_id: int
    merged_ids: tuple[int, ...]
    relations: int


def refresh_contact(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, external_userid: str) -> Refreshed:
    """Fetch a customer's details from the channel and fold them in through OneID (the unionid
    may join them to a customer known from the mini-program or the mall)."""
    channel = open_channel(uow, box, channels, tenant_id)
    detail = channel.get_contact(external_userid)
    contact = detail.external_contact
    keys = [IdentityKey.parse(IdentityKind.WECOM_EXTERNAL, contact.external_userid)]
    if contact.unionid:
        keys.append(IdentityKey.parse(IdentityKind.UNIONID, contact.unionid))
    profile = Profile.parse(name=contact.name or None, avatar=contact.avatar or None,
                            gender=int(contact.gender) if contact.gender in (1, 2) else None)
    now = utcnow()
    with uow:
        found = oneid.resolve(uow, tenant_id, CustomerRecord(keys=tuple(keys), profile=profile), source=IdentitySource.WECOM,
                              actor=ACTOR, now=now)
        count = sum(_follow(uow, tenant_id, found.customer_id, follow, now) for follow in detail.follow_user)
        uow.commit()
    return Refreshed(found.customer_id, found.merged_ids, count)


def _follow(uow: SqlUnitOfWork, tenant_id: int, customer_id: int, follow: FollowUser, now: datetime) -> int:
    staff = uow.staff.find_by_userid(tenant_id, follow.userid)
    if staff is None:
        return 0
    at = datetime.fromtimestamp(follow.createtime, now.tzinfo) if follow.createtime else now
    relation = uow.relations.find(tenant_id, customer_id, staff.id)
    if relation is None or not _newer_than(relation, at, add=True):  # WeCom lists the follow of a customer who deleted the staff member
        relations.follow_in(uow, tenant_id, customer_id, staff.id, at=at, actor=ACTOR, add_way=follow.add_way,
                            channel_state=follow.state or None, remark=follow.remark[:20] or None)
    relation = uow.relations.find(tenant_id, customer_id, staff.id)
    assert relation is not None
    wanted = {"add_way": follow.add_way, "channel_state": follow.state or relation.channel_state,
              "remark": follow.remark[:20] or None, "description": follow.description[:150] or None}
    changes = {k: v for k, v in wanted.items() if getattr(relation, k) != v}
    if changes:
        uow.relations.update(tenant_id, relation.id, **changes)
    return 1

