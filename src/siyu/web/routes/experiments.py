"""Experiments (实验): the list, the form to make one (and change it while unused), and one
experiment's report with a plain-language verdict and each send's planned arms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.experiments import MAX_HOLDOUT_PERCENT, MAX_WINDOW_DAYS, Experiment, ExperimentDraft, Variant
from siyu.services import experiments
from siyu.web.console import get_console
from siyu.web.forms import FORM_WIDE, Paging, failure
from siyu.web.i18n import N_
from siyu.web.render import flash, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
VARIANT_ROWS = 4  # variant lines on the form (an experiment has at most 10 arms; the API takes more)

# Why a comparison has no test (the codes of siyu.domain.experiment_stats.NoTest).
NO_TEST = {
    "no_customers": N_("No test: an arm has no customers yet."),
    "no_converters": N_("No test: nobody converted in either arm, so there is nothing to compare yet."),
    "all_converted": N_("No test: everybody converted in both arms."),
    "too_few": N_("No test: an arm has fewer than 2 customers."),
    "no_variance": N_("No test: every customer in both arms spent the same (usually nothing)."),
    "no_repliers": N_("No test: nobody replied in either arm (no message_replied events in the window)."),
    "all_replied": N_("No test: everybody replied in both arms."),
}


class ExperimentFields(BaseModel):
    """The form as typed, kept as text so a rejected form comes back unchanged."""

    name: str = ""
    holdout_percent: str = "10"
    window_days: str = "7"
    variant_key: list[str] = ["send"]
    variant_percent: list[str] = []

    @classmethod
    def of(cls, experiment: Experiment) -> ExperimentFields:
        holdout = experiment.holdout
        variants = [a for a in experiment.arms if a is not holdout]
        return cls(name=experiment.name, window_days=str(experiment.window_days),
                   holdout_percent=f"{experiment.percent(holdout):g}" if holdout else "0",
                   variant_key=[a.key for a in variants], variant_percent=[f"{experiment.percent(a):g}" for a in variants])

    def rows(self) -> list[tuple[str, str]]:
        keys, shares = self.variant_key, self.variant_percent
        padded = [(keys[i] if i < len(keys) else "", shares[i] if i < len(shares) else "") for i in range(max(len(keys), len(shares)))]
        return padded + [("", "")] * max(0, VARIANT_ROWS - len(padded))

    def draft(self) -> ExperimentDraft:
        variants = [Variant(key.strip(), _whole(share, "variants") if share.strip() else None)
                    for key, share in self.rows() if key.strip() or share.strip()]
        return ExperimentDraft.split(name=self.name, holdout_percent=_whole(self.holdout_percent or "0", "holdout_percent"),
                                     variants=variants, window_days=_whole(self.window_days, "window_days"))


def _whole(raw: str, field: str) -> int:
    value = raw.strip()
    if not value.isdigit():
        raise InvalidInput("form.whole_number", "enter a whole number", field=field)
    return int(value)


Fields = Annotated[ExperimentFields, Form()]


@router.get("/experiments")
def list_experiments(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    uow = get_console(request).context.uow
    found = experiments.list_experiments(uow(), viewer.actor, paging)
    return page(request, "experiments/list.html", {"experiments": found, "query": ""})


def _form(request: Request, values: ExperimentFields, *, experiment: Experiment | None = None, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    view = {"values": values.model_dump(), "rows": values.rows(), "errors": errors or {}, "experiment": experiment,
            "max_holdout": MAX_HOLDOUT_PERCENT, "max_window": MAX_WINDOW_DAYS}
    return page(request, "experiments/form.html", view, status_code=status_code)


@router.get("/experiments/new")
def new_experiment(request: Request, viewer: CurrentViewer) -> Response:
    return _form(request, ExperimentFields())


@router.post("/experiments")
def create_experiment(request: Request, viewer: CurrentViewer, values: Fields) -> Response:
    try:
        made = experiments.create_experiment(get_console(request).context.uow(), viewer.actor, values.draft())
    except (InvalidInput, Conflict) as exc:  # not allowed (403) or not found (404) go to the error page
        errors, status = failure(language_for(request), exc)
        return _form(request, values, errors=errors, status_code=status)
    response = redirect(f"/experiments/{made.id}")
    flash(request, response, N_("Experiment “%(name)s” created."), name=made.name)
    return response


def _editable(request: Request, viewer: Viewer, experiment_id: int) -> tuple[Experiment, dict[str, str]]:
    uow = get_console(request).context.uow
    experiment = experiments.get_experiment(uow(), viewer.actor, experiment_id)
    used = experiments.in_use(uow(), viewer.actor, experiment_id)
    notice = language_for(request).gettext("A send uses this experiment already, so it can no longer change.")
    return experiment, ({FORM_WIDE: notice} if used else {})


@router.get("/experiments/{experiment_id:int}/edit")
def edit_experiment(request: Request, viewer: CurrentViewer, experiment_id: int) -> Response:
    experiment, errors = _editable(request, viewer, experiment_id)
    return _form(request, ExperimentFields.of(experiment), experiment=experiment, errors=errors)


@router.post("/experiments/{experiment_id:int}/edit")
def update_experiment(request: Request, viewer: CurrentViewer, experiment_id: int, values: Fields) -> Response:
    uow = get_console(request).context.uow
    try:
        made = experiments.update_experiment(uow(), viewer.actor, experiment_id, values.draft())
    except (InvalidInput, Conflict) as exc:  # raised after the experiment was found: another brand's is a 404
        experiment = experiments.get_experiment(uow(), viewer.actor, experiment_id)
        errors, status = failure(language_for(request), exc)
        return _form(request, values, experiment=experiment, errors=errors, status_code=status)
    response = redirect(f"/experiments/{made.id}")
    flash(request, response, N_("Experiment “%(name)s” saved."), name=made.name)
    return response


@router.get("/experiments/{experiment_id:int}")
def show_experiment(request: Request, viewer: CurrentViewer, experiment_id: int, window_days: str = "") -> Response:
    uow = get_console(request).context.uow
    days = int(window_days) if window_days.isdigit() and 1 <= int(window_days) <= MAX_WINDOW_DAYS else None
    report = experiments.experiment_report(uow(), viewer.actor, experiment_id, window_days=days)
    editable = not experiments.in_use(uow(), viewer.actor, experiment_id)
    return page(request, "experiments/show.html", {"report": report, "no_test": NO_TEST, "max_window": MAX_WINDOW_DAYS,
                                                   "editable": editable})
