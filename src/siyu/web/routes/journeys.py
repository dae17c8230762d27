"""Journeys (SOP 旅程) in the console: the list, a new one from JSON or a template, the JSON box, status, the per-step counts.

The structured editor (trigger and steps as a form) is ``siyu.web.routes.journey_editor``; the
JSON forms here stay as the advanced way in."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.journeys import Journey, TriggerKind
from siyu.domain.journeys.templates import TEMPLATE_KEYS
from siyu.domain.paging import PageRequest
from siyu.services import journeys
from siyu.web.console import get_console
from siyu.web.forms import Paging
from siyu.web.journey_editor import TRIGGER_LABELS
from siyu.web.i18n import N_
from siyu.web.render import language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
Field = Annotated[str, Form()]
TEMPLATE_NAMES = {"welcome_series": N_("New-friend welcome series"), "first_purchase": N_("First-purchase follow-up"),
                  "birthday": N_("Birthday"), "silent_wakeup": N_("Silent-customer wake-up"),
                  "stage_follow_up": N_("Stage follow-up reminders")}
STATUS_NAMES = {"draft": N_("Draft"), "active": N_("Running"), "paused": N_("Paused"), "stopped": N_("Stopped")}
ACTIONS = {"start": journeys.start_journey, "pause": journeys.pause_journey, "resume": journeys.resume_journey,
           "stop": journeys.stop_journey}


def _errors(request: Request, exc: InvalidInput | NotFound | Conflict, field: str) -> tuple[dict[str, str], int]:
    """The definition's errors name the step in their text; they all show under the one JSON box."""
    return {field: language_for(request).error(exc)}, 409 if isinstance(exc, Conflict) else 422


def _list(request: Request, viewer: Viewer, paging: PageRequest, *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    uow = get_console(request).context.uow
    found = journeys.list_journeys(uow(), viewer.actor, paging)
    tr = language_for(request).gettext
    view = {"journeys": found, "values": values or {}, "errors": errors or {}, "query": "", "status_names": STATUS_NAMES,
            "trigger_label": lambda kind: tr(TRIGGER_LABELS[TriggerKind(kind)]),
            "templates_shown": [(key, language_for(request).gettext(TEMPLATE_NAMES[key])) for key in TEMPLATE_KEYS]}
    return page(request, "journeys/list.html", view, status_code=status_code)


@router.get("/journeys")
def list_journeys(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    return _list(request, viewer, paging)


@router.post("/journeys")
def create_journey(request: Request, viewer: CurrentViewer, paging: Paging, name: Field = "", template: Field = "",
                   definition: Field = "") -> Response:
    values = {"name": name, "template": template, "definition": definition}
    uow = get_console(request).context.uow
    try:
        if template:
            made = journeys.create_from_template(uow(), viewer.actor, template, name=name.strip() or None)
        else:
            made = journeys.create_journey(uow(), viewer.actor, name=name, definition=_json(definition))
    except (InvalidInput, NotFound, Conflict) as exc:
        field = "name" if exc.field == "name" else "definition"
        errors, status = _errors(request, exc, field)
        return _list(request, viewer, paging, values=values, errors=errors, status_code=status)
    return redirect(f"/journeys/{made.id}")


def _show(request: Request, viewer: Viewer, journey: Journey, *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    uow = get_console(request).context.uow
    steps = journeys.step_stats(uow(), viewer.actor, journey.id)
    shown = values or {"name": journey.name, "definition": json.dumps(journey.definition.to_dict(), ensure_ascii=False, indent=2)}
    view = {"journey": journey, "steps": steps, "values": shown, "errors": errors or {}, "status_names": STATUS_NAMES,
            "trigger_label": language_for(request).gettext(TRIGGER_LABELS[journey.definition.trigger.kind]),
            "actions": [a for a in ACTIONS if journey.allowed(a)]}
    return page(request, "journeys/show.html", view, status_code=status_code)


@router.get("/journeys/{journey_id:int}")
def show_journey(request: Request, viewer: CurrentViewer, journey_id: int) -> Response:
    return _show(request, viewer, journeys.get_journey(get_console(request).context.uow(), viewer.actor, journey_id))


@router.post("/journeys/{journey_id:int}")
def update_journey(request: Request, viewer: CurrentViewer, journey_id: int, name: Field = "", definition: Field = "") -> Response:
    uow = get_console(request).context.uow
    current = journeys.get_journey(uow(), viewer.actor, journey_id)  # another tenant's: 404 before anything else
    try:
        journeys.update_journey(uow(), viewer.actor, journey_id, name=name or None, definition=_json(definition))
    except (InvalidInput, Conflict) as exc:
        errors, status = _errors(request, exc, "name" if exc.field == "name" else "definition")
        return _show(request, viewer, current, values={"name": name, "definition": definition}, errors=errors, status_code=status)
    return redirect(f"/journeys/{journey_id}")


@router.post("/journeys/{journey_id:int}/status")
def change_status(request: Request, viewer: CurrentViewer, journey_id: int, action: Field = "") -> Response:
    uow = get_console(request).context.uow
    current = journeys.get_journey(uow(), viewer.actor, journey_id)
    try:
        if action not in ACTIONS:
            raise InvalidInput("form.choose_option", "choose one of the options", field="action")
        ACTIONS[action](uow(), viewer.actor, journey_id)
    except (InvalidInput, Conflict) as exc:
        errors, status = _errors(request, exc, "action")
        return _show(request, viewer, current, errors=errors, status_code=status)
    return redirect(f"/journeys/{journey_id}")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise InvalidInput("journey.not_json", "the definition is not valid JSON", field="definition") from None
