"""The ASGI application: API, console, health and metrics on one server."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path
from sqlalchemy import text

from siyu import __version__
from siyu.adapters.db.engine import READ_ONLY
from siyu.api import errors as api_errors
from siyu.api.app import ROUTERS
from siyu.bootstrap import Context
from siyu.domain.errors import DomainError
from siyu.observability import Metrics, configure_logging, request_middleware
from siyu.services.clock import utcnow
from siyu.tasks import last_heartbeat
from siyu.web import errors as web_errors
from siyu.web.app import mount_console

WORKER_STALE_AFTER = timedelta(minutes=3)


def create_app(context: Context) -> FastAPI:
    configure_logging(context.settings)
    app = FastAPI(
        title="Siyu (私域) API",
        version=__version__,
        description="Private-domain operations for WeCom brands. Authenticate with an API token: "
        "`Authorization: Bearer <token>`; every object belongs to the token's tenant.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    metrics = Metrics()
    app.middleware("http")(request_middleware(metrics))

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        if request.url.path.startswith("/api/"):
            return api_errors.render(exc)
        return web_errors.render(request, exc)

    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            with context.engine.connect().execution_options(**{READ_ONLY: True}) as conn:  # waits on no writer
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
            checks["database"] = f"error: {type(exc).__name__}"
        beat = last_heartbeat(context)
        if beat is None:
            checks["worker"] = "no heartbeat yet"
        else:
            age = utcnow() - beat
            checks["worker"] = "ok" if age < WORKER_STALE_AFTER else f"stale: last seen {int(age.total_seconds())} s ago"
        ready = checks["database"] == "ok"
        return JSONResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503)

    _mount_docs(app)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return metrics.render()

    mount_console(app, context)
    return app


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle package: the docs work with no internet (no CDN)."""
    app.mount("/docs-static", StaticFiles(directory=swagger_ui_path), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Siyu API",
            swagger_js_url="/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/docs-static/swagger-ui.css",
            swagger_favicon_url="/docs-static/favicon-32x32.png",
        )
