"""The API's routers, each under /api/v1, included straight into the app by :mod:`siyu.app`.

(Straight, not nested: FastAPI resolves nested routers lazily, and the request's route would
then carry only the inner path template, which metrics and logs need whole.)
"""

from __future__ import annotations

from fastapi import APIRouter

from siyu.api.routes import (
    accounts, acquisition, alerts, analytics, channels, contact_pressure, customer_settings, customers, guide_tasks, imports, journeys, mass_sends, order_imports, orders,
    organisation, segments, transfers, wecom, wecom_callbacks, wecom_sync,
)
from siyu.api.routes import add_friend, experiments, group_codes, moments

# imports before customers: its /customers/export must match before /customers/{customer_id}
ROUTERS: tuple[APIRouter, ...] = (
    organisation.router, accounts.router, imports.router, customers.router, customer_settings.router, channels.router, orders.router,
    order_imports.router, analytics.router, segments.router,
    wecom.router, acquisition.router, wecom_sync.router, alerts.router, transfers.router, contact_pressure.router, mass_sends.router,
    guide_tasks.router, journeys.router, experiments.router, moments.router, add_friend.router,
    group_codes.router,
    wecom_callbacks.router,  # /callbacks/wecom/{tenant}: outside /api/v1 and the OpenAPI document
)
