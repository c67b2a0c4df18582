"""Which failures a handler waits out (the database, not the event) and which fail the delivery
at once, so a broken event is parked after its tries instead of blocking its queue."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from cascade_shared.outages import install_outage_handlers, is_transient
from cascade_shared.problems import install_problem_handlers
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError, OperationalError


def operational(orig: BaseException) -> OperationalError:
    return OperationalError("INSERT …", {}, orig)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (operational(sqlite3.OperationalError("database is locked")), True),
        (operational(sqlite3.OperationalError("database table is locked: inbox")), True),
        (operational(sqlite3.OperationalError("unable to open database file")), True),
        (operational(sqlite3.OperationalError("no such column: plan.note")), False),
        (operational(sqlite3.OperationalError("no such table: approval_case")), False),
        (operational(sqlite3.OperationalError('near "SELEC": syntax error')), False),
        (operational(OSError("connection was closed in the middle of operation")), True),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (ValueError("a payload this handler cannot read"), False),
        (KeyError("plan_id"), False),
    ],
)
def test_only_the_database_being_away_is_waited_out(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "transient"),
    [
        ("57P01", True),  # admin shutdown: PostgreSQL is restarting
        ("57P03", True),  # cannot connect now: it is starting up
        ("08006", True),  # connection failure
        ("53300", True),  # too many connections
        ("23505", False),  # unique violation: the request's own conflict
        ("22P02", False),  # invalid text representation: bad input
    ],
)
def test_postgresql_states_of_an_unavailable_database(sqlstate: str, transient: bool) -> None:
    assert is_transient(DBAPIError("SELECT 1", {}, _PgError(sqlstate))) is transient


def _app_raising(error: BaseException) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_outage_handlers(app)

    @app.get("/api/plans")
    async def plans() -> None:
        raise error

    return app


async def test_the_database_being_away_is_503_with_retry_after() -> None:
    app = _app_raising(operational(OSError("connection refused")))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/api/plans")
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["title"] == "Service unavailable"


async def test_any_other_database_error_stays_a_500() -> None:
    app = _app_raising(DBAPIError("INSERT …", {}, _PgError("23505")))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/api/plans")
    assert r.status_code == 500
    assert r.json()["title"] == "Internal error"


async def test_a_value_the_database_cannot_store_is_422() -> None:
    app = _app_raising(DBAPIError("INSERT …", {}, _PgError("22003")))  # numeric out of range
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/api/plans")
    assert r.status_code == 422
    assert r.json()["errors"][0]["reason"] == "value out of range"
