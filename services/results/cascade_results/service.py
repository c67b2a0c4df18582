"""The results service as the runtime sees it."""

from __future__ import annotations

import json
from pathlib import Path

from cascade_shared.chassis.service import ServiceDefinition, ServiceRuntime
from cascade_shared.db import serialize
from sqlmodel import select

from cascade_results.api.routes import policy, reports, standing
from cascade_results.demo import demo_history
from cascade_results.domain.periods import policy_from_dict
from cascade_results.handlers import HANDLERS
from cascade_results.models import ReportingPolicyRow, inbox, metadata, outbox
from cascade_results.workers import chaser

POLICY_FILE = Path(__file__).parent / "policy.json"


async def on_start(runtime: ServiceRuntime) -> None:
    """Install the shipped reporting policy the first time the service starts."""
    body = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
    policy_from_dict(body)
    async with runtime.sessionmaker() as session, session.begin():
        await serialize(session, "cascade-results:policy")  # replicas starting at once
        if (await session.exec(select(ReportingPolicyRow).limit(1))).first() is None:
            session.add(
                ReportingPolicyRow(version=str(body["version"]), body=body, source="policy.json")
            )


SERVICE = ServiceDefinition(
    name="results",
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    migrations=Path(__file__).parent / "migrations",
    routers=[reports.router, standing.router, policy.router],
    handlers=HANDLERS,
    on_start=on_start,
    workers=[chaser, demo_history],
    default_port=8006,
)
