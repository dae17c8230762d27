"""Moments (朋友圈) calls of :class:`~siyu.adapters.channels.wecom.channel.WeComChannel`, as a
mixin so they sit in their own module (shapes and WeCom's rules: :mod:`siyu.adapters.channels.moments`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from siyu.adapters.channels.moments import MomentJobResult, MomentTask, MomentTaskPage
from siyu.domain.errors import InvalidInput

if TYPE_CHECKING:
    from siyu.adapters.channels.wecom.client import WeComClient

EC = "/cgi-bin/externalcontact"


def _parse(model: Any, data: Any) -> Any:
    from siyu.adapters.channels.wecom.channel import _parse as parse  # the channel's one answer check

    return parse(model, data)


class MomentCalls:
    client: WeComClient

    def add_moment_task(self, task: MomentTask) -> str:
        """Hand WeCom a moments task; answers its job id (the task is made asynchronously).
        Not idempotent: a timed-out call is reported, not repeated, since WeCom may have made the task."""
        try:
            checked = MomentTask.model_validate(task.model_dump())
        except ValidationError as exc:
            raise InvalidInput("wecom.bad_moment", "WeCom would refuse this moment: %(reason)s", field="attachments",
                               reason=exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
        data = self.client.post(f"{EC}/add_moment_task", checked.body(), idempotent=False)
        return str(data["jobid"])

    def get_moment_task_result(self, jobid: str) -> MomentJobResult:
        return _parse(MomentJobResult, self.client.get(f"{EC}/get_moment_task_result", {"jobid": jobid}))  # type: ignore[no-any-return]

    def cancel_moment_task(self, moment_id: str) -> None:
        self.client.post(f"{EC}/cancel_moment_task", {"moment_id": moment_id})

    def get_moment_task(self, moment_id: str, *, cursor: str = "", limit: int = 1000) -> MomentTaskPage:
        """One page of the senders' publish status (0 not yet, 1 published)."""
        if not 1 <= limit <= 1000:
            raise InvalidInput("wecom.limit_range", "limit is 1-%(max)s", field="limit", max=1000)
        data = self.client.post(f"{EC}/get_moment_task", {"moment_id": moment_id, "cursor": cursor, "limit": limit})
        return _parse(MomentTaskPage, data)  # type: ignore[no-any-return]
