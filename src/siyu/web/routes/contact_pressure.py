"""Contact pressure in the console: the tenant's rules (admins), do-not-disturb on a customer, the opt-out list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.contact_pressure import ContactRules, WeComCap
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.services import contact_pressure
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure
from siyu.web.i18n import N_
from siyu.web.render import flash, flash_error, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer
from siyu.web.timeline import opt_out_source

router = APIRouter()
Field = Annotated[str, Form()]

WECOM_CAPS = (
    (WeComCap.MONTH.value, N_("Per month: as many as the month has days (WeCom's default)")),
    (WeComCap.WEEK.value, N_("Per week: 7")),
    (WeComCap.DAY.value, N_("Per day: 1")),
)
# The sources a person picks in the console (import and api are set by those paths).
CONSOLE_SOURCES = ("manual", "customer_request")


class RulesFields(BaseModel):
    """The rules form as typed, kept as text so a rejected form comes back unchanged."""

    per_day: str = ""
    per_week: str = ""
    per_month: str = ""
    quiet_start: str = ""
    quiet_end: str = ""
    wecom_cap: str = WeComCap.MONTH.value

    @classmethod
    def of(cls, rules: ContactRules) -> RulesFields:
        hours = rules.quiet_hours
        return cls(per_day=str(rules.per_day or ""), per_week=str(rules.per_week or ""), per_month=str(rules.per_month or ""),
                   quiet_start=hours[0].strftime("%H:%M") if hours else "", quiet_end=hours[1].strftime("%H:%M") if hours else "",
                   wecom_cap=rules.wecom_cap.value)

    def rules(self) -> ContactRules:
        return ContactRules.parse(per_day=self.per_day, per_week=self.per_week, per_month=self.per_month,
                                  quiet_start=self.quiet_start, quiet_end=self.quiet_end, wecom_cap=self.wecom_cap)


Rules = Annotated[RulesFields, Form()]


def _form(request: Request, viewer: Viewer, values: RulesFields, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    language = language_for(request)
    caps = [(value, language.gettext(text)) for value, text in WECOM_CAPS]
    return page(request, "settings/contact_rules.html", {"values": values.model_dump(), "errors": errors or {}, "wecom_caps": caps},
                status_code=status_code)


@router.get("/settings/contact-rules")
def show_rules(request: Request, viewer: CurrentViewer) -> Response:
    rules = contact_pressure.get_rules(get_console(request).context.uow(), viewer.actor)  # requires contact_rules.manage
    return _form(request, viewer, RulesFields.of(rules))


@router.post("/settings/contact-rules")
def save_rules(request: Request, viewer: CurrentViewer, fields: Rules) -> Response:
    context = get_console(request).context
    contact_pressure.get_rules(context.uow(), viewer.actor)  # a refused role is refused before its input is judged
    try:
        contact_pressure.update_rules(context.uow(), viewer.actor, fields.rules())
    except InvalidInput as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, fields, errors, status)
    response = redirect("/settings/contact-rules")
    flash(request, response, N_("Contact rules saved. They apply to every send from now on."))
    return response


@router.post("/customers/{customer_id:int}/opt-out")
def opt_out(request: Request, viewer: CurrentViewer, customer_id: int, source: Field = "manual", note: Field = "") -> Response:
    response = redirect(f"/customers/{customer_id}")
    try:
        contact_pressure.opt_out(get_console(request).context.uow(), viewer.actor, customer_id,
                                 source=source if source in CONSOLE_SOURCES else "manual", note=note)
    except (InvalidInput, Conflict) as exc:
        flash_error(request, response, exc)
        return response
    flash(request, response, N_("Do not disturb is on: no send will reach this customer."))
    return response


@router.post("/customers/{customer_id:int}/opt-in")
def opt_in(request: Request, viewer: CurrentViewer, customer_id: int) -> Response:
    response = redirect(f"/customers/{customer_id}")
    try:
        contact_pressure.opt_in(get_console(request).context.uow(), viewer.actor, customer_id)
    except NotFound as exc:
        if exc.code != "opt_out.not_found":
            raise  # no such customer (or not in scope): the 404 page
        flash_error(request, response, exc)
        return response
    flash(request, response, N_("Do not disturb is off: sends may reach this customer again."))
    return response


@router.get("/opt-outs")
def list_opt_outs(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    found = contact_pressure.list_opt_outs(get_console(request).context.uow(), viewer.actor, paging)
    language = language_for(request)
    return page(request, "settings/opt_outs.html", {"opt_outs": found, "source_label": lambda s: opt_out_source(language, s)})
