"""The database being away, told apart from a failure of the work itself.

Event handlers wait such an outage out in place (:meth:`ServiceRuntime.handle`), and the API
answers it with 503 and ``Retry-After`` instead of 500: a restart of PostgreSQL, a cut network
or a busy SQLite file is the service's condition, not the request's fault, and the same request
succeeds once the database is back.
"""

from __future__ import annotations

import socket
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from cascade_shared.problems import Problem, problem_response

RETRY_AFTER_SECONDS = 2

_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")
_PG_TRANSIENT_STATES = {"57P01", "57P02", "57P03", "53300"}
"""Admin shutdown, crash shutdown, cannot connect now, too many connections; and every state of
class 08 (connection exception)."""
_TRANSIENT_NAMES = {
    "ConnectionDoesNotExistError",
    "CannotConnectNowError",
    "InterfaceError",
    "AdminShutdownError",
    "CrashShutdownError",
    "TooManyConnectionsError",
    "ConnectionFailureError",
}


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (exc, getattr(exc, "orig", None), getattr(exc, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_transient(exc: BaseException) -> bool:
    """A failure of the database connection (restart, network, a locked SQLite file), not of
    the work: worth retrying the same transaction, and a 503 to an API client."""
    if isinstance(exc, OperationalError) and isinstance(exc.orig, sqlite3.Error):
        # SQLite reports its own mistakes ("no such column") as operational errors too: only a
        # busy or unreadable file is worth waiting for; the rest fails at once.
        message = str(exc.orig).lower()
        return any(word in message for word in _SQLITE_TRANSIENT)
    if isinstance(exc, OperationalError | ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(exc, PoolTimeoutError):  # every pooled connection busy for pool_timeout
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    if state is not None and (state.startswith("08") or state in _PG_TRANSIENT_STATES):
        return True
    names = {type(exc).__name__, type(getattr(exc, "orig", None)).__name__}
    return bool(names & _TRANSIENT_NAMES)


def unavailable_response(
    request: Request,
    detail: str = "The service's database is unavailable; try again shortly.",
    **extensions: Any,
) -> JSONResponse:
    """503 problem+json with ``Retry-After``: the service cannot do this now, but will."""
    problem = Problem(503, "Service unavailable", detail, type_="unavailable", **extensions)
    response = problem_response(problem, request)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def install_outage_handlers(app: FastAPI) -> None:
    """Answer a request that failed because the database is away with 503 and Retry-After.

    Any other error of the same classes is raised again, to the 500 handler."""

    async def _database_away(request: Request, exc: Exception) -> JSONResponse:
        state = _sqlstate(exc)
        if state is not None and state.startswith("22"):  # data exception: the input's fault
            return problem_response(
                Problem(
                    422,
                    "Invalid request",
                    "a value in the request cannot be stored by this service",
                    type_="validation",
                    errors=[{"field": "path or body", "reason": "value out of range"}],
                ),
                request,
            )
        if not is_transient(exc):
            raise exc
        return unavailable_response(request)

    for error in (DBAPIError, PoolTimeoutError, ConnectionError, TimeoutError, socket.gaierror):
        app.add_exception_handler(error, _database_away)
