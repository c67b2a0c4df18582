"""The approvals service as the runtime sees it."""

from pathlib import Path

from cascade_shared.chassis.service import ServiceDefinition, ServiceRuntime
from cascade_shared.db import serialize

from cascade_approvals.api.routes import cases, delegations, figures, policy, threads
from cascade_approvals.domain.policy import load_policy
from cascade_approvals.handlers import HANDLERS
from cascade_approvals.models import inbox, metadata, outbox
from cascade_approvals.store import install_policy, policy_count
from cascade_approvals.workers import deadline_scheduler

POLICY_FILE = Path(__file__).parent / "policy.json"


async def on_start(runtime: ServiceRuntime) -> None:
    """Install the shipped policy the first time the service starts on an empty database."""
    async with runtime.sessionmaker() as session, session.begin():
        await serialize(session, "cascade-approvals:policy")  # replicas starting at once
        if await policy_count(session) == 0:
            await install_policy(
                session, runtime, load_policy(POLICY_FILE), "policy.json", actor=None
            )


SERVICE = ServiceDefinition(
    name="approvals",
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    migrations=Path(__file__).parent / "migrations",
    routers=[
        cases.router,
        threads.router,
        delegations.router,
        policy.router,
        figures.router,
    ],
    handlers=HANDLERS,
    on_start=on_start,
    workers=[deadline_scheduler],
    default_port=8002,
)
