"""Which failures a handler waits out (the database, not the event) and which fail the delivery
at once, so a broken event is parked after its tries instead of blocking its queue."""

from __future__ import annotations

import sqlite3

import pytest
from cascade_shared.service import is_transient
from sqlalchemy.exc import OperationalError


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
