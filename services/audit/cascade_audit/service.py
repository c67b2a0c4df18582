"""The audit service as the runtime sees it."""

from pathlib import Path

from cascade_shared.chassis.service import ServiceDefinition, ServiceRuntime

from cascade_audit.api.routes import checkpoints, operations, records
from cascade_audit.handlers import HANDLERS
from cascade_audit.models import inbox, metadata, outbox
from cascade_audit.sealing import checkpoint_sealer, private_key


async def _start(runtime: ServiceRuntime) -> None:
    """Read the settings and the signing key now, so a missing key stops the start."""
    private_key(runtime)


SERVICE = ServiceDefinition(
    name="audit",
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    migrations=Path(__file__).parent / "migrations",
    routers=[records.router, checkpoints.router, operations.router],
    handlers=HANDLERS,
    on_start=_start,
    workers=[checkpoint_sealer],
    default_port=8004,
    # Every event appends to one chain, so appends serialize on its head row anyway: events
    # that arrive together are chained in one transaction.
    batch_limit=100,
)
