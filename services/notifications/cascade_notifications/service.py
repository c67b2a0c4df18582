"""The notifications service as the runtime sees it."""

from pathlib import Path

from cascade_shared.service import ServiceDefinition

from cascade_notifications.api.routes import inbox as inbox_routes
from cascade_notifications.handlers import HANDLERS
from cascade_notifications.models import inbox, metadata, outbox

SERVICE = ServiceDefinition(
    name="notifications",
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    migrations=Path(__file__).parent / "migrations",
    routers=[inbox_routes.router],
    handlers=HANDLERS,
    default_port=8003,
)
