"""Journeys (SOP): CRUD, templates, start / pause / resume / stop, per-step counts."""

from __future__ import annotations

from fastapi import APIRouter

from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.journey_schemas import JourneyCreate, JourneyFromTemplate, JourneyOut, JourneyPage, JourneyUpdate, StepStatsOut
from siyu.services import journeys

router = APIRouter(prefix="/api/v1", tags=["journeys"])


@router.get("/journeys", response_model=JourneyPage)
def list_journeys(uow: Uow, actor: CurrentActor, paging: Paging) -> JourneyPage:
    page = journeys.list_journeys(uow, actor, paging)
    return JourneyPage(items=[JourneyOut.of(j) for j in page.items], total=page.total, page=page.page, page_size=page.page_size,
                       pages=page.pages)


@router.post("/journeys", response_model=JourneyOut, status_code=201)
def create_journey(body: JourneyCreate, uow: Uow, actor: CurrentActor) -> JourneyOut:
    return JourneyOut.of(journeys.create_journey(uow, actor, name=body.name, definition=body.definition))


@router.post("/journeys/from-template", response_model=JourneyOut, status_code=201)
def create_from_template(body: JourneyFromTemplate, uow: Uow, actor: CurrentActor) -> JourneyOut:
    return JourneyOut.of(journeys.create_from_template(uow, actor, body.template, name=body.name, tag_id=body.tag_id,
                                                       stage_id=body.stage_id))


@router.get("/journeys/{journey_id}", response_model=JourneyOut)
def get_journey(journey_id: int, uow: Uow, actor: CurrentActor) -> JourneyOut:
    return JourneyOut.of(journeys.get_journey(uow, actor, journey_id))


@router.put("/journeys/{journey_id}", response_model=JourneyOut)
def update_journey(journey_id: int, body: JourneyUpdate, uow: Uow, actor: CurrentActor) -> JourneyOut:
    return JourneyOut.of(journeys.update_journey(uow, actor, journey_id, name=body.name, definition=body.definition))


@router.delete("/journeys/{journey_id}", status_code=204)
def delete_journey(journey_id: int, uow: Uow, actor: CurrentActor) -> None:
    journeys.delete_journey(uow, actor, journey_id)


@router.post("/journeys/{journey_id}/start", response_model=JourneyOut)
def start_journey(journey_id: int, uow: Uow, actor: CurrentActor) -> JourneyOut:
    return JourneyOut.of(journeys.start_journey(uow, actor, journey_id))


@router.post("/journeys/{journey_id}/pause", response_model=JourneyOut)
def pause_journey(journey_id: int, uow: Uow, actor: CurrentActor) -> JourneyOut:
    return JourneyOut.of(journeys.pause_journey(uow, actor, journey_id))


@router.post("/journeys/{journey_id}/resume", response_model=JourneyOut)
def resume_journey(journey_id: int, uow: Uow, actor: CurrentActor) -> JourneyOut:
    return JourneyOut.of(journeys.resume_journey(uow, actor, journey_id))


@router.post("/journeys/{journey_id}/stop", response_model=JourneyOut)
def stop_journey(journey_id: int, uow: Uow, actor: CurrentActor) -> JourneyOut:
    return JourneyOut.of(journeys.stop_journey(uow, actor, journey_id))


@router.get("/journeys/{journey_id}/steps", response_model=list[StepStatsOut])
def journey_steps(journey_id: int, uow: Uow, actor: CurrentActor) -> list[StepStatsOut]:
    return [StepStatsOut.of(s) for s in journeys.step_stats(uow, actor, journey_id)]
