"""``make run``: every service in one process on one port, with the demo data."""

from __future__ import annotations

import uvicorn
from cascade_portal.routes import ROUTERS as PORTAL_SCREENS
from cascade_shared.chassis.app import create_app
from cascade_shared.chassis.registry import all_services
from cascade_shared.logs import configure_logging
from cascade_shared.settings import Settings
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

BANNER = """
Cascade is running (embedded mode: one process, SQLite files in {data}, in-process bus).

  Portal:     {base}/portal/   (open it in a browser and sign in as a demo user)
  API docs:   {base}/docs
  Results:    {base}/portal/ as approver.hue (the city's dashboard) or drafter.huong-an
              (this month's progress report); four Huế wards have reported since July 2026.
  Get a token for a demo user (dev only), e.g. the drafter of Phường Hương An:
    curl -s -X POST {base}/api/auth/dev-token -H 'Content-Type: application/json' \\
         -d '{{"username": "drafter.huong-an"}}'
  Then send it as:  -H "Authorization: Bearer <access_token>"
  The README walks through the whole story with curl. Stop with Ctrl+C.
"""


def embedded_defaults(settings: Settings) -> Settings:
    """What embedded mode changes in the defaults: the demo directory, users and programs are
    seeded (``CASCADE_SEED_DEMO``, off elsewhere) unless the setting says otherwise."""
    if "seed_demo" not in settings.model_fields_set:
        settings.seed_demo = True
    return settings


def build_app(settings: Settings | None = None) -> FastAPI:
    settings = embedded_defaults(settings or Settings())
    app = create_app(all_services(), settings, migrate=True, title="Cascade (embedded)")
    for screens in PORTAL_SCREENS:  # they call the APIs of this same app in-process
        app.include_router(screens)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/portal/")

    return app


def main() -> None:
    settings = embedded_defaults(Settings())
    if "demo_history" not in settings.model_fields_set:
        # The demo: Huế's wards with plans in force and months of progress reports.
        settings.demo_history = settings.seed_demo
    configure_logging(settings.log_level, settings.log_format)
    app = build_app(settings)
    base = f"http://{settings.host}:{settings.port}"
    print(BANNER.format(base=base, data=settings.data_dir.resolve()), flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
