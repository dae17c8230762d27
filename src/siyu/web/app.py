"""The console: mounted on the main app next to the API by :func:`siyu.app.create_app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from siyu.bootstrap import Context
from siyu.domain.errors import NotFound
from siyu.web import errors, material_files
from siyu.web.console import Console
from siyu.web.csrf import verify_csrf
from siyu.web.routes import (
    add_friend,
    analytics,
    analytics_more,
    auth,
    channels,
    contact_pressure,
    contact_ways,
    customer,
    customer_tags,
    customers,
    duplicates,
    experiments,
    fields,
    group_codes,
    guide_tasks,
    home,
    imports,
    journey_editor,
    journeys,
    locale,
    mass_sends,
    materials,
    member_levels,
    moments,
    notifications,
    order_imports,
    orders,
    regions,
    segments,
    staff,
    stages,
    stores,
    tokens,
    transfers,
    wecom,
    wecom_sign_in,
    welcome_messages,
)

STATIC_DIR = Path(__file__).parent / "static"
# Every console route lives in one of these; the console tenancy test walks them all.
ROUTE_MODULES = (auth, locale, home, customers, customer, customer_tags, stages, fields, duplicates, imports,
                 stores, regions, staff, tokens, orders, order_imports, channels, wecom, contact_ways, materials, welcome_messages, analytics,
                 analytics_more, notifications, transfers, contact_pressure, member_levels, mass_sends,
                 guide_tasks, journey_editor, journeys, experiments, moments, segments, wecom_sign_in, add_friend,
                 group_codes)


def mount_console(app: FastAPI, context: Context) -> None:
    app.state.console = Console.build(context)
    # CSRF is checked for the whole console router, so no POST route can leave it out.
    console = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
    for module in ROUTE_MODULES:
        console.include_router(module.router)
    app.include_router(console)
    app.include_router(material_files.router)  # public, like /static: WeCom and the worker fetch the files
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(StarletteHTTPException, _unknown_page)


async def _unknown_page(request: Request, exc: Exception) -> Response:
    """A styled 404 for a person's browser; the API and machines keep FastAPI's JSON."""
    assert isinstance(exc, StarletteHTTPException)
    wants_page = "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")
    if exc.status_code == 404 and wants_page:
        return errors.render(request, NotFound("page.not_found", "no such page"))
    return await http_exception_handler(request, exc)
