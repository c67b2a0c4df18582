"""The coverage chart: units below counted per task group by the state of their plan, as SVG."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from cascade_portal.chart import bars, coverage_svg
from cascade_portal.i18n import translator

REPORT = {
    "plan_id": "p",
    "task_groups": ["TG01", "TG02"],
    "units": [
        {
            "unit": "vn.hue.a",
            "name": "A",
            "status": "approved",
            "covered_groups": ["TG01"],
            "not_applicable_groups": ["TG02"],
        },
        {
            "unit": "vn.hue.b",
            "name": "B",
            "status": "submitted",
            "covered_groups": ["TG01", "TG02"],
            "not_applicable_groups": [],
        },
        {
            "unit": "vn.hue.c",
            "name": "C",
            "status": "none",
            "covered_groups": [],
            "not_applicable_groups": [],
        },
    ],
}


def test_units_are_counted_per_group_by_state() -> None:
    tg01, tg02 = bars(REPORT)
    assert tg01.group == "TG01" and tg01.total == 3
    assert {k: v for k, v in tg01.counts.items() if v} == {
        "approved": 1,
        "submitted": 1,
        "not_covered": 1,
    }
    assert {k: v for k, v in tg02.counts.items() if v} == {
        "submitted": 1,
        "not_applicable": 1,
        "not_covered": 1,
    }


def test_the_chart_is_well_formed_svg_with_a_title_and_a_description() -> None:
    svg = coverage_svg(REPORT, translator("vi"))
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.find(f"{ns}title").text == "Số đơn vị cấp dưới theo nhóm nhiệm vụ và trạng thái"
    desc = root.find(f"{ns}desc").text
    assert "TG01: Đã phê duyệt 1, Đã trình 1, Chưa bao phủ 1" in desc
    segments = [(r.get("data-state"), r.get("data-count")) for r in root.iter(f"{ns}rect")]
    assert ("approved", "1") in segments and ("not_applicable", "1") in segments
    assert re.search(r">2/3<", svg)  # TG02: two of three units answer for it


def test_labels_are_escaped_and_an_empty_report_still_draws() -> None:
    report = {"task_groups": ["<script>"], "units": []}
    svg = coverage_svg(report, translator("en"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ElementTree.fromstring(svg)
    ElementTree.fromstring(coverage_svg({}, translator("en")))
