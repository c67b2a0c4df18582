"""The approvals service as the runtime sees it."""

from pathlib import Path

from cascade_shared.service import ServiceDefinition, ServiceRuntime

from cascade_approvals.api.routes import cases
from cascade_approvals.domain.policy import load_policy
from cascade_approvals.handlers import HANDLERS
from cascade_approvals.models import inbox, metadata, outbox

POLICY_FILE = Path(__file__).parent / "policy.json"


async def on_start(runtime: ServiceRuntime) -> None:
    runtime.state["policy"] = load_policy(POLICY_FILE)


SERVICE = ServiceDefinition(
    name="approvals",
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    migrations=Path(__file__).parent / "migrations",
    routers=[cases.router],
    handlers=HANDLERS,
    on_start=on_start,
    default_port=8002,
)
