"""Mass sends (群发) in the console: the list, the new-send form with a live audience count,
and each send's report (exclusions by reason, each staff member's confirmation)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.errors import DomainError, InvalidInput
from siyu.domain.mass_sends import MassSendDraft, SendStatus
from siyu.domain.paging import PageRequest
from siyu.domain.send_experiments import SendExperiment
from siyu.services import experiments, mass_sends, segments, welcome
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure, optional_id
from siyu.web.render import fragment, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL = PageRequest(page=1, page_size=200)
FINISHED = {SendStatus.DONE, SendStatus.CANCELLED, SendStatus.FAILED}


class SendFields(BaseModel):
    """The form as typed, kept as text so a rejected form comes back unchanged."""

    name: str = ""
    text: str = ""
    audience: str = "segment"  # segment | picked
    segment_id: str = ""
    customer_ids: str = ""  # ids separated by commas, spaces or new lines
    material_ids: list[str] = []
    experiment_id: str = ""  # an existing experiment ...
    holdout: str = ""  # ... or the send's own: "on" holds out holdout_percent% ...
    holdout_percent: str = "10"
    variant_b_text: str = ""  # ... and/or half of those sent get this text
    scheduled_at: str = ""  # datetime-local, Shanghai time; empty: now

    def picked(self) -> list[int]:
        parts = [p for p in re.split(r"[\s,，;]+", self.customer_ids) if p]
        if any(not p.isdigit() for p in parts):
            raise InvalidInput("form.whole_number", "enter a whole number", field="customer_ids")
        return [int(p) for p in parts]

    def when(self) -> datetime | None:
        if not self.scheduled_at.strip():
            return None
        try:
            return datetime.fromisoformat(self.scheduled_at.strip()).replace(tzinfo=SHANGHAI)
        except ValueError:
            raise InvalidInput("form.bad_datetime", "enter a date and time", field="scheduled_at") from None

    def experiment(self) -> SendExperiment | None:
        """The send's own experiment, when the holdout is ticked or a variant B text is given."""
        if not self.holdout and not self.variant_b_text.strip():
            return None
        percent = self.holdout_percent.strip()
        if self.holdout and not percent.isdigit():
            raise InvalidInput("form.whole_number", "enter a whole number", field="holdout_percent")
        return SendExperiment.parse(holdout_percent=int(percent) if self.holdout else 0, variant_b_text=self.variant_b_text)

    def draft(self) -> MassSendDraft:
        by_segment = self.audience != "picked"
        return MassSendDraft.parse(
            name=self.name, text=self.text, material_ids=[int(m) for m in self.material_ids if m.isdigit()],
            segment_id=optional_id(self.segment_id, "segment_id") if by_segment else None,
            customer_ids=[] if by_segment else self.picked(), experiment_id=optional_id(self.experiment_id, "experiment_id"),
            scheduled_at=self.when())


Fields = Annotated[SendFields, Form()]


@router.get("/mass-sends")
def list_sends(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    found = mass_sends.list_mass_sends(get_console(request).context.uow(), viewer.actor, paging)
    return page(request, "mass_sends/list.html", {"sends": found, "query": ""})


def _form(request: Request, viewer: Viewer, values: SendFields, *, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    uow = get_console(request).context.uow
    view = {
        "values": values.model_dump(), "errors": errors or {},
        "segment_options": [(s.id, s.name) for s in segments.list_segments(uow(), viewer.actor, ALL).items],
        "materials": welcome.list_materials(uow(), viewer.actor, ALL).items,
        "experiment_options": [(e.id, e.name) for e in experiments.list_experiments(uow(), viewer.actor, ALL).items],
    }
    return page(request, "mass_sends/form.html", view, status_code=status_code)


@router.get("/mass-sends/new")
def new_send(request: Request, viewer: CurrentViewer) -> Response:
    return _form(request, viewer, SendFields())


@router.post("/mass-sends/audience-count")
def audience_count(request: Request, viewer: CurrentViewer, values: Fields) -> Response:
    """The form's live preview: customers in the audience now, before exclusions."""
    uow = get_console(request).context.uow
    try:
        if values.audience == "picked":
            count: int | None = mass_sends.audience_count(uow(), viewer.actor, customer_ids=values.picked())
        else:
            segment_id = optional_id(values.segment_id, "segment_id")
            count = None if segment_id is None else mass_sends.audience_count(uow(), viewer.actor, segment_id=segment_id)
        error = None
    except DomainError as exc:
        count, error = None, language_for(request).error(exc)
    return fragment(request, "mass_sends/_count.html", {"count": count, "error": error})


@router.post("/mass-sends")
def create_send(request: Request, viewer: CurrentViewer, values: Fields) -> Response:
    context = get_console(request).context
    try:
        made = mass_sends.create_mass_send(context.uow(), viewer.actor, values.draft(), experiment=values.experiment())
    except DomainError as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, values, errors=errors, status_code=status)
    if made.scheduled_at <= made.created_at:
        context.tasks["advance_mass_send"](viewer.actor.tenant_id, made.id)
    return redirect(f"/mass-sends/{made.id}")


@router.get("/mass-sends/{send_id:int}")
def show_send(request: Request, viewer: CurrentViewer, send_id: int) -> Response:
    report = mass_sends.mass_send_report(get_console(request).context.uow(), viewer.actor, send_id)
    return page(request, "mass_sends/show.html", {"report": report, "send": report.send, "finished": report.send.status in FINISHED})


@router.post("/mass-sends/{send_id:int}/cancel")
def cancel_send(request: Request, viewer: CurrentViewer, send_id: int) -> Response:
    context = get_console(request).context
    mass_sends.cancel_mass_send(context.uow(), viewer.actor, send_id)
    context.tasks["advance_mass_send"](viewer.actor.tenant_id, send_id)
    return redirect(f"/mass-sends/{send_id}")
