"""``cascade-portal``: the portal alone (distributed mode), calling the APIs through the gateway
at ``CASCADE_PORTAL_API_URL``."""

from __future__ import annotations

import uvicorn
from cascade_shared import tracing
from cascade_shared.settings import Settings
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from cascade_portal.routes import ROUTERS
from cascade_portal.settings import PortalSettings


def build_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    app = FastAPI(title="Cascade portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal_settings = settings
    for screens in ROUTERS:
        app.include_router(screens)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/portal/")

    # /api/portal/health/ready is what the service image's HEALTHCHECK asks every service. The
    # portal keeps no state of its own: it is ready as soon as it answers.
    @app.get("/portal/health", include_in_schema=False)
    @app.get("/api/portal/health", include_in_schema=False)
    @app.get("/api/portal/health/ready", include_in_schema=False)
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/api/portal/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "live"}

    # Each page's request continues or starts a trace, and its calls to the APIs carry it
    # (when tracing is configured: CASCADE_OTEL_ENABLED or OTEL_EXPORTER_OTLP_ENDPOINT).
    tracing.instrument_app(app)
    return app


def main() -> None:
    settings = PortalSettings()
    if not settings.api_url:
        raise SystemExit("set CASCADE_PORTAL_API_URL to the gateway's base URL")
    print(
        f"Cascade portal at http://{settings.host}:{settings.port}/portal/ (APIs at "
        f"{settings.api_url})",
        flush=True,
    )
    tracing.configure(Settings(), "portal")
    try:
        uvicorn.run(build_app(settings), host=settings.host, port=settings.port, log_config=None)
    finally:
        tracing.shutdown()
