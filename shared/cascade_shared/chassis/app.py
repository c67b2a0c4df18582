"""Assemble one or more services into a FastAPI application with their runtimes.

Distributed mode builds one app per process (one service); embedded mode builds one app that
holds every service, each with its own SQLite database, over the in-process bus. Either way the
routes sit under the same ``/api/<service>`` prefixes, so clients see one base URL.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cascade_shared import __version__, tracing
from cascade_shared.auth import TokenVerifier, dev_secret
from cascade_shared.bus import EventBus, make_bus
from cascade_shared.chassis.dead_letters import dead_letters_router
from cascade_shared.chassis.guards import RequestGuard
from cascade_shared.chassis.health import health_router
from cascade_shared.chassis.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from cascade_shared.chassis.migrations import upgrade
from cascade_shared.chassis.outbox_listing import published_router
from cascade_shared.chassis.registry import load_service, subscriptions
from cascade_shared.chassis.service import ServiceDefinition, ServiceRuntime
from cascade_shared.logs import CorrelationIdMiddleware, configure_logging
from cascade_shared.outages import install_outage_handlers
from cascade_shared.problems import install_problem_handlers
from cascade_shared.settings import Settings

log = logging.getLogger(__name__)


def create_app(
    definitions: Sequence[ServiceDefinition],
    settings: Settings,
    *,
    bus: EventBus | None = None,
    migrate: bool = False,
    title: str = "Cascade",
) -> FastAPI:
    """An app serving ``definitions``. ``migrate`` upgrades each database first (embedded).
    When tracing is configured (:mod:`cascade_shared.tracing`), it is set up for the process
    and every request of the app is traced."""
    single = definitions[0].name if len(definitions) == 1 else None
    tracing.configure(settings, single or "embedded")
    the_bus = bus or make_bus(settings)
    metrics = Metrics()
    secret = dev_secret(settings) if (settings.dev_tokens and not settings.jwks_url) else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtimes: dict[str, ServiceRuntime] = {}
        app.state.runtimes = runtimes
        app.state.bus = the_bus
        for definition in definitions:
            runtime = ServiceRuntime(definition, settings, the_bus, metrics)
            if migrate:
                await upgrade(definition, runtime.database_url)
            runtimes[definition.name] = runtime
        await the_bus.start()
        await the_bus.declare(subscriptions())
        try:
            for runtime in runtimes.values():
                await runtime.start()
            log.info("started %s", ", ".join(runtimes))
            yield
        finally:
            for runtime in runtimes.values():
                await runtime.stop_workers()
                await runtime.relay.stop()
            await the_bus.close()
            for runtime in runtimes.values():
                await runtime.stop()
            tracing.flush()

    app = FastAPI(
        title=f"Cascade {single}" if single else title,
        version=__version__,
        lifespan=lifespan,
        docs_url=f"/api/{single}/docs" if single else "/docs",
        openapi_url=f"/api/{single}/openapi.json" if single else "/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.token_verifier = TokenVerifier(settings, secret)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(CorrelationIdMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    # For Prometheus, on each process's own port (the gateway does not route it).
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    install_problem_handlers(app)
    install_outage_handlers(app)
    tracing.instrument_app(app)
    for definition in definitions:
        # Before the service's own routes, so /api/plans/health is not taken for a plan id.
        app.include_router(health_router(definition.name))
        app.include_router(published_router(definition.name))  # audit reconciliation
        if definition.handlers:  # it consumes, so it can park
            app.include_router(dead_letters_router(definition.name))
        for router in definition.routers:
            app.include_router(router)
    return app


def serve(name: str) -> None:
    """Console entry point of one service in distributed mode."""
    import uvicorn

    definition = load_service(name)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    port = settings.port if "port" in settings.model_fields_set else definition.default_port
    app = create_app([definition], settings)
    try:
        uvicorn.run(app, host=settings.host, port=port, log_config=None, access_log=False)
    finally:
        tracing.shutdown()  # the spans still buffered go out
