"""``/callbacks/wecom/{tenant}``: where WeCom delivers events (thin; the work is in
:mod:`siyu.services.wecom_callbacks`). Not part of the token-authenticated API: a callback
proves itself with its signature, so it is left out of the OpenAPI document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from siyu.adapters.channels.wecom.crypto import MAX_BODY
from siyu.api.deps import get_context
from siyu.bootstrap import Context
from siyu.domain.wecom import CallbackRejected
from siyu.services import wecom_callbacks

router = APIRouter(include_in_schema=False)
Ctx = Annotated[Context, Depends(get_context)]
Param = Annotated[str, Query(max_length=512)]
REJECTED = PlainTextResponse("rejected", status_code=403)


@router.get("/callbacks/wecom/{tenant}")
def verify_wecom_url(tenant: str, request: Request, context: Ctx, msg_signature: Param = "", timestamp: Param = "",
                     nonce: Param = "", echostr: Annotated[str, Query(max_length=4096)] = "") -> PlainTextResponse:
    try:
        plain = wecom_callbacks.verify_url(context.uow(), context.secret_box, tenant, msg_signature=msg_signature,
                                           timestamp=timestamp, nonce=nonce, echostr=echostr, client=_client(request))
    except CallbackRejected:
        return REJECTED
    return PlainTextResponse(plain)  # bare: no quotes, BOM or newline


@router.post("/callbacks/wecom/{tenant}")
async def receive_wecom_callback(tenant: str, request: Request, context: Ctx, msg_signature: Param = "",
                                 timestamp: Param = "", nonce: Param = "") -> PlainTextResponse:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return REJECTED  # no WeCom event comes near this: refuse it unread
    body = await request.body()
    enqueue = context.tasks["refresh_wecom_contact"]
    try:
        await run_in_threadpool(
            wecom_callbacks.receive_callback, context.uow(), context.secret_box, tenant, msg_signature=msg_signature,
            timestamp=timestamp, nonce=nonce, body=body, enqueue=enqueue, client=_client(request),
            enqueue_welcome=context.tasks["send_welcome"], enqueue_fetch=context.tasks["fetch_wecom_change"],
        )
    except CallbackRejected:
        return REJECTED
    return PlainTextResponse("success")


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None
