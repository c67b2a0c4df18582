"""Structured logs that carry the correlation id of the request or event being handled, and
its trace and span ids when tracing is on (:mod:`cascade_shared.tracing`)."""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar

import structlog
from opentelemetry import trace
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

CORRELATION_HEADER = "X-Correlation-ID"


def _add_correlation_id(
    _logger: object, _method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    cid = correlation_id.get()
    if cid and "correlation_id" not in event_dict:
        event_dict["correlation_id"] = cid
    return event_dict


def _add_trace_ids(
    _logger: object, _method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """The current span's trace and span ids (W3C hex), so a log line leads to its trace. None
    while tracing is off: no span is ever current then."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid and "trace_id" not in event_dict:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Route stdlib and structlog records through one structlog renderer."""
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        # Plain tracebacks: no local variables (they may hold tokens) and one line per frame.
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_correlation_id,
        _add_trace_ids,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)


class CorrelationIdMiddleware:
    """Take the caller's X-Correlation-ID (or X-Request-ID), or make one; echo it back.

    Pure ASGI (not ``BaseHTTPMiddleware``, which runs each request's app in a task of its own
    and streams the response through a memory channel: a cost on every request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get(CORRELATION_HEADER) or headers.get("X-Request-ID")
        cid = given[:100] if given else str(uuid.uuid4())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[CORRELATION_HEADER] = cid
            await send(message)

        token = correlation_id.set(cid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)
