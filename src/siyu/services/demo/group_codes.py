"""The demo brand's group live code: the live-stream channel's fan groups, nearly full at the
start, so ``make demo`` shows the code moving on to the next group as customers join.

- :func:`seed_group_code` (from :func:`siyu.services.demo.live.link_sandbox`): six customer
  groups, owned by a guide, in the sandbox corp and in Siyu's synced rows alike, and a group
  code over them (fill threshold 190 of 200; WeCom creates rooms once all are full).
- :func:`learn_group_codes`: another process's sandbox corp learns the codes and their groups
  (with the members the database holds), as contact ways are learnt. Rooms the sandbox makes once
  all are full are adopted by the code on their create callback (services.group_code_rooms).
- Joins are simulated by :func:`siyu.adapters.channels.sandbox.join_ways.simulate_join` and
  delivered as ``change_external_chat`` callbacks by ``simulate_tick``; the worker's re-check
  (every two minutes) reads the groups' members and re-lists the code.
"""

from __future__ import annotations

from collections.abc import Callable

from siyu.adapters.channels.sandbox import Corp, SandboxChannel
from siyu.adapters.channels.sandbox.join_ways import add_group_chat, learn_join_way
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.group_codes import GroupCodeDraft
from siyu.domain.organisation import Staff
from siyu.services import group_codes
from siyu.services.auth import system_actor
from siyu.services.clock import utcnow
from siyu.services.wecom_settings import ChannelFactory, open_channel

CHANNEL_STATE = "ch-douyin-live"
GROUPS = ((1, 186), (2, 171), (3, 120), (4, 42), (5, 8), (6, 0))  # (number, members at the start)


def seed_group_code(new_uow: Callable[[], SqlUnitOfWork], box: SecretBox, channels: ChannelFactory, tenant_id: int, *,
                    channel_id: int, owner: Staff) -> None:
    channel = open_channel(new_uow(), box, channels, tenant_id)
    corp = channel.corp if isinstance(channel, SandboxChannel) else None
    chat_ids = [f"wrdemolive{number:04d}" for number, _ in GROUPS]
    with new_uow() as uow:
        for chat_id, (number, members) in zip(chat_ids, GROUPS, strict=True):
            name = f"直播粉丝福利群{number}"
            if corp is not None:
                add_group_chat(corp, chat_id, owner=owner.wecom_userid, name=name, members=members + 1, now=int(utcnow().timestamp()))
            uow.wecom_sync.add_group_chat(tenant_id, chat_id=chat_id, name=name, owner_userid=owner.wecom_userid, owner_staff_id=owner.id,
                                          status=0, members=members + 1, external_members=members, fingerprint="demo",
                                          synced_at=utcnow())
        uow.commit()
    draft = GroupCodeDraft.parse(channel_id=channel_id, name="直播间粉丝群", state="gc-douyin-live", chat_ids=chat_ids, threshold=190,
                                 auto_create_room=True, room_base_name="直播粉丝福利群", room_base_id=len(GROUPS) + 1)
    group_codes.create_group_code(new_uow(), box, channels, system_actor(tenant_id), draft)


def learn_group_codes(uow: SqlUnitOfWork, tenant_id: int, corp: Corp) -> None:
    """This process's corp learns the tenant's live group codes and their groups (inside ``uow``)."""
    for code in uow.group_codes.live(tenant_id):
        if not code.config_id:
            continue
        rows = uow.group_codes.chats(tenant_id, list(code.live_chat_ids))
        learn_join_way(corp, code.config_id, state=code.state,
                       chats={c: (rows[c]["owner_userid"], rows[c]["members"]) for c in code.live_chat_ids if c in rows},
                       auto_create_room=code.auto_create_room, room_base_name=code.room_base_name, room_base_id=code.room_base_id)
