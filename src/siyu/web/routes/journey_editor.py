"""The journey editor (SOP 旅程编辑器): the trigger and the steps as a form, new or from a template or
editing a journey, checked on the server with each error on its field.

The form is ``journeys/editor.html`` (``siyu.web.journey_editor`` reads it and builds the stored
definition). A change that reshapes the form (a trigger kind picked, a step added, removed or
moved, a branch condition changed) posts it to ``/journeys/editor``, which answers the trigger
and steps re-rendered (htmx swaps them in place; without JavaScript the whole page comes back).
Saving calls the same services as the API (``services.journeys``), so the checks and the error
codes are the API's; the form comes back as typed with the errors in the viewer's language.
The JSON box on the journey's page stays as the advanced way in.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from siyu.domain.access import Permission
from siyu.domain.errors import Conflict, DomainError, InvalidInput
from siyu.domain.fields import FieldKind
from siyu.domain.journeys import Journey, StepKind
from siyu.domain.journeys.templates import TEMPLATE_KEYS, template
from siyu.services import journeys
from siyu.web import journey_editor as je
from siyu.web import segment_editor as ed
from siyu.web.console import get_console
from siyu.web.forms import FORM_WIDE, PostedForm
from siyu.web.i18n import N_, Language
from siyu.web.lookups import editor_choices
from siyu.web.render import flash, fragment, is_htmx, language_for, page, redirect
from siyu.web.routes.journeys import TEMPLATE_NAMES
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
PAGE = "journeys/editor.html"


def _labels(language: Language, choices: ed.Choices) -> dict[str, Any]:
    tr = language.gettext
    return {
        "trigger_kinds": [(k.value, tr(label)) for k, label in je.TRIGGER_LABELS.items()],
        "step_kinds": [(k.value, tr(label)) for k, label in je.STEP_LABELS.items()],
        "step_label": lambda kind: tr(je.STEP_LABELS[StepKind(kind)]),
        "date_fields": [("birthday", tr(N_("Birthday")))] + [(f"field:{key}", f.label) for key, f in choices.fields.items()
                                                             if f.kind is FieldKind.DATE],
        "kinds": [(k.value, tr(label)) for k, label in ed.KIND_LABELS.items()],
        "op_label": lambda op: tr(ed.OP_LABELS[op]),
        "attribute_label": lambda kind, name, text: tr(text) if kind in ed.ATTRIBUTE_LABELS else (
            language.label("identity", name) if kind == "identity" else text),
        "option_label": lambda kind, value, text: (
            language.label("relation", value) if kind == "relation" else tr(text) if kind == "profile" else text),
    }


def _problems(language: Language, exc: DomainError, steps: list[je.StepForm]) -> dict[str, str]:
    """The error's text in the viewer's language, keyed by where the form shows it; the step it
    names is called by its number, and the value by its label on the form."""
    key = je.error_key(exc.field, exc.code or "", steps) or FORM_WIDE
    params = dict(exc.params)
    if "where" in params and key.startswith("s"):
        number = int(key[1:].partition("_")[0]) + 1
        params["where"] = language.gettext("Step %(number)s", number=number)
    names = je.TRIGGER_VALUE_LABELS if key.startswith("trigger") else je.VALUE_LABELS
    if params.get("name") in names:
        params["name"] = language.gettext(names[str(params["name"])])
    if exc.code == "journey.unknown_reference" and params.get("kind") in je.REFERENCE_LABELS:
        params["kind"] = language.gettext(je.REFERENCE_LABELS[str(params["kind"])])
    if isinstance(exc.__cause__, DomainError) and "reason" in params:
        params["reason"] = language.error(exc.__cause__)
    return {key: language.coded(exc.code, params, exc.message)}


def _editor(request: Request, viewer: Viewer, journey: Journey | None, values: dict[str, str], trigger: je.TriggerForm,
            steps: list[je.StepForm], errors: dict[str, str] | None = None, *, status_code: int = 200,
            whole: bool = True, choices: ed.Choices | None = None) -> Response:
    language = language_for(request)
    choices = choices or editor_choices(get_console(request).context, viewer.actor)
    for step in steps:
        if step.kind == StepKind.BRANCH.value:
            step.groups = ed.settled(step.groups, choices)
    view = {"journey": journey, "values": values, "trigger": trigger, "steps": steps, "choices": choices,
            "errors": errors or {}, "ed": ed, "je": je, **_labels(language, choices)}
    if whole:
        return page(request, PAGE, view, status_code=status_code)
    return fragment(request, "journeys/_editor.html", view, status_code=status_code)


def _posted(form: FormData) -> tuple[dict[str, str], je.TriggerForm, list[je.StepForm]]:
    values = {"name": str(form.get("name") or "")}
    trigger, steps = je.read_form({key: [str(v) for v in form.getlist(key)] for key in form})
    return values, trigger, steps


@router.get("/journeys/new")
def new_journey(request: Request, viewer: CurrentViewer, template_key: str = "") -> Response:
    """An empty journey, or (``?template_key=``) one of the templates, pre-filled, to change before saving."""
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    if template_key in TEMPLATE_KEYS:
        _name, definition = template(template_key)
        trigger, steps = je.form_of(definition)
        name = language_for(request).gettext(TEMPLATE_NAMES[template_key])
    else:
        trigger, steps, name = je.TriggerForm(), [je.new_step(StepKind.WAIT.value, set())], ""
    return _editor(request, viewer, None, {"name": name}, trigger, steps)


@router.post("/journeys/editor")
def change_editor(request: Request, viewer: CurrentViewer, form: PostedForm) -> Response:
    """The trigger and steps after a change (a kind picked, a step added, removed or moved, a branch condition changed)."""
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    values, trigger, steps = _posted(form)
    steps = je.change(steps, str(form.get("action") or ""))
    raw_id = str(form.get("journey_id") or "")
    journey = journeys.get_journey(get_console(request).context.uow(), viewer.actor, int(raw_id)) if raw_id.isdigit() else None
    return _editor(request, viewer, journey, values, trigger, steps, whole=not is_htmx(request))


def _save(request: Request, viewer: Viewer, form: FormData, journey: Journey | None) -> Response:
    context = get_console(request).context
    values, trigger, steps = _posted(form)
    choices = editor_choices(context, viewer.actor)
    raw = je.raw_definition(trigger, steps, choices)
    try:
        if journey is None:
            saved = journeys.create_journey(context.uow(), viewer.actor, name=values["name"], definition=raw)
            message = N_("Journey “%(name)s” created.")
        else:
            saved = journeys.update_journey(context.uow(), viewer.actor, journey.id, name=values["name"], definition=raw)
            message = N_("Journey “%(name)s” saved.")
    except (InvalidInput, Conflict) as exc:
        errors = _problems(language_for(request), exc, steps)
        return _editor(request, viewer, journey, values, trigger, steps, errors,
                       status_code=409 if isinstance(exc, Conflict) else 422, choices=choices)
    response = redirect(f"/journeys/{saved.id}")
    flash(request, response, message, name=saved.name)
    return response


@router.post("/journeys/new")
def create_journey(request: Request, viewer: CurrentViewer, form: PostedForm) -> Response:
    return _save(request, viewer, form, None)


@router.get("/journeys/{journey_id:int}/edit")
def edit_journey(request: Request, viewer: CurrentViewer, journey_id: int) -> Response:
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    journey = journeys.get_journey(get_console(request).context.uow(), viewer.actor, journey_id)
    trigger, steps = je.form_of(journey.definition.to_dict())
    return _editor(request, viewer, journey, {"name": journey.name}, trigger, steps)


@router.post("/journeys/{journey_id:int}/edit")
def update_journey(request: Request, viewer: CurrentViewer, journey_id: int, form: PostedForm) -> Response:
    journey = journeys.get_journey(get_console(request).context.uow(), viewer.actor, journey_id)
    return _save(request, viewer, form, journey)

