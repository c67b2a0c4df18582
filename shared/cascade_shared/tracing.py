"""W3C trace context across the services, with OpenTelemetry: off unless configured.

With ``CASCADE_OTEL_ENABLED=true``, or the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) set, each process sets up the OpenTelemetry SDK and
exports its spans over OTLP/HTTP to that collector (``http://localhost:4318`` when only
``CASCADE_OTEL_ENABLED`` is set); the SDK's own ``OTEL_*`` variables (service name, resource
attributes, sampler, headers) apply. Then:

- an HTTP request starts a trace, or continues the caller's (its ``traceparent`` header);
- every httpx call a service makes carries ``traceparent``;
- recording an event keeps the trace context of the request or event being handled beside the
  envelope in the outbox row (:data:`HEADERS_KEY`), since the relay publishes it later, from
  its own task;
- the relay publishes each event inside a producer span, child of that context, and puts the
  span's ``traceparent`` in the AMQP message's headers;
- the consumer handles each delivery inside a consumer span, child of the publisher's: the
  events an HTTP request causes, and the events their handlers emit, are one trace.

Without configuration nothing is set up: no SDK, no exporter, no instrumentation, no headers,
and every function here does nothing (``OTEL_SDK_DISABLED=true`` keeps it off whatever else
says). The log lines carry ``trace_id`` and ``span_id`` beside the correlation id when a span
is current (:mod:`cascade_shared.logs`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from cascade_shared.envelope import Envelope
from cascade_shared.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger(__name__)

HEADERS_KEY = "_headers"
"""Key of the outbox row's envelope JSON holding the headers to send with the event (the trace
context it was recorded in). Never an envelope field (those never start with ``_``), so
:class:`~cascade_shared.envelope.Envelope` ignores it and it is not part of what is sent."""

EXCLUDED_URLS = r"/metrics\b,/api/[a-z_-]+/health\b"
"""Requests not traced: Prometheus scrapes and health checks (every few seconds each)."""

_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


def wanted(settings: Settings) -> bool:
    """Whether this process is configured to trace."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return settings.otel_enabled or any(
        os.environ.get(name)
        for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def enabled() -> bool:
    """Whether tracing is set up in this process."""
    return _provider is not None


def configure(settings: Settings, service: str, exporter: SpanExporter | None = None) -> bool:
    """Set up tracing for this process, once, when configured to (or given an ``exporter``:
    tests pass an in-memory one, exported span by span). Returns whether tracing is on.

    The resource's ``service.name`` is ``cascade-<service>`` unless ``OTEL_SERVICE_NAME`` says
    otherwise. Every httpx client of the process then sends ``traceparent``."""
    global _provider
    if _provider is not None:
        return True
    if exporter is None and not wanted(settings):
        return False
    # Imported here: a process that does not trace never loads the SDK.
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    named = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: f"cascade-{service}"}
    provider = TracerProvider(resource=Resource.create(named))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    log.info("tracing on: spans of cascade-%s exported over OTLP", service)
    return True


def instrument_app(app: FastAPI) -> None:
    """Have ``app`` start or continue a trace for each request (when tracing is on)."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_provider,
        excluded_urls=EXCLUDED_URLS,
        exclude_spans=["receive", "send"],  # one span per request, not one per body chunk
    )


def flush() -> None:
    """Export the spans still buffered (a service stopping)."""
    if _provider is not None:
        _provider.force_flush()


def shutdown() -> None:
    """Flush and stop: tracing is off in this process afterwards."""
    global _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().uninstrument()
    _provider.shutdown()
    _provider = None


def tracer() -> trace.Tracer:
    """The tracer of Cascade's own spans (a no-op one while tracing is off)."""
    if _provider is None:
        return trace.NoOpTracer()
    return _provider.get_tracer("cascade")


def current_headers() -> dict[str, str]:
    """The trace context to send along (``traceparent``, ``tracestate``), or {} when tracing is
    off or no span is current: what :func:`cascade_shared.outbox.record_event` keeps."""
    if _provider is None:
        return {}
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


@contextmanager
def publishing(
    envelope: Envelope, exchange: str, recorded: Mapping[str, str] | None
) -> Iterator[dict[str, str]]:
    """A producer span for publishing ``envelope``, child of the context it was ``recorded``
    in; yields the headers that carry the span to the consumers ({} when tracing is off). A
    failed publish marks the span failed."""
    if _provider is None:
        yield {}
        return
    parent = _propagator.extract(dict(recorded or {}))
    with tracer().start_as_current_span(
        f"publish {envelope.type}",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes=_attributes(envelope, exchange) | {"messaging.operation.type": "send"},
    ):
        carrier: dict[str, str] = {}
        _propagator.inject(carrier)
        yield carrier


@contextmanager
def handling(
    envelope: Envelope, service: str, exchange: str, headers: Mapping[str, Any]
) -> Iterator[Span | None]:
    """A consumer span for ``service`` handling one delivery of ``envelope``, child of the
    publisher's span named by the message ``headers`` (a new trace when they name none). A
    handler that raises marks the span failed."""
    if _provider is None:
        yield None
        return
    carrier = {
        k: v.decode() if isinstance(v, bytes) else str(v)
        for k, v in headers.items()
        if k in ("traceparent", "tracestate")
    }
    with tracer().start_as_current_span(
        f"process {envelope.type}",
        context=_propagator.extract(carrier),
        kind=SpanKind.CONSUMER,
        attributes=_attributes(envelope, exchange)
        | {"messaging.operation.type": "process", "messaging.consumer.group.name": service},
    ) as span:
        yield span


def refused(span: Span | None, reason: str) -> None:
    """Mark the handling span of a delivery that was parked without being applied."""
    if span is not None:
        span.set_status(Status(StatusCode.ERROR, reason))


def failed(span: Span | None, exc: BaseException) -> None:
    """Mark the handling span of a delivery whose handler failed (it is given back)."""
    if span is not None:
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def _attributes(envelope: Envelope, exchange: str) -> dict[str, Any]:
    return {
        "messaging.system": "rabbitmq",
        "messaging.destination.name": exchange,
        "messaging.rabbitmq.destination.routing_key": envelope.type,
        "messaging.message.id": str(envelope.id),
        "messaging.message.conversation_id": envelope.correlation_id or "",
        "cascade.event.type": envelope.type,
        "cascade.event.producer": envelope.producer,
    }
