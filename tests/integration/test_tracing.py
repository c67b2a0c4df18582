"""W3C trace context from an HTTP request, through the outbox and the real RabbitMQ, to the
consumer that handles the event it recorded: one trace (:mod:`cascade_shared.tracing`).

Two apps of the shared chassis (``create_app``), as two services' processes would be: a producer
named plans, whose route calls another server over httpx and records ``plan.created`` in its
outbox, and a consumer named audit, which handles it. The spans go to an in-memory exporter.
Without configuration, the same path carries no trace context at all and nothing is set up.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
import sqlalchemy as sa
from cascade_shared import logs, tracing
from cascade_shared.chassis.app import create_app
from cascade_shared.chassis.service import HandlerContext, ServiceDefinition, runtime_of
from cascade_shared.envelope import Envelope
from cascade_shared.events import PlanCreated
from cascade_shared.inbox import inbox_table
from cascade_shared.outbox import outbox_table
from cascade_shared.settings import Settings
from fastapi import APIRouter, Request
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests import infra

EVENT = "plan.created"  # produced by plans; audit consumes every event type
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"  # the caller's (a gateway, a client) span

OTEL_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "CASCADE_OTEL_ENABLED",
)


@pytest.fixture(autouse=True)
def _no_otel_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test says itself whether it traces; tracing is off again after it."""
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield
    tracing.shutdown()


@dataclass
class Listener:
    """A plain HTTP server that answers 204 and keeps the headers of each request."""

    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)
    bodies: list[tuple[str, str, bytes]] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    seen = Listener()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen.requests.append({k.lower(): v for k, v in self.headers.items()})
            seen.bodies.append((self.path, self.headers.get("Content-Type", ""), body))
            self.send_response(204 if self.command == "GET" else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _answer

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    seen.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def _producer(listener: Listener) -> ServiceDefinition:
    metadata = sa.MetaData()
    router = APIRouter(prefix="/api/plans")

    @router.post("/traced")
    async def record(request: Request) -> dict[str, str]:
        """Call another service over httpx, then record an event, as a real route may."""
        runtime = runtime_of(request, "plans")
        async with httpx.AsyncClient() as client:
            (await client.get(f"{listener.url}/api/elsewhere")).raise_for_status()
        async with runtime.sessionmaker() as session, session.begin():
            created = PlanCreated(
                plan_id="p-1",
                version=1,
                unit="vn.hue",
                unit_level="city",
                title="Kế hoạch (truy vết)",
                drafter="drafter.test",
            )
            envelope = runtime.event(created, actor="drafter.test")
            runtime.record(session, envelope)
        return {"event_id": str(envelope.id)}

    return ServiceDefinition(
        name="plans",
        metadata=metadata,
        outbox=outbox_table(metadata),
        inbox=inbox_table(metadata),
        migrations=Path("unused"),
        routers=[router],
    )


def _consumer(handled: asyncio.Queue[Envelope]) -> ServiceDefinition:
    metadata = sa.MetaData()

    async def on_plan_created(_ctx: HandlerContext, envelope: Envelope) -> None:
        handled.put_nowait(envelope)

    return ServiceDefinition(
        name="audit",
        metadata=metadata,
        outbox=outbox_table(metadata),
        inbox=inbox_table(metadata),
        migrations=Path("unused"),
        handlers={EVENT: on_plan_created},
    )


@dataclass
class Run:
    event_id: str
    handled: Envelope
    message_headers: dict[str, Any]
    stored: dict[str, Any]
    """The outbox row's envelope JSON, as the producer recorded it."""


async def _request_to_handled_event(
    tmp_path: Path, namespace: str, listener: Listener, settings: Settings
) -> Run:
    """One request to the producer; waits until the consumer has handled its event."""
    handled: asyncio.Queue[Envelope] = asyncio.Queue()
    producer, consumer = _producer(listener), _consumer(handled)
    for definition in (producer, consumer):
        engine = sa.create_engine(f"sqlite:///{tmp_path / definition.name}.sqlite3")
        definition.metadata.create_all(engine)
        engine.dispose()
    connection = await aio_pika.connect(infra.AMQP_URL)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(connection.close)
        apps = [
            create_app([producer], settings.model_copy(update={"service": "plans"})),
            create_app([consumer], settings.model_copy(update={"service": "audit"})),
        ]
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        # A spy on the exchange: the message as the broker carries it.
        channel = await connection.channel()
        spy = await channel.declare_queue(exclusive=True)
        await spy.bind(f"{namespace}.events", routing_key=EVENT)
        transport = httpx.ASGITransport(app=apps[0])
        async with httpx.AsyncClient(transport=transport, base_url="http://plans") as client:
            response = await client.post("/api/plans/traced", headers={"traceparent": TRACEPARENT})
        assert response.status_code == 200, response.text
        event_id = response.json()["event_id"]
        envelope = await asyncio.wait_for(handled.get(), timeout=30)
        message = await spy.get(timeout=10)
        await message.ack()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plans'}.sqlite3")
    with engine.connect() as conn:
        table = producer.outbox
        stored = conn.execute(sa.select(table.c.envelope)).scalar_one()
    engine.dispose()
    return Run(event_id, envelope, dict(message.headers or {}), dict(stored))


def _settings(tmp_path: Path, namespace: str, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path,
        bus="rabbitmq",
        amqp_url=infra.AMQP_URL,
        namespace=namespace,
        relay_poll_interval=0.2,
        workers=False,
        dev_tokens=False,
        jwt_secret="tracing-test-secret-of-at-least-32-bytes",
        **extra,
    )


def _hex(span_id: int) -> str:
    return format(span_id, "016x")


async def _finished(exporter: InMemorySpanExporter, kind: SpanKind) -> ReadableSpan:
    """The one finished span of ``kind`` (a consumer span ends once its delivery is acked)."""
    for _ in range(100):
        spans = [s for s in exporter.get_finished_spans() if s.kind == kind]
        if spans:
            assert len(spans) == 1, spans
            return spans[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} span: {exporter.get_finished_spans()}")


async def test_one_trace_from_the_request_through_the_broker_to_the_handled_event(
    tmp_path: Path, namespace: str, listener: Listener
) -> None:
    exporter = InMemorySpanExporter()
    assert tracing.configure(_settings(tmp_path, namespace), "test", exporter=exporter)

    run = await _request_to_handled_event(
        tmp_path, namespace, listener, _settings(tmp_path, namespace)
    )

    server = await _finished(exporter, SpanKind.SERVER)
    client = await _finished(exporter, SpanKind.CLIENT)
    producer = await _finished(exporter, SpanKind.PRODUCER)
    consumer = await _finished(exporter, SpanKind.CONSUMER)
    spans = (server, client, producer, consumer)
    # One trace: the caller's, continued by the request, its httpx call, the publish (from the
    # relay's task, later) and the handling (in another app, after the broker).
    assert {format(s.context.trace_id, "032x") for s in spans} == {TRACE_ID}
    assert server.parent is not None and _hex(server.parent.span_id) == CALLER_SPAN
    assert server.parent.is_remote
    assert client.parent is not None and client.parent.span_id == server.context.span_id
    assert producer.parent is not None and producer.parent.span_id == server.context.span_id
    assert consumer.parent is not None and consumer.parent.span_id == producer.context.span_id
    assert consumer.parent.is_remote  # it came in the message, not from this task's context
    assert (producer.name, consumer.name) == (f"publish {EVENT}", f"process {EVENT}")
    for span in (producer, consumer):
        attributes = span.attributes or {}
        assert attributes["messaging.message.id"] == run.event_id
        assert attributes["messaging.destination.name"] == f"{namespace}.events"
    assert (consumer.attributes or {})["messaging.consumer.group.name"] == "audit"

    # The httpx call carried the trace to the other server.
    (called,) = listener.requests
    assert called["traceparent"] == f"00-{TRACE_ID}-{_hex(client.context.span_id)}-01"
    # The outbox row kept the request's context beside the envelope; the message carries the
    # producer span's; the envelope itself is as ever.
    assert run.stored[tracing.HEADERS_KEY]["traceparent"] == (
        f"00-{TRACE_ID}-{_hex(server.context.span_id)}-01"
    )
    assert run.message_headers["traceparent"] == (
        f"00-{TRACE_ID}-{_hex(producer.context.span_id)}-01"
    )
    assert str(run.handled.id) == run.event_id
    assert tracing.HEADERS_KEY not in run.handled.model_dump()


async def test_unconfigured_nothing_is_set_up_and_no_trace_context_travels(
    tmp_path: Path, namespace: str, listener: Listener
) -> None:
    settings = _settings(tmp_path, namespace)
    assert not tracing.wanted(settings)

    run = await _request_to_handled_event(tmp_path, namespace, listener, settings)

    assert not tracing.enabled()
    # No instrumentation was installed: httpx's transport is httpx's own.
    assert not hasattr(httpx.AsyncHTTPTransport.handle_async_request, "__wrapped__")
    (called,) = listener.requests
    assert "traceparent" not in called
    assert tracing.HEADERS_KEY not in run.stored
    assert not {"traceparent", "tracestate"} & set(run.message_headers)
    assert str(run.handled.id) == run.event_id


def test_what_turns_tracing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not tracing.wanted(Settings())
    assert tracing.wanted(Settings(otel_enabled=True))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing.wanted(Settings())
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")  # the SDK's own off switch wins
    assert not tracing.wanted(Settings(otel_enabled=True))


def test_spans_are_exported_over_otlp_to_the_configured_collector(
    monkeypatch: pytest.MonkeyPatch, listener: Listener
) -> None:
    """OTEL_EXPORTER_OTLP_ENDPOINT alone turns tracing on and points it at the collector."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", listener.url)
    assert tracing.configure(Settings(), "plans")
    with tracing.tracer().start_as_current_span("submit plan") as span:
        assert tracing.current_headers()["traceparent"].startswith("00-")
        # Each log line written meanwhile names the trace and the span.
        line = logs._add_trace_ids(None, "info", {"event": "plan submitted"})
        assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
        assert line["span_id"] == format(span.get_span_context().span_id, "016x")
    tracing.shutdown()  # flushes the batch
    (path, content_type, body), *_ = listener.bodies
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    assert b"submit plan" in body and b"cascade-plans" in body  # the span, service.name
    assert not tracing.enabled() and tracing.current_headers() == {}
    assert "trace_id" not in logs._add_trace_ids(None, "info", {"event": "no span"})


async def test_the_portal_continues_the_callers_trace() -> None:
    """A page of the portal is a server span in the caller's trace (the portal's own calls to
    the APIs then carry it, as any httpx client of a tracing process does)."""
    from cascade_portal.main import build_app
    from cascade_portal.settings import PortalSettings

    exporter = InMemorySpanExporter()
    assert tracing.configure(Settings(), "portal", exporter=exporter)
    app = build_app(PortalSettings(api_url="http://127.0.0.1:9"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        r = await client.get("/", headers={"traceparent": TRACEPARENT})
    assert r.status_code == 307
    [span] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert span.context is not None and format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None and format(span.parent.span_id, "016x") == CALLER_SPAN
