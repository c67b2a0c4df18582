"""The audit service as the runtime sees it."""

from pathlib import Path

from cascade_shared.service import ServiceDefinition

from cascade_audit.api.routes import records
from cascade_audit.handlers import HANDLERS
from cascade_audit.models import inbox, metadata, outbox

SERVICE = ServiceDefinition(
    name="audit",
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    migrations=Path(__file__).parent / "migrations",
    routers=[records.router],
    handlers=HANDLERS,
    default_port=8004,
)
