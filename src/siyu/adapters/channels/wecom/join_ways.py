"""Customer-group join ways (群活码) of :class:`~siyu.adapters.channels.wecom.channel.WeComChannel`,
as a mixin (shapes and what is remembered of WeCom's rules: :mod:`siyu.adapters.channels.join_ways`).
The transport's token, retry and errcode handling apply as to any call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siyu.adapters.channels.join_ways import JoinWay, JoinWayDraft

if TYPE_CHECKING:
    from siyu.adapters.channels.wecom.client import WeComClient

GC = "/cgi-bin/externalcontact/groupchat"


def _parse(model: Any, data: Any) -> Any:
    from siyu.adapters.channels.wecom.channel import _parse as parse  # the channel's one answer check

    return parse(model, data)


def _body(draft: JoinWayDraft) -> dict[str, Any]:
    return draft.model_dump(exclude_none=True)


class JoinWayCalls:
    client: WeComClient

    def add_join_way(self, draft: JoinWayDraft) -> str:
        """A new join way; answers its ``config_id`` (its QR code comes from :meth:`get_join_way`).
        Not repeated after a timeout: WeCom may have made it."""
        data = self.client.post(f"{GC}/add_join_way", _body(draft), idempotent=False)
        return str(_parse(JoinWay, {"config_id": data.get("config_id")}).config_id)

    def get_join_way(self, config_id: str) -> JoinWay:
        data = self.client.post(f"{GC}/get_join_way", {"config_id": config_id})
        return _parse(JoinWay, data.get("join_way"))  # type: ignore[no-any-return]

    def update_join_way(self, config_id: str, draft: JoinWayDraft) -> None:
        self.client.post(f"{GC}/update_join_way", {"config_id": config_id, **_body(draft)})

    def delete_join_way(self, config_id: str) -> None:
        self.client.post(f"{GC}/del_join_way", {"config_id": config_id})
