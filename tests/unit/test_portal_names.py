"""Units, people and approval steps by name, and the audit trail as sentences: what a reader
sees is "Phường Hương An", "Đ/c Trần Văn Bình", "Thành phố phê duyệt", never
``vn.hue.huong-an``, ``head.huong-an``, ``city-decision`` or ``approval.step_decided``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cascade_portal.names import Names
from cascade_portal.trail import event_label, sentence
from cascade_shared.events import CATALOGUE

WARD = "vn.hue.huong-an"
UNITS = {
    "vn": {"code": "vn", "name": "Trung ương", "level": "central", "parent": None},
    "vn.hue": {"code": "vn.hue", "name": "Thành phố Huế", "level": "city", "parent": "vn"},
    WARD: {"code": WARD, "name": "Phường Hương An", "level": "ward", "parent": "vn.hue"},
    "vn.hue.phu-xuan": {
        "code": "vn.hue.phu-xuan",
        "name": "Phường Phú Xuân",
        "level": "ward",
        "parent": "vn.hue",
    },
    "vn.da-nang.an-hai": {
        "code": "vn.da-nang.an-hai",
        "name": "Phường An Hải",
        "level": "ward",
        "parent": "vn.da-nang",
    },
    "vn.hue.an-hai": {
        "code": "vn.hue.an-hai",
        "name": "Phường An Hải",
        "level": "ward",
        "parent": "vn.hue",
    },
}
PEOPLE = {
    "head.huong-an": {
        "username": "head.huong-an",
        "name": "Trần Văn Bình",
        "unit": WARD,
        "roles": ["head"],
        "title": "Bí thư Đảng ủy phường",
    },
    "drafter.huong-an": {
        "username": "drafter.huong-an",
        "name": "Nguyễn Thị Lan",
        "unit": WARD,
        "roles": ["drafter"],
    },
}
CODES = re.compile(
    r"(?<![\w.])vn\.[a-z0-9.-]+|\b(?:drafter|head|approver2?|auditor)\.[a-z-]+|"
    r"\b[a-z]+-(?:signoff|decision|budgets)\b|\b(?:plan|approval|results|directory|audit|"
    r"notification)\.[a-z_]+|\d{4}-\d{2}-\d{2}|\d{4}-[QH]\d|\b\d{4}-(?:0[1-9]|1[0-2])\b"
)


def names(lang: str = "vi") -> Names:
    return Names(lang, UNITS, PEOPLE)


def test_units_and_people_by_name() -> None:
    vi = names()
    assert vi.unit(WARD) == "Phường Hương An"
    assert vi.unit("Sở Xây dựng thành phố Huế") == "Sở Xây dựng thành phố Huế"  # a name already
    assert vi.units_named([WARD, "vn.hue"]) == "Phường Hương An; Thành phố Huế"
    assert vi.person("head.huong-an") == "Trần Văn Bình, Bí thư Đảng ủy phường"  # with title
    assert vi.person("drafter.huong-an") == "Nguyễn Thị Lan"
    assert vi.comrade("drafter.huong-an") == "Đ/c Nguyễn Thị Lan"
    assert names("en").comrade("drafter.huong-an") == "Nguyễn Thị Lan"
    # Someone the reader's directory does not show: by their unit, never by their login.
    assert vi.person("approver.hue", "vn.hue") == "Cán bộ Thành phố Huế"
    # A name the API gives (approvals names deciders and comment authors) comes before the unit.
    assert vi.person("approver.hue", "vn.hue", name="Lãnh đạo Thành ủy Huế") == (
        "Lãnh đạo Thành ủy Huế"
    )
    assert vi.knowing({"approver.hue": "vn.hue"}).person("approver.hue") == "Cán bộ Thành phố Huế"
    assert names("en").person("approver.hue", "vn.hue") == "An official of Thành phố Huế"
    assert vi.person("approver.vn") == "Cán bộ đơn vị khác"
    assert vi.person("deadline-scheduler") == "Hệ thống" and vi.person(None) == ""


def test_a_unit_typed_by_name_is_kept_by_its_code() -> None:
    vi = names()
    assert vi.unit_code("Phường Hương An", WARD) == WARD
    assert vi.unit_code("phuong huong an", WARD) == WARD  # diacritics optional
    assert vi.unit_code(WARD, WARD) == WARD
    assert vi.unit_code("Phường An Hải", WARD) == "vn.hue.an-hai"  # the one nearby
    assert vi.unit_code("Sở Xây dựng", WARD) == "Sở Xây dựng"  # not a unit: as typed
    assert [u["code"] for u in vi.units_under("vn.hue")][:1] == ["vn.hue"]


def test_approval_steps_by_their_labels() -> None:
    assert names().step("ward-head-signoff") == "Lãnh đạo phường, xã ký trình"
    assert names().step("city-decision") == "Thành phố phê duyệt"
    assert names("en").step("city-decision") == "City approval"
    # A step a new policy names without a label here: by who decides it.
    assert names().step("parent-approver", "vn.hue", "approver") == (
        "Người phê duyệt - Thành phố Huế"
    )


def record(kind: str, actor: str | None = "head.huong-an", **payload: Any) -> dict[str, Any]:
    return {
        "seq": 1,
        "event_type": kind,
        "occurred_at": "2026-03-03T07:05:00Z",
        "actor": actor,
        "org_unit": WARD,
        "plan_id": "p1",
        "payload": payload,
    }


def test_a_returned_plan_reads_as_an_official_writes_it() -> None:
    r = record(
        "plan.returned",
        actor="approver.hue",
        title="Kế hoạch Hương An",
        version=2,
        unit=WARD,
        decided_by="approver.hue",
    )
    assert sentence(r, names().knowing({"approver.hue": "vn.hue"})) == (
        "Cán bộ Thành phố Huế trả lại “Kế hoạch Hương An” (phiên bản 2) để sửa "
        "lúc 14:05 ngày 03/03/2026"
    )
    r = record("plan.returned", title="Chỉnh trang đô thị Hương An", version=2, unit=WARD)
    assert sentence(r, names()) == (
        "Đ/c Trần Văn Bình, Bí thư Đảng ủy phường trả lại kế hoạch “Chỉnh trang đô thị Hương "
        "An” (phiên bản 2) để sửa lúc 14:05 ngày 03/03/2026"
    )
    assert sentence(r, names("en")) == (
        "Trần Văn Bình, Bí thư Đảng ủy phường returned the plan “Chỉnh trang đô thị Hương An” "
        "(version 2) for changes at 14:05 on 03/03/2026"
    )


EVERYTHING = {
    "plan_id": "p1",
    "plan_version": 1,
    "version": 1,
    "title": "Kế hoạch Hương An",
    "plan_title": "Kế hoạch Hương An",
    "unit": WARD,
    "plan_unit": WARD,
    "unit_level": "ward",
    "drafter": "drafter.huong-an",
    "submitted_by": "drafter.huong-an",
    "decided_by": "head.huong-an",
    "published_by": "head.huong-an",
    "step_no": 2,
    "role": "approver",
    "decision": "approved",
    "outcome": "approved",
    "due_at": "2026-03-10T10:00:00Z",
    "due_on": "2026-04-20",
    "deadline": "2026-09-30",
    "starts_at": "2026-03-01T00:00:00Z",
    "ends_at": "2026-12-31T16:59:00Z",
    "delegator": "head.huong-an",
    "delegate": "drafter.huong-an",
    "escalated_to_unit": "vn.hue",
    "period": "2026-Q2",
    "task_code": "HA-01",
    "score": 87.5,
    "name": "Phường Hương An",
    "code": WARD,
    "first_seq": 1,
    "last_seq": 99,
}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("kind", sorted(CATALOGUE))
def test_every_event_type_reads_as_a_sentence_without_codes(kind: str, lang: str) -> None:
    said = sentence(record(kind, **EVERYTHING), names(lang))
    assert CODES.findall(said) == [], said
    assert said.endswith("03/03/2026") and "{" not in said, said
    assert "sự kiện khác" not in said and "another event" not in said, said
    assert event_label(kind, names(lang)) not in ("Sự kiện khác", "Other event")


def test_an_event_type_the_portal_does_not_know_still_reads_without_its_code() -> None:
    said = sentence(record("plan.archived", actor="deadline-scheduler"), names())
    assert said == "Hệ thống: một sự kiện khác của hệ thống lúc 14:05 ngày 03/03/2026"


def test_the_units_a_plan_names_are_offered_nearby() -> None:
    near = [u["code"] for u in names().units_near("vn.hue")]
    assert near[0] == "vn.hue" and "vn" in near and WARD in near
    assert "vn.da-nang.an-hai" not in near  # another city's ward is not offered


def test_an_apis_words_name_units_and_people_too() -> None:
    said = "plan p1 is outside your unit vn.hue.phu-xuan; ask head.huong-an (v1.2 stays)."
    assert names().humanize(said) == (
        "plan p1 is outside your unit Phường Phú Xuân; ask Trần Văn Bình, Bí thư Đảng ủy phường "
        "(v1.2 stays)."
    )
