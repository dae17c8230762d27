"""The WeCom link (企业微信): the settings form, the setup check and the callback log.

Secrets are write-only: the form shows the stored ones as hints (``••••1a2b``) and an empty
secret field keeps the stored value. A rejected form comes back with what was typed, secrets
included (in password fields, to the admin who typed them), so nothing has to be typed again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.adapters.channels.sandbox import SANDBOX_URL
from siyu.domain.access import Role
from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import PageRequest
from siyu.domain.wecom import WeComSettings, WeComSettingsDraft, callback_url
from siyu.domain.wecom_sign_in import sign_in_url
from siyu.services import staff, tenants, wecom_check, wecom_settings
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure
from siyu.web.i18n import N_
from siyu.web.render import flash, fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()

# What each finding of the setup check is about, in the admin's words.
CHECK_LABELS = {
    "settings": N_("Settings"),
    "credentials": N_("Corp ID and secret"),
    "secret": N_("Customer-contact secret"),
    "permission": N_("Customer-contact permission"),
    "ip": N_("Trusted IP"),
    "staff": N_("Staff in Siyu"),
    "callback": N_("Callback URL"),
}


class WeComFields(BaseModel):
    """The settings form as typed, kept as text so a rejected form comes back unchanged."""

    corp_id: str = ""
    agent_id: str = ""
    api_base_url: str = ""
    contact_secret: str = ""
    callback_token: str = ""
    encoding_aes_key: str = ""
    app_secret: str = ""

    @classmethod
    def of(cls, settings: WeComSettings | None) -> WeComFields:
        if settings is None:
            return cls()
        return cls(corp_id=settings.corp_id, agent_id=str(settings.agent_id or ""), api_base_url=settings.api_base_url)

    def draft(self) -> WeComSettingsDraft:
        return WeComSettingsDraft.parse(
            corp_id=self.corp_id, agent_id=self.agent_id, api_base_url=self.api_base_url or None,
            contact_secret=self.contact_secret, callback_token=self.callback_token, encoding_aes_key=self.encoding_aes_key,
            app_secret=self.app_secret,
        )


Fields = Annotated[WeComFields, Form()]


def _settings(request: Request, viewer: Viewer) -> WeComSettings | None:
    try:
        return wecom_settings.get_wecom_settings(get_console(request).context.uow(), viewer.actor)
    except NotFound:  # not set up yet: the form starts empty
        return None


def _form(request: Request, viewer: Viewer, settings: WeComSettings | None, fields: WeComFields,
          errors: dict[str, str] | None = None, status_code: int = 200, **extra: object) -> Response:
    context = get_console(request).context
    tenant = tenants.get_tenant(context.uow(), viewer.actor.tenant_id)
    sandbox = settings is not None and settings.api_base_url == SANDBOX_URL
    guides = staff.list_staff(context.uow(), viewer.actor, PageRequest(page_size=200), status=StaffStatus.ACTIVE).items if sandbox else []
    view = {"settings": settings, "values": fields.model_dump(), "errors": errors or {},
            "callback_url": callback_url(context.settings.base_url, tenant.slug),
            "sign_in_url": sign_in_url(context.settings.base_url, tenant.slug), "sandbox": sandbox,
            "guides": [(str(g.id), g.name) for g in guides if g.role is Role.GUIDE] or [(str(g.id), g.name) for g in guides], **extra}
    return page(request, "wecom/settings.html", view, status_code=status_code)


@router.get("/wecom")
def show_wecom(request: Request, viewer: CurrentViewer) -> Response:
    settings = _settings(request, viewer)  # requires wecom.manage
    return _form(request, viewer, settings, WeComFields.of(settings))


@router.post("/wecom")
def save_wecom(request: Request, viewer: CurrentViewer, fields: Fields) -> Response:
    context = get_console(request).context
    try:
        wecom_settings.save_wecom_settings(context.uow(), context.secret_box, viewer.actor, fields.draft())
    except InvalidInput as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, _settings(request, viewer), fields, errors, status)
    response = redirect("/wecom")
    flash(request, response, N_("WeCom settings saved. Run the setup check to see that they work."))
    return response


@router.post("/wecom/check")
def check_wecom(request: Request, viewer: CurrentViewer) -> Response:
    """The setup check, each finding in the admin's language; a fragment for htmx, or the whole page."""
    context = get_console(request).context
    report = wecom_check.check_wecom(context.uow(), context.secret_box, context.wecom_channel, viewer.actor)
    language = language_for(request)
    view = {"report": report, "findings": [(CHECK_LABELS.get(c.name, c.name), c.ok, c.message(language.code)) for c in report.checks]}
    if is_htmx(request):
        return fragment(request, "wecom/_check.html", view)
    settings = _settings(request, viewer)
    return _form(request, viewer, settings, WeComFields.of(settings), **view)


@router.get("/wecom/callbacks")
def list_callbacks(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    found = wecom_settings.list_callbacks(get_console(request).context.uow(), viewer.actor, paging)
    return page(request, "wecom/callbacks.html", {"callbacks": found})
