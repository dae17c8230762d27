"""The tenant's WeCom settings and the log of callbacks WeCom delivered."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.schemas import page_out
from siyu.api.wecom_schemas import CallbackPage, WeComCheckItem, WeComCheckOut, WeComSettingsOut, WeComSettingsUpdate
from siyu.bootstrap import Context
from siyu.domain.wecom import WeComSettings, WeComSettingsDraft, callback_url
from siyu.domain.wecom_sign_in import sign_in_url
from siyu.services import tenants, wecom_check, wecom_settings

router = APIRouter(prefix="/api/v1")
Ctx = Annotated[Context, Depends(get_context)]


def _out(context: Context, uow: Uow, settings: WeComSettings) -> WeComSettingsOut:
    tenant = tenants.get_tenant(uow, settings.tenant_id)
    return WeComSettingsOut.model_validate({**asdict(settings), "callback_url": callback_url(context.settings.base_url, tenant.slug),
                                             "sign_in_url": sign_in_url(context.settings.base_url, tenant.slug)})


@router.get("/wecom/settings", response_model=WeComSettingsOut, tags=["wecom"])
def get_wecom_settings(context: Ctx, uow: Uow, actor: CurrentActor) -> WeComSettingsOut:
    return _out(context, uow, wecom_settings.get_wecom_settings(uow, actor))


@router.put("/wecom/settings", response_model=WeComSettingsOut, tags=["wecom"])
def save_wecom_settings(body: WeComSettingsUpdate, context: Ctx, uow: Uow, actor: CurrentActor) -> WeComSettingsOut:
    draft = WeComSettingsDraft.parse(**body.model_dump())
    return _out(context, uow, wecom_settings.save_wecom_settings(uow, context.secret_box, actor, draft))


@router.get("/wecom/callbacks", response_model=CallbackPage, tags=["wecom"])
def list_wecom_callbacks(uow: Uow, actor: CurrentActor, paging: Paging) -> CallbackPage:
    return page_out(CallbackPage, wecom_settings.list_callbacks(uow, actor, paging))


@router.post("/wecom/check", response_model=WeComCheckOut, tags=["wecom"])
def check_wecom(context: Ctx, uow: Uow, actor: CurrentActor) -> WeComCheckOut:
    """Check the settings against WeCom itself: one line per thing, with what to fix."""
    report = wecom_check.check_wecom(uow, context.secret_box, context.wecom_channel, actor)
    return WeComCheckOut(ok=report.ok, checks=[WeComCheckItem(name=c.name, ok=c.ok, en=c.en, zh=c.zh) for c in report.checks])
