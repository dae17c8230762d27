"""Experiments (实验): create, change while unused, list, read one, and its report (conversion and GMV per arm, with the tests)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.experiment_schemas import (
    ExperimentCreate, ExperimentOut, ExperimentPage, ExperimentReportOut, ExperimentUpdate, report_out,
)
from siyu.api.schemas import page_out
from siyu.domain.experiments import MAX_WINDOW_DAYS
from siyu.services import experiments

router = APIRouter(prefix="/api/v1")


@router.get("/experiments", response_model=ExperimentPage, tags=["experiments"])
def list_experiments(uow: Uow, actor: CurrentActor, paging: Paging) -> ExperimentPage:
    return page_out(ExperimentPage, experiments.list_experiments(uow, actor, paging))


@router.post("/experiments", response_model=ExperimentOut, status_code=201, tags=["experiments"])
def create_experiment(body: ExperimentCreate, uow: Uow, actor: CurrentActor, response: Response) -> ExperimentOut:
    """A holdout of 1 to 50% (or none) and variants whose shares make up the rest; its window starts now,
    or with the first send it is attached to while unused."""
    made = experiments.create_experiment(uow, actor, body.draft())
    response.headers["Location"] = f"/api/v1/experiments/{made.id}"
    return ExperimentOut.model_validate(made)


@router.put("/experiments/{experiment_id}", response_model=ExperimentOut, tags=["experiments"])
def update_experiment(experiment_id: int, body: ExperimentUpdate, uow: Uow, actor: CurrentActor) -> ExperimentOut:
    """Replace the experiment while nobody is in it and no send names it (409 ``experiment.in_use`` after)."""
    return ExperimentOut.model_validate(experiments.update_experiment(uow, actor, experiment_id, body.draft()))


@router.get("/experiments/{experiment_id}", response_model=ExperimentOut, tags=["experiments"])
def get_experiment(experiment_id: int, uow: Uow, actor: CurrentActor) -> ExperimentOut:
    return ExperimentOut.model_validate(experiments.get_experiment(uow, actor, experiment_id))


@router.get("/experiments/{experiment_id}/report", response_model=ExperimentReportOut, tags=["experiments"])
def experiment_report(experiment_id: int, uow: Uow, actor: CurrentActor,
                      window_days: Annotated[int | None, Query(ge=1, le=MAX_WINDOW_DAYS,
                                                               description="Days after the start; default the experiment's own")] = None,
                      ) -> ExperimentReportOut:
    """Per arm: customers, converters (at least one order in the window, not wholly refunded), conversion
    rate, GMV net of refunds, GMV per customer, repliers and reply rate; each variant against the
    control with a pooled two-proportion z-test, the 95% CI of the difference (unpooled SE) and
    Welch's t-test on GMV per customer, and the same z-test on the reply rate.

    A replier is a customer with at least one behaviour event named `message_replied` that occurred
    in the window: a reply the brand's conversation-archive pipeline (or any integration) sends
    through `POST /api/v1/events:batch` (WeCom gives message content only through the archive)."""
    return report_out(experiments.experiment_report(uow, actor, experiment_id, window_days=window_days))
