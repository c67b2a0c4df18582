"""What an operator watches, in Prometheus's format: ``GET /metrics`` on every service process.

- HTTP: requests by method, route template and status; latency by method and route.
- Events: deliveries handled by service, type and outcome (applied, repeat, failed); latency.
- Outbox: events published by the relay; pending events and the age of the oldest unpublished
  one (the first thing to alert on: it grows when the broker or the relay is stuck).
- Dead letters: messages parked per consuming service.

Counters and histograms are kept as things happen; the outbox and dead-letter figures are read
from the database and the broker when ``/metrics`` is asked, so they are never stale.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as render
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cascade_shared.envelope import utcnow

if TYPE_CHECKING:
    from cascade_shared.bus.base import EventBus
    from cascade_shared.chassis.service import ServiceRuntime

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
READ_TIMEOUT_SECONDS = 2.0


class Metrics(Collector):
    """One process's metrics, in a registry of its own (several apps may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "cascade_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "cascade_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events = Counter(
            "cascade_events_handled",
            "Event deliveries handled, by consuming service, event type and outcome",
            ["service", "type", "outcome"],
            registry=self.registry,
        )
        self.event_seconds = Histogram(
            "cascade_event_handling_seconds",
            "Time to apply an event delivery, by consuming service and event type",
            ["service", "type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._read: list[Any] = []
        self.registry.register(self)

    def collect(self) -> Iterator[Any]:
        yield from self._read

    def describe(self) -> Iterable[Any]:
        return []

    def event_handled(self, service: str, type_: str, outcome: str, seconds: float) -> None:
        self.events.labels(service, type_, outcome).inc()
        self.event_seconds.labels(service, type_).observe(seconds)

    async def read(self, runtimes: Mapping[str, ServiceRuntime], bus: EventBus) -> None:
        """Read the outbox and dead-letter figures of every service in this process."""
        published = CounterMetricFamily(
            "cascade_outbox_published", "Events the outbox relay published", labels=["service"]
        )
        pending = GaugeMetricFamily(
            "cascade_outbox_pending", "Events in the outbox not yet published", labels=["service"]
        )
        oldest = GaugeMetricFamily(
            "cascade_outbox_oldest_unpublished_seconds",
            "Age of the oldest event not yet published (0 when none)",
            labels=["service"],
        )
        parked = GaugeMetricFamily(
            "cascade_dead_letters",
            "Messages parked in the service's dead letters",
            labels=["service"],
        )
        for name, runtime in runtimes.items():
            published.add_metric([name], runtime.relay.published_total)
            try:
                async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                    count, age = await _outbox_backlog(runtime)
                pending.add_metric([name], count)
                oldest.add_metric([name], age)
            except Exception as exc:  # the database is away: say nothing rather than 0
                log.warning("metrics: could not read %s's outbox (%s)", name, exc)
            if runtime.definition.handlers:
                try:
                    async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                        parked.add_metric([name], await bus.dead_letter_count(name))
                except Exception as exc:
                    log.warning("metrics: could not count %s's dead letters (%s)", name, exc)
        self._read = [published, pending, oldest, parked]


async def _outbox_backlog(runtime: ServiceRuntime) -> tuple[int, float]:
    t = runtime.definition.outbox
    async with runtime.engine.connect() as conn:
        count, first = (
            await conn.execute(
                select(func.count(), func.min(t.c.occurred_at)).where(t.c.published_at.is_(None))
            )
        ).one()
    if first is None:
        return int(count), 0.0
    if first.tzinfo is None:  # SQLite hands back naive UTC
        first = first.replace(tzinfo=UTC)
    return int(count), max(0.0, (utcnow() - first).total_seconds())


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (never the raw path, whose
    ids would make a new series each)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.request_seconds.labels(method, route).observe(
                time.perf_counter() - started
            )


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    await metrics.read(request.app.state.runtimes, request.app.state.bus)
    return Response(render(metrics.registry), media_type=CONTENT_TYPE_LATEST)
