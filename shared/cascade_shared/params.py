"""What a request may carry: every input bounded to what the databases store.

PostgreSQL refuses what SQLite keeps: an integer beyond its column's type (INTEGER holds 32
bits, BIGINT 64), a NUL character in any text or JSON, text longer than its VARCHAR, and a time
that leaves the years 1 to 9999 once converted to UTC (where it is stored, and where Python's
own dates end). Route parameters and request bodies are typed with what follows, so such input
is refused at the edge with a 422 problem naming the field, and never reaches the database to
fail there as a 500.

Query and path parameters take the ``Annotated`` types below, with FastAPI's ``Query`` or
``Path`` inside the ``Annotated`` (``after_seq: Annotated[Seq, Query(...)] = 0``): FastAPI drops
the bounds of a type whose default is ``Query(...)``. Request bodies derive from
:class:`RequestBody`, which refuses a NUL anywhere in them and a time out of range, and give
each text field the ``max_length`` of its column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    field_validator,
)

INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
"""A PostgreSQL INTEGER (what a model's plain ``int`` column is)."""
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
"""A PostgreSQL BIGINT (the outbox's and the audit chain's ``seq``)."""

NUL = "\x00"
NUL_REASON = "must not contain a NUL character (\\u0000)"
FINITE_REASON = "must be a finite number"
UNICODE_REASON = "must be Unicode text (no lone surrogate)"
NOT_NULL_REASON = "may be left out, but not null: it always has a value"
TIME_REASON = "out of range: it must fall in the years 1 to 9999 once converted to UTC"


def refuse_null(value: Any) -> Any:
    """For a ``mode="before"`` validator of a change (PATCH) body: a field whose column always
    holds a value may be left out, but not set to null."""
    if value is None:
        raise ValueError(NOT_NULL_REASON)
    return value


def refuse_nul(value: str) -> str:
    """``value``, unless it holds a NUL character (PostgreSQL text and JSON cannot)."""
    if NUL in value:
        raise ValueError(NUL_REASON)
    return value


def storable_time(value: datetime) -> datetime:
    """``value``, unless converting it to UTC leaves the years 1 to 9999
    (``0001-01-01T00:00:00+14:00``, ``9999-12-31T23:00:00-05:00``). A naive time is UTC."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise ValueError(TIME_REASON) from exc
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unstorable_at(value: Any, where: str = "") -> tuple[str, str] | None:
    """Where in a decoded JSON value (dotted, ``tasks.2.job``; ``where`` prefixes it) the
    first thing PostgreSQL cannot store is, and why: a string or key with a NUL character, or a
    number that is not finite (JSON columns refuse ``NaN`` and ``Infinity``, which Python's
    JSON reader accepts), or a lone surrogate (``"\\ud800"``) that is no UTF-8. None when there
    is nothing."""
    if isinstance(value, str):
        if NUL in value:
            return where, NUL_REASON
        return None if _encodable(value) else (where, UNICODE_REASON)
    if isinstance(value, float):
        return None if math.isfinite(value) else (where, FINITE_REASON)
    if isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and NUL in key:
                return path.replace(NUL, ""), NUL_REASON
            found = unstorable_at(item, path)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = unstorable_at(item, f"{where}.{i}" if where else str(i))
            if found is not None:
                return found
    return None


NulFree = AfterValidator(refuse_nul)


# Integers, bounded to their column's type.
Int = Annotated[int, Interval(ge=INTEGER_MIN, le=INTEGER_MAX)]
"""Compared with or stored in an INTEGER column (a year, a term, a count)."""
BigInt = Annotated[int, Interval(ge=BIGINT_MIN, le=BIGINT_MAX)]
"""Compared with or stored in a BIGINT column."""
Seq = Annotated[int, Interval(ge=0, le=BIGINT_MAX)]
"""A position in an outbox or in the audit chain (BIGINT, from 0)."""
RecordSeq = Annotated[int, Interval(ge=1, le=BIGINT_MAX)]
"""The ``seq`` of one audit record (BIGINT, from 1)."""
Number = Annotated[int, Interval(ge=0, le=INTEGER_MAX)]
"""A number counted from 0 in an INTEGER column (a checkpoint's)."""

# Text, bounded to its column and free of NUL characters.
Text = Annotated[str, NulFree]
"""Text without a NUL character; its length bounded where it is used."""
Id = Annotated[str, StringConstraints(max_length=36), NulFree]
"""The id of a row (a UUID's 36 characters)."""
Code = Annotated[str, StringConstraints(max_length=50), NulFree]
"""The code of a task, task group or indicator within its plan."""
Username = Annotated[str, StringConstraints(max_length=100), NulFree]
"""A user's name in the directory (``drafter.huong-an``)."""
EventType = Annotated[str, StringConstraints(max_length=100), NulFree]
"""An event type (``plan.submitted``)."""
UnitCode = Annotated[str, StringConstraints(max_length=200), NulFree]
"""An org unit's code, a path (``vn.hue.huong-an``)."""
Search = Annotated[str, StringConstraints(max_length=200), NulFree]
"""Words to search for."""
PageCursor = Annotated[str, StringConstraints(max_length=1000), NulFree]
"""A page cursor this API gave out."""

# Times that survive the conversion to UTC.
ZonedTime = Annotated[AwareDatetime, AfterValidator(storable_time)]
"""A time with its zone offset (``2026-03-01T08:00:00+07:00``); a bare one is refused."""
StoredTime = Annotated[datetime, AfterValidator(storable_time)]
"""A time to store: with its zone offset, or naive and then UTC."""


def _storable(value: Any) -> Any:
    if isinstance(value, datetime):
        return storable_time(value)
    found = unstorable_at(value)
    if found is not None:
        where, reason = found
        raise ValueError(f"{where}: {reason}" if where else reason)
    return value


class RequestBody(BaseModel):
    """The base of every request body: a NUL character anywhere in it (a string, an item of a
    list, a key of a mapping), a time out of range or a number that is not finite (``NaN``,
    ``Infinity``) is refused naming its field. Each text field gives its column's
    ``max_length``."""

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _fits_the_database(cls, value: Any) -> Any:
        return _storable(value)


_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: Any) -> Any:
    """``value`` - text, or lists and mappings of it - without the control characters that XML,
    and so an XLSX or DOCX file, cannot carry (tab and line breaks stay). What a caller stored
    is kept as it is; only what goes into such a file is cleaned, so the export never fails."""
    if isinstance(value, str):
        return _NOT_IN_XML.sub("", value)
    if isinstance(value, Mapping):
        return {key: xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [xml_safe(item) for item in value]
    return value
