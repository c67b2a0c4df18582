"""Every notification reads as officials write: units by name, roles in words, never a unit
code or a role slug, in Vietnamese and in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cascade_notifications.domain.templates import render_kind

TEMPLATES = Path(__file__).parents[2] / "services/notifications/cascade_notifications/templates"
KINDS = sorted(p.stem for p in (TEMPLATES / "vi").glob("*.j2") if p.stem != "digest")
CODE = re.compile(r"(?<![\w.])vn\.[a-z0-9.-]+")
SLUG = re.compile(r"\b(?:approver|drafter|auditor)\b")

PAYLOAD = {
    "title": "Kế hoạch của Đảng ủy phường Hương An",
    "plan_title": "Kế hoạch của Đảng ủy phường Hương An",
    "version": 2,
    "plan_version": 2,
    "step_no": 2,
    "unit": "vn.hue",
    "unit_name": "Thành phố Huế",
    "plan_unit": "vn.hue.huong-an",
    "plan_unit_name": "Phường Hương An",
    "lead_unit": "vn.hue.huong-an",
    "lead_unit_name": "Phường Hương An",
    "escalated_to_unit": "vn",
    "escalated_to_unit_name": "Trung ương",
    "role": "approver",
    "due_at": "2026-12-31T10:00:00+00:00",
    "due_on": "2026-12-31",
    "deadline": "2026-12-31",
    "period": "2026-03",
    "task_code": "HA-01",
    "job": "Xóa 12 điểm tập kết rác tự phát",
    "parent_title": "Chương trình hành động của Thành ủy Huế",
    "parent_version": 2,
    "changes": [],
    "comments": [],
    "score": 87.5,
    "formula_version": "2026.1",
    "approved_groups": [{"id": "g1", "code": "I", "title": "Xây dựng Đảng"}],
    "returned_groups": [{"id": "g2", "code": "II", "title": "Phát triển kinh tế"}],
}


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_no_code_or_slug_in_a_notification(kind: str, language: str) -> None:
    message = render_kind(kind, PAYLOAD, language)
    text = f"{message.title}\n{message.body}"
    assert not CODE.search(text), text
    if language == "vi":
        assert not SLUG.search(text), text
