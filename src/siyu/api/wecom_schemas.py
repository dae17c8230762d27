"""Schemas of the WeCom settings and callback-log routes. Secrets go in, only hints come out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from siyu.api.schemas import Out, PageOut


class WeComSettingsUpdate(BaseModel):
    corp_id: str = Field(min_length=1, max_length=64, examples=["ww1436e0e65a779aee"])
    agent_id: int | None = Field(default=None, examples=[1000002])
    api_base_url: str | None = Field(default=None, max_length=200, description="Leave empty for https://qyapi.weixin.qq.com")
    contact_secret: str | None = Field(default=None, max_length=128, description="Write-only; empty keeps the stored one")
    callback_token: str | None = Field(default=None, max_length=32, description="Write-only; empty keeps the stored one")
    encoding_aes_key: str | None = Field(default=None, max_length=43, description="Write-only; empty keeps the stored one")
    app_secret: str | None = Field(default=None, max_length=128,
                                   description="The self-built app's (agent_id's) Secret, for WeCom sign-in; write-only, empty keeps the stored one")


class WeComSettingsOut(Out):
    corp_id: str
    agent_id: int | None
    api_base_url: str
    contact_secret_hint: str | None
    callback_token_hint: str | None
    encoding_aes_key_hint: str | None
    app_secret_hint: str | None = None
    callback_url: str = Field(description="Paste this into the WeCom admin console as the callback URL")
    sign_in_url: str = Field(default="", description="The link for the WeCom app's menu or workbench: guides open their tasks signed in")
    callback_verified_at: datetime | None = Field(description="When WeCom last checked the callback URL successfully")
    updated_at: datetime
    updated_by: str


class CallbackOut(Out):
    id: int
    event: str
    change_type: str
    wecom_userid: str | None
    external_userid: str | None
    chat_id: str | None
    occurred_at: datetime
    received_at: datetime
    outcome: str
    deliveries: int


class CallbackPage(PageOut[CallbackOut]):
    pass


class WeComCheckItem(BaseModel):
    name: str = Field(examples=["credentials"])
    ok: bool
    en: str
    zh: str


class WeComCheckOut(BaseModel):
    ok: bool
    checks: list[WeComCheckItem]
