"""The coverage dashboard's chart: for each task group of a program, how many units below cover
it and how far their plans are (approved, submitted, drafted...), as an inline SVG bar chart
rendered on the server (no script, no library)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

# Order of the segments, left to right, and their colours (readable on white, distinct in grey).
STATES = ("approved", "submitted", "returned", "draft", "not_applicable", "not_covered")
COLOURS = {
    "approved": "#1b7f3b",
    "submitted": "#1f5fbf",
    "returned": "#c27c0e",
    "draft": "#7a5cc2",
    "not_applicable": "#8c8c8c",
    "not_covered": "#e3e3e3",
}
LABEL_KEYS = {
    "approved": "status.approved",
    "submitted": "status.submitted",
    "returned": "status.returned",
    "draft": "status.draft",
    "not_applicable": "plan.not_applicable",
    "not_covered": "coverage.not_covered",
}


@dataclass(frozen=True)
class GroupBar:
    group: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def bars(report: dict[str, Any]) -> list[GroupBar]:
    """Per task group of the program: the units below counted by the state of their plan for
    that group. A unit counts as covering a group only when its plan has a task in it."""
    out = []
    for group in report.get("task_groups", []):
        counts = dict.fromkeys(STATES, 0)
        for unit in report.get("units", []):
            if group in unit.get("not_applicable_groups", []):
                counts["not_applicable"] += 1
            elif group in unit.get("covered_groups", []):
                status = unit.get("status", "draft")
                counts[status if status in counts else "draft"] += 1
            else:
                counts["not_covered"] += 1
        out.append(GroupBar(group, counts))
    return out


def coverage_svg(report: dict[str, Any], t: Callable[[str], str]) -> str:
    """The chart as SVG markup: one horizontal stacked bar per task group, a legend, a title
    and a description for screen readers. Every text is escaped."""
    rows = bars(report)
    units = max((b.total for b in rows), default=0) or 1
    label_w, bar_w, row_h, top = 60, 260, 26, 8
    legend_y = top + row_h * len(rows) + 10
    height = legend_y + 20 * ((len(STATES) + 1) // 2) + 6
    width = label_w + bar_w + 40
    title = escape(t("coverage.chart"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{title}</title>',
    ]
    desc = []
    for i, bar in enumerate(rows):
        y = top + i * row_h
        group = escape(bar.group)
        parts.append(f'<text x="0" y="{y + 15}" font-size="12" fill="#222">{group}</text>')
        x = float(label_w)
        for state in STATES:
            n = bar.counts[state]
            if not n:
                continue
            w = bar_w * n / units
            label = escape(t(LABEL_KEYS[state]))
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{COLOURS[state]}" data-state="{state}" data-count="{n}">'
                f"<title>{group}: {label} {n}</title></rect>"
            )
            x += w
        covered = bar.total - bar.counts["not_covered"]
        parts.append(
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}" font-size="12" fill="#222">'
            f"{covered}/{bar.total}</text>"
        )
        desc.append(
            f"{group}: "
            + ", ".join(f"{t(LABEL_KEYS[s])} {bar.counts[s]}" for s in STATES if bar.counts[s])
        )
    for j, state in enumerate(STATES):
        lx = (j % 2) * 180
        ly = legend_y + (j // 2) * 20
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{COLOURS[state]}"/>'
            f'<text x="{lx + 18}" y="{ly + 11}" font-size="12" fill="#222">'
            f"{escape(t(LABEL_KEYS[state]))}</text>"
        )
    parts.insert(2, f'<desc id="chart-desc">{escape("; ".join(desc))}</desc>')
    parts.append("</svg>")
    return "".join(parts)
