"""The shared parameter types bound every input to what PostgreSQL stores, and every service's
OpenAPI document shows those bounds on each integer and text it reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any

import pytest
from cascade_shared.chassis.guards import nul_field
from cascade_shared.params import (
    BIGINT_MAX,
    BIGINT_MIN,
    INTEGER_MAX,
    INTEGER_MIN,
    NUL_REASON,
    BigInt,
    Id,
    Int,
    RequestBody,
    Seq,
    StoredTime,
    UnitCode,
    ZonedTime,
    refuse_nul,
    storable_time,
    unstorable_at,
)
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import Field, TypeAdapter, ValidationError


def valid(kind: Any, value: Any) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return False
    return True


def test_integers_are_bounded_to_their_column_type() -> None:
    assert valid(Int, INTEGER_MAX) and valid(Int, INTEGER_MIN)
    assert not valid(Int, INTEGER_MAX + 1) and not valid(Int, INTEGER_MIN - 1)
    assert valid(BigInt, BIGINT_MAX) and valid(BigInt, BIGINT_MIN)
    assert not valid(BigInt, BIGINT_MAX + 1) and not valid(BigInt, BIGINT_MIN - 1)
    assert valid(Seq, 0) and valid(Seq, BIGINT_MAX)
    assert not valid(Seq, -1) and not valid(Seq, 2**63)


def test_text_refuses_a_nul_character_and_what_its_column_cannot_hold() -> None:
    assert valid(Id, "8c6f0f4e-1b7a-4d3c-9a52-2f9d5c1e7b10")
    assert not valid(Id, "x" * 37)
    assert not valid(Id, "plan\x00id")
    assert valid(UnitCode, "vn.hue.huong-an") and not valid(UnitCode, "v" * 201)
    assert refuse_nul("Phường Hương An") == "Phường Hương An"
    with pytest.raises(ValueError, match="NUL"):
        refuse_nul("a\x00b")


def test_times_must_stay_within_years_1_to_9999_once_in_utc() -> None:
    assert valid(ZonedTime, "2026-03-01T08:00:00+07:00")
    assert not valid(ZonedTime, "2026-03-01T08:00:00")  # no zone: refused, as before
    assert not valid(ZonedTime, "0001-01-01T00:00:00+14:00")
    assert not valid(ZonedTime, "9999-12-31T23:00:00-05:00")
    assert valid(ZonedTime, "0001-01-01T00:00:00-01:00")
    assert valid(StoredTime, "0001-01-01T00:00:00")  # naive: UTC already
    assert not valid(StoredTime, "0001-01-01T00:00:00+14:00")
    edge = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ValueError, match="years 1 to 9999"):
        storable_time(edge)
    assert storable_time(datetime(2026, 3, 1, tzinfo=UTC)).year == 2026


def test_unstorable_at_names_the_place_and_the_reason() -> None:
    assert unstorable_at({"chains": {"ward": [{"name": "ok"}]}}) is None
    assert unstorable_at({"chains": {"ward": [{"name": "a\x00"}]}}) == (
        "chains.ward.0.name",
        NUL_REASON,
    )
    assert unstorable_at({"ke\x00y": 1}) == ("key", NUL_REASON)
    assert unstorable_at({"formula": {"weights": {"x": float("nan")}}})[0] == (  # type: ignore[index]
        "formula.weights.x"
    )
    assert unstorable_at([1, 2.5, "x", None, True]) is None


class Task(RequestBody):
    code: str = Field(max_length=50)
    cooperating_units: list[str] = []
    product_quantity: float | None = None
    note: dict[str, Any] = {}
    due: datetime | None = None


class Plan(RequestBody):
    tasks: list[Task] = []


def errors_of(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as caught:
        Plan.model_validate(body)
    return [e["loc"] for e in caught.value.errors()]


def test_a_request_body_refuses_what_the_database_cannot_store_naming_the_field() -> None:
    assert Plan.model_validate({"tasks": [{"code": "HA-01", "cooperating_units": ["vn.hue"]}]})
    assert errors_of({"tasks": [{"code": "HA\x00"}]}) == [("tasks", 0, "code")]
    assert errors_of({"tasks": [{"code": "A", "cooperating_units": ["vn", "x\x00"]}]}) == [
        ("tasks", 0, "cooperating_units")
    ]
    assert errors_of({"tasks": [{"code": "A", "note": {"k\x00": 1}}]}) == [("tasks", 0, "note")]
    assert errors_of({"tasks": [{"code": "A", "product_quantity": float("inf")}]}) == [
        ("tasks", 0, "product_quantity")
    ]
    assert errors_of({"tasks": [{"code": "A", "due": "0001-01-01T00:00:00+14:00"}]}) == [
        ("tasks", 0, "due")
    ]


def test_fastapi_keeps_the_bounds_of_a_parameter_with_query_inside_annotated() -> None:
    """The way the routes write them: FastAPI drops the bounds of ``x: Seq = Query(...)``."""
    app = FastAPI()

    @app.get("/records")
    def records(
        after_seq: Annotated[Seq, Query(description="the last seq seen")] = 0,
        actor: Annotated[Id | None, Query(description="who")] = None,
        since: Annotated[ZonedTime | None, Query()] = None,
    ) -> dict[str, int]:
        return {"after_seq": after_seq}

    client = TestClient(app)
    assert client.get("/records", params={"after_seq": BIGINT_MAX}).status_code == 200
    for params in (
        {"after_seq": str(2**63)},
        {"after_seq": "-1"},
        {"actor": "a\x00b"},
        {"since": "0001-01-01T00:00:00+14:00"},
    ):
        r = client.get("/records", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["detail"][0]["loc"] == ["query", next(iter(params))]


def test_the_guard_names_the_query_parameter_or_the_path_holding_a_nul() -> None:
    def scope(path: str, query: bytes = b"") -> dict[str, Any]:
        return {"type": "http", "path": path, "query_string": query}

    assert nul_field(scope("/api/audit/records", b"actor=auditor.hue&limit=5")) is None
    assert nul_field(scope("/api/audit/records", b"limit=5&actor=a%00b")) == "query.actor"
    assert nul_field(scope("/api/plans/a\x00b")) == "path"


# -- every service's OpenAPI document shows the bounds ------------------------------------------

SERVICES = ["plans", "approvals", "notifications", "results", "audit"]
UNBOUNDED_TEXT_OK = {
    # Kept only inside a JSON column, bounded by the request's size.
    "milestones.description",
    "milestones_reached",
}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _unbounded(doc: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    schema = _resolve(doc, schema)
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _unbounded(doc, sub, where)
    kind = schema.get("type")
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None or high is None or low < BIGINT_MIN or high > BIGINT_MAX:
            found.append(f"{where}: integer {low}..{high}")
    elif kind == "string":
        bounded = (
            "maxLength" in schema
            or "enum" in schema
            or "const" in schema
            or "pattern" in schema
            or schema.get("format") in ("date", "date-time", "binary")
            or "contentMediaType" in schema  # an uploaded file
        )
        if not bounded and not any(where.endswith(ok) for ok in UNBOUNDED_TEXT_OK):
            found.append(f"{where}: text without maxLength")
    elif kind == "object":
        for name, sub in schema.get("properties", {}).items():
            found += _unbounded(doc, sub, f"{where}.{name}")
    elif kind == "array":
        found += _unbounded(doc, schema.get("items", {}), where)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_integer_and_text_a_service_reads_is_bounded(service: str, tmp_path: Path) -> None:
    from cascade_shared.chassis.app import create_app
    from cascade_shared.chassis.registry import load_service
    from cascade_shared.settings import Settings

    settings = Settings(data_dir=tmp_path, jwt_secret="unit-test-secret-of-at-least-32-bytes")
    doc = create_app([load_service(service)], settings).openapi()
    found: list[str] = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                where = f"{label} {parameter['in']}.{parameter['name']}"
                found += _unbounded(doc, parameter.get("schema", {}), where)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                found += _unbounded(doc, content.get("schema", {}), f"{label} body")
    assert not found, "\n".join(found)


def test_a_filled_in_report_file_is_held_to_what_a_json_line_may_carry() -> None:
    from cascade_results.api.routes.reports import _unstorable_lines
    from cascade_results.schemas import IndicatorLineIn, TaskLineIn

    lines = [
        {"task_code": "HA-01", "narrative": "xong", "blocked_reason": None},
        {"task_code": "HA-02", "blocked_reason": "x" * 1001},
        {"task_code": "HA-03", "narrative": "a\x00b"},
    ]
    errors = _unstorable_lines("Nhiệm vụ", "task_code", TaskLineIn, lines)
    assert [e["field"] for e in errors] == [
        "Nhiệm vụ.HA-02.blocked_reason",
        "Nhiệm vụ.HA-03.narrative",
    ]
    indicators = [{"indicator_code": "CT-01", "actual": float("inf"), "note": None}]
    [error] = _unstorable_lines("Chỉ tiêu", "indicator_code", IndicatorLineIn, indicators)
    assert error["field"] == "Chỉ tiêu.CT-01.actual"


def test_xml_safe_drops_only_what_a_spreadsheet_cannot_hold() -> None:
    from cascade_shared.params import xml_safe

    assert xml_safe({"job": "Chỉnh\x1a trang\tmới\n", "n": 3, "units": ["vn\x03"]}) == {
        "job": "Chỉnh trang\tmới\n",
        "n": 3,
        "units": ["vn"],
    }
