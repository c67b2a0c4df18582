"""Liveness and readiness of each service, under its own prefix.

- ``GET /api/<service>/health/live``: the process runs and answers (restart it if not).
- ``GET /api/<service>/health/ready``: it can do its work now: its database answers and is
  migrated to the newest revision this release knows, the broker is connected, and the outbox
  relay has finished a pass recently. 200 with each check, or 503 (problem+json, Retry-After)
  naming the checks that failed: a load balancer sends it no traffic until it is ready again.
- ``GET /api/<service>/health``: the same as ``ready`` (what the image's health check asks).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

from cascade_shared.chassis.migrations import migration_heads
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.outages import unavailable_response

CHECK_TIMEOUT_SECONDS = 2.0
OK = "ok"


async def database_check(runtime: ServiceRuntime) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            async with runtime.engine.connect() as conn:
                result = await conn.execute(text("SELECT version_num FROM alembic_version"))
                versions = set(result.scalars().all())
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # unreachable, refused, not migrated at all
        return f"unavailable: {type(exc).__name__}"
    heads = migration_heads(runtime.definition.migrations)
    if versions != heads:
        return (
            f"migrations at {', '.join(sorted(versions)) or 'none'}, "
            f"this release needs {', '.join(sorted(heads))}"
        )
    return OK


def relay_check(runtime: ServiceRuntime) -> str:
    relay = runtime.relay
    if not relay.running:
        return "stopped"
    idle = relay.stuck_for()
    if idle > runtime.settings.relay_stuck_seconds:
        return f"no pass for {idle:.0f} s"
    return OK


async def readiness(runtime: ServiceRuntime) -> dict[str, str]:
    return {
        "database": await database_check(runtime),
        "broker": OK if runtime.bus.connected else "disconnected",
        "relay": relay_check(runtime),
    }


def health_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/api/{service}/health", tags=["health"])

    @router.get("/live", summary=f"Liveness of {service}")
    async def live() -> dict[str, str]:
        """200 while the process runs and answers."""
        return {"status": "live"}

    async def ready(request: Request) -> Any:
        """200 when the database answers at the newest migration, the broker is connected and
        the outbox relay is moving; 503 naming the failed checks otherwise."""
        runtime: ServiceRuntime = request.app.state.runtimes[service]
        checks = await readiness(runtime)
        failed = sorted(name for name, outcome in checks.items() if outcome != OK)
        if not failed:
            return {"status": "ready", "checks": checks}
        detail = f"{service} is not ready: " + "; ".join(f"{n} {checks[n]}" for n in failed)
        return unavailable_response(request, detail, checks=checks)

    router.add_api_route("/ready", ready, methods=["GET"], summary=f"Readiness of {service}")
    router.add_api_route("", ready, methods=["GET"], summary=f"Readiness of {service} (alias)")
    return router
