"""The notifications service as the runtime sees it."""

from pathlib import Path

from cascade_shared.chassis.service import ServiceDefinition, ServiceRuntime

from cascade_notifications.api.routes import announcements as announcement_routes
from cascade_notifications.api.routes import emails as email_routes
from cascade_notifications.api.routes import inbox as inbox_routes
from cascade_notifications.api.routes import preferences as preference_routes
from cascade_notifications.api.routes import webhooks as webhook_routes
from cascade_notifications.handlers import HANDLERS
from cascade_notifications.models import inbox, metadata, outbox
from cascade_notifications.store import settings_of, signals_of
from cascade_notifications.workers import WORKERS


async def on_start(runtime: ServiceRuntime) -> None:
    """Read the service's own settings and make its in-process wake-ups."""
    settings_of(runtime)
    signals_of(runtime)


SERVICE = ServiceDefinition(
    name="notifications",
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    migrations=Path(__file__).parent / "migrations",
    routers=[
        preference_routes.router,
        webhook_routes.router,
        email_routes.router,
        announcement_routes.router,
        inbox_routes.router,
    ],
    handlers=HANDLERS,
    on_start=on_start,
    workers=WORKERS,
    default_port=8003,
)
