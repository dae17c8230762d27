"""Deletion alerts (the console's bell): list, unread count, mark read, counts per day, threshold."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.schemas import Out, PageOut, page_out
from siyu.domain.alerts import AlertCount
from siyu.services import alerts

router = APIRouter(prefix="/api/v1")


class AlertOut(Out):
    id: int
    kind: str = Field(description="deleted_by_customer, deleted_by_staff, mass_deletion, task_overdue (data: task_id, title, due_at)")
    store_id: int | None
    staff_id: int
    staff_name: str
    customer_id: int | None
    customer_name: str | None
    channel_state: str | None
    day: date
    occurred_at: datetime
    data: dict[str, object]
    read: bool


class AlertPage(PageOut[AlertOut]):
    pass


class AlertsRead(BaseModel):
    alert_ids: list[int] | None = Field(default=None, max_length=200, description="Leave out to mark every alert read")


class AlertsReadOut(BaseModel):
    marked: int
    unread: int


class UnreadOut(BaseModel):
    unread: int


class AlertCountOut(Out):
    day: date
    kind: str
    key: str
    label: str
    count: int


class AlertCountsOut(BaseModel):
    by_staff: list[AlertCountOut]
    by_channel: list[AlertCountOut]


class AlertSettingsOut(BaseModel):
    mass_deletion_threshold: int = Field(description="An extra alert when one staff member deletes more customers than this in a day")


class AlertSettingsUpdate(BaseModel):
    mass_deletion_threshold: int = Field(ge=1, le=10_000)


def _count(c: AlertCount) -> AlertCountOut:
    return AlertCountOut(day=c.day, kind=c.kind.value, key=c.key, label=c.label, count=c.count)


@router.get("/alerts", response_model=AlertPage, tags=["alerts"])
def list_alerts(uow: Uow, actor: CurrentActor, paging: Paging, unread: bool = False) -> AlertPage:
    """Alerts in the actor's scope, newest first (a store manager: their store's)."""
    return page_out(AlertPage, alerts.list_alerts(uow, actor, paging, unread_only=unread))


@router.get("/alerts/unread", response_model=UnreadOut, tags=["alerts"])
def unread_alerts(uow: Uow, actor: CurrentActor) -> UnreadOut:
    return UnreadOut(unread=alerts.unread_count(uow, actor))


@router.post("/alerts/read", response_model=AlertsReadOut, tags=["alerts"])
def read_alerts(body: AlertsRead, uow: Uow, actor: CurrentActor) -> AlertsReadOut:
    marked = alerts.mark_read(uow, actor, body.alert_ids)
    return AlertsReadOut(marked=marked, unread=alerts.unread_count(uow, actor))


@router.get("/alerts/counts", response_model=AlertCountsOut, tags=["alerts"])
def alert_counts(uow: Uow, actor: CurrentActor, since: Annotated[date | None, Query()] = None,
                 until: Annotated[date | None, Query()] = None) -> AlertCountsOut:
    """Deletions per day, per staff member and per channel (default: the last 7 days, at most 92)."""
    by_staff, by_channel = alerts.counts(uow, actor, since=since, until=until)
    return AlertCountsOut(by_staff=[_count(c) for c in by_staff], by_channel=[_count(c) for c in by_channel])


@router.get("/alerts/settings", response_model=AlertSettingsOut, tags=["alerts"])
def get_alert_settings(uow: Uow, actor: CurrentActor) -> AlertSettingsOut:
    return AlertSettingsOut(mass_deletion_threshold=alerts.get_threshold(uow, actor))


@router.put("/alerts/settings", response_model=AlertSettingsOut, tags=["alerts"])
def save_alert_settings(body: AlertSettingsUpdate, uow: Uow, actor: CurrentActor) -> AlertSettingsOut:
    return AlertSettingsOut(mass_deletion_threshold=alerts.set_threshold(uow, actor, body.mass_deletion_threshold))
