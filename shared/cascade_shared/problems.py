"""RFC 9457 problem details for every error a Cascade API returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cascade_shared.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, status_of
from cascade_shared.logs import correlation_id

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://cascade.example.gov.vn/problems/"


class Problem(Exception):
    """Raise to answer with a problem+json body. ``errors`` names each field and its reason."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type_ = type_
        self.errors = errors
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.type_ if self.type_ else "about:blank",
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extensions)
        cid = correlation_id.get()
        if cid:
            body["correlation_id"] = cid
        return body


# The refusals every service raises, by their HTTP-free kinds (cascade_shared.errors); the edge
# below answers each as problem+json.
def not_found(what: str, ident: object) -> NotFound:
    return NotFound(what, ident)


def forbidden(detail: str) -> NotAllowed:
    return NotAllowed(detail)


def conflict(detail: str, **facts: Any) -> Conflict:
    return Conflict(detail, **facts)


def invalid(field: str, reason: str, detail: str | None = None) -> Invalid:
    """A refusal naming one field and why (``detail`` defaults to both)."""
    return Invalid(detail or f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(str(request.url.path) if request else None),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers={"WWW-Authenticate": "Bearer"} if problem.status == 401 else None,
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _refused(request: Request, exc: DomainError) -> JSONResponse:
        problem = Problem(status_of(exc), exc.title, exc.detail, type_=exc.kind, **exc.facts)
        return problem_response(problem, request)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        return problem_response(
            Problem(422, "Invalid request", detail, type_="validation", errors=errors), request
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}.get(
            exc.status_code, "Error"
        )
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(Problem(exc.status_code, title, detail), request)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # A number or value that passed validation but does not fit the database's column:
        # the caller's input, not a server failure.
        return problem_response(
            Problem(
                422,
                "Invalid request",
                "a value in the request is out of the range this service stores",
                type_="validation",
                errors=[{"field": "path or body", "reason": "value out of range"}],
            ),
            request,
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            Problem(500, "Internal error", "The server failed; the correlation id names the log."),
            request,
        )
