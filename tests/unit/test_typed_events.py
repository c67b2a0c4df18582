"""Events are made from typed payloads: each event type has its own payload class, the type and
version come from the catalogue, a producer cannot send a field the catalogue does not describe,
and a service cannot send another's events. Reading stays tolerant."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cascade_shared.bus.inprocess import InProcessBus
from cascade_shared.chassis.registry import all_services
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.events import (
    CATALOGUE,
    SPEC_OF_PAYLOAD,
    ApprovedTask,
    PlanApproved,
    PlanCreated,
    PlanReturned,
    ReportDueSoon,
    ReportOverdue,
    spec_of,
)
from cascade_shared.settings import Settings

REF = {
    "plan_id": "p-1",
    "version": 2,
    "unit": "vn.hue.huong-an",
    "unit_level": "ward",
    "title": "Kế hoạch thực hiện Nghị quyết",
    "drafter": "drafter.huong-an",
}


def test_every_event_type_has_its_own_payload_class() -> None:
    assert len(SPEC_OF_PAYLOAD) == len(CATALOGUE)
    for spec in CATALOGUE.values():
        assert SPEC_OF_PAYLOAD[spec.payload] is spec


def test_the_payload_names_its_type_and_version() -> None:
    assert spec_of(PlanReturned(**REF)).type == "plan.returned"
    due = {"unit": "vn.hue", "unit_level": "city", "period": "2026-03", "due_on": date(2026, 4, 20)}
    assert spec_of(ReportDueSoon(**due)).type == "results.report_due_soon"
    assert spec_of(ReportOverdue(**due)).type == "results.report_overdue"


def test_a_field_the_catalogue_does_not_describe_cannot_be_sent() -> None:
    with pytest.raises(TypeError, match="comitted_by"):
        PlanCreated(**REF, comitted_by="drafter.huong-an")


def test_reading_ignores_fields_it_does_not_know_at_every_depth() -> None:
    task = {"id": "t-1", "code": "1", "job": "Trồng cây", "a_later_field": 1}
    read = PlanApproved.model_validate({**REF, "tasks": [task], "another_later_field": True})
    assert read.tasks == [ApprovedTask(id="t-1", code="1", job="Trồng cây")]


def test_the_wire_form_carries_what_the_producer_set_as_json() -> None:
    wire = ReportDueSoon(
        unit="vn.hue", unit_level="city", period="2026-03", due_on=date(2026, 4, 20)
    ).wire()
    assert wire == {
        "unit": "vn.hue",
        "unit_level": "city",
        "period": "2026-03",
        "due_on": "2026-04-20",
    }


async def test_a_service_makes_its_own_events_and_no_other_services(tmp_path: Path) -> None:
    plans = next(d for d in all_services() if d.name == "plans")
    runtime = ServiceRuntime(plans, Settings(data_dir=tmp_path, seed_demo=False), InProcessBus())
    try:
        envelope = runtime.event(PlanCreated(**REF), actor="drafter.huong-an")
        assert (envelope.type, envelope.version, envelope.producer) == (
            "plan.created",
            CATALOGUE["plan.created"].version,
            "plans",
        )
        assert envelope.payload == REF
        due = ReportDueSoon(
            unit="vn.hue", unit_level="city", period="2026-03", due_on=date(2026, 4, 20)
        )
        with pytest.raises(TypeError, match="produced by results, not plans"):
            runtime.event(due, actor="drafter.huong-an")
    finally:
        await runtime.stop()
