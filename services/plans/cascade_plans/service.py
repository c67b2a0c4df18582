"""The plans service as the runtime sees it."""

from pathlib import Path

from cascade_shared.chassis.service import ServiceDefinition

from cascade_plans.api.routes import directory, lifecycle, plans, tables, terms
from cascade_plans.cascade import revision_chaser
from cascade_plans.handlers import HANDLERS
from cascade_plans.models import inbox, metadata, outbox
from cascade_plans.seed import on_start

SERVICE = ServiceDefinition(
    name="plans",
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    migrations=Path(__file__).parent / "migrations",
    routers=[
        plans.router,
        terms.router,
        lifecycle.router,
        tables.router,
        directory.router,
        directory.auth_router,
    ],
    handlers=HANDLERS,
    workers=[revision_chaser],
    on_start=on_start,
    default_port=8001,
)
