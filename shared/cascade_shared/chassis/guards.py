"""Request guards in front of every API: a cap on body size (413), the content types an API
accepts (415) and no NUL character in the path or the query (422, which PostgreSQL would refuse
as text), all answered as RFC 9457 problem details before any handler runs."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cascade_shared.params import NUL, NUL_REASON

API_PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
ACCEPTED = ("application/json", "multipart/form-data")


def _problem(
    status: int, title: str, detail: str, field: str, reason: str, type_: str | None = None
) -> bytes:
    slug = type_ or title.lower().replace(" ", "-")
    return json.dumps(
        {
            "type": f"https://cascade.example.gov.vn/problems/{slug}",
            "title": title,
            "status": status,
            "detail": detail,
            "errors": [{"field": field, "reason": reason}],
        },
        ensure_ascii=False,
    ).encode()


def nul_field(scope: Scope) -> str | None:
    """The part of the request (``path``, ``query.<name>``) that carries a NUL character."""
    if NUL in scope["path"]:
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" not in query and NUL not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if NUL in name or NUL in value:
            return f"query.{name.replace(NUL, '')}"
    return None


def accepted_content_type(value: str) -> bool:
    media = value.split(";", 1)[0].strip().lower()
    return media in ACCEPTED or (media.startswith("application/") and media.endswith("+json"))


class RequestGuard:
    """Pure ASGI middleware: refuses API requests whose body is larger than ``max_body_bytes``
    (by Content-Length, or while streaming when there is none), bodies of a content type no
    API reads (only JSON and multipart uploads), and a NUL character in the path or the query
    (the typed parameters refuse it too, naming the parameter; this covers every route)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def _refused_by_its_head(self, scope: Scope, send: Send) -> bool:
        """Answer what the request line and headers alone refuse (a NUL in the path or query,
        a declared length over the limit, a body that is neither JSON nor multipart); True
        when answered."""
        nul = nul_field(scope)
        if nul is not None:
            await self._refuse(
                send,
                422,
                "Invalid request",
                f"{nul}: {NUL_REASON}",
                field=nul,
                reason=NUL_REASON,
                type_="validation",
            )
            return True
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await self._refuse(send, 413, "Payload too large", self._too_large_detail())
            return True
        has_body = (length is not None and length not in ("", "0")) or (
            "transfer-encoding" in headers
        )
        content_type = headers.get("content-type", "")
        if scope["method"] in BODY_METHODS and has_body and not accepted_content_type(content_type):
            await self._refuse(
                send,
                415,
                "Unsupported media type",
                f"send JSON (application/json) or a multipart upload, not "
                f"{content_type or 'a body without Content-Type'}",
                field="Content-Type",
                reason="must be application/json or multipart/form-data",
            )
            return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        if await self._refused_by_its_head(scope, send):
            return
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    refused = True  # the app sees the client go; we answer 413 for it
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # whatever the app says about the cut-off body, the answer is 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not (refused and not started):
                raise
        if refused and not started:
            await self._refuse(send, 413, "Payload too large", self._too_large_detail())

    def _too_large_detail(self) -> str:
        return f"the body is larger than {self.max_body_bytes // (1024 * 1024)} MiB"

    async def _refuse(
        self,
        send: Send,
        status: int,
        title: str,
        detail: str,
        field: str = "body",
        reason: str | None = None,
        type_: str | None = None,
    ) -> None:
        body = _problem(status, title, detail, field, reason or detail, type_)
        headers: list[Any] = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
