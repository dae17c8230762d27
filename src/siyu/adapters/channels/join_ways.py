"""The typed shapes of WeCom's customer-group join ways (客户群「加入群聊」管理), the API behind a
group live code (群活码), kept apart from :mod:`.models` like the moments shapes.

Not in shared/reference/wecom.md; checked against WeCom's page (doc 92229, now 99547) as public
SDKs transcribe it (docs/acquisition.md, "WeCom facts we rely on"). Siyu checks these limits
before the call and the fake holds to the same ones:

- ``add_join_way {scene (1 mini-program | 2 QR, required), remark (cut by WeCom past 30
  characters), auto_create_room (0/1; WeCom's default when absent is 1), room_base_name (<= 40
  characters), room_base_id (the first number), chat_id_list (required, at most 5), state (<= 30
  characters)}`` -> ``{config_id}``. The page's example has a newer ``mark_source`` flag too,
  which Siyu does not send.
- ``get_join_way {config_id}`` -> ``{join_way{config_id, scene, remark, auto_create_room,
  room_base_name, room_base_id, chat_id_list, qr_code (QR scene only), state}}``.
- ``update_join_way {config_id, ...the same fields}`` (every field is sent again); ``del_join_way {config_id}``.
  An app manages only the join ways it made; join ways share the corp's 500,000 quota with contact ways.
- When the listed groups are full and ``auto_create_room`` is 1, WeCom makes groups itself, named
  ``room_base_name`` + a number counting up from ``room_base_id`` (销售客服群10, 销售客服群11, ...).
- The ``state`` comes back per member on ``groupchat/get`` (``member_list[].state``), not on the
  group-change callback (``change_external_chat`` carries ``JoinScene`` and ``MemChangeCnt``
  only), so Siyu counts a join for the code whose pool holds the group, and knows a room WeCom
  made for a code by its members' state (:mod:`siyu.services.group_code_rooms`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

JOIN_WAY_CHATS_MAX = 5  # groups listed on one join way at once
JOIN_WAY_STATE_MAX = 30
JOIN_WAY_REMARK_MAX = 30
ROOM_BASE_NAME_MAX = 40


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class JoinWayDraft(_Model):
    """What ``add_join_way`` / ``update_join_way`` take."""

    scene: Literal[1, 2] = 2  # 1 mini-program button, 2 QR code
    remark: str = ""  # WeCom cuts a longer one to 30 characters; so does Siyu, before sending
    auto_create_room: Literal[0, 1] = 0
    room_base_name: str = Field(default="", max_length=ROOM_BASE_NAME_MAX)
    room_base_id: int | None = Field(default=None, ge=0)
    chat_id_list: list[str] = Field(min_length=1, max_length=JOIN_WAY_CHATS_MAX)
    state: str = Field(default="", max_length=JOIN_WAY_STATE_MAX)

    @field_validator("remark")
    @classmethod
    def _cut(cls, value: str) -> str:
        return value[:JOIN_WAY_REMARK_MAX]

    @field_validator("chat_id_list")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a group is listed on a join way once")
        return value


class JoinWay(_Model):
    config_id: str
    scene: int = 2
    remark: str = ""
    auto_create_room: int = 0
    room_base_name: str = ""
    room_base_id: int | None = None
    chat_id_list: list[str] = []
    qr_code: str = ""
    state: str = ""
