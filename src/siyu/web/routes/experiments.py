"""Experiments (实验): the list, and one experiment's report with a plain-language verdict."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.domain.experiments import MAX_WINDOW_DAYS
from siyu.services import experiments
from siyu.web.console import get_console
from siyu.web.forms import Paging
from siyu.web.i18n import N_
from siyu.web.render import page
from siyu.web.session import CurrentViewer

router = APIRouter()

# Why a comparison has no test (the codes of siyu.domain.experiment_stats.NoTest).
NO_TEST = {
    "no_customers": N_("No test: an arm has no customers yet."),
    "no_converters": N_("No test: nobody converted in either arm, so there is nothing to compare yet."),
    "all_converted": N_("No test: everybody converted in both arms."),
    "too_few": N_("No test: an arm has fewer than 2 customers."),
    "no_variance": N_("No test: every customer in both arms spent the same (usually nothing)."),
}


@router.get("/experiments")
def list_experiments(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    uow = get_console(request).context.uow
    found = experiments.list_experiments(uow(), viewer.actor, paging)
    return page(request, "experiments/list.html", {"experiments": found, "query": ""})


@router.get("/experiments/{experiment_id:int}")
def show_experiment(request: Request, viewer: CurrentViewer, experiment_id: int, window_days: str = "") -> Response:
    uow = get_console(request).context.uow
    days = int(window_days) if window_days.isdigit() and 1 <= int(window_days) <= MAX_WINDOW_DAYS else None
    report = experiments.experiment_report(uow(), viewer.actor, experiment_id, window_days=days)
    return page(request, "experiments/show.html", {"report": report, "no_test": NO_TEST, "max_window": MAX_WINDOW_DAYS})
