"""The coverage dashboard's chart: for each task group of a program, how many units below cover
it and how far their plans are (approved, submitted, drafted...), as an inline SVG bar chart
rendered on the server (no script, no library)."""

from __future__ import annotations

import re
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


def progress_svg(
    series: list[dict[str, Any]],
    t: Callable[[str], str],
    label: Callable[[str], str] = str,
) -> str:
    """The results dashboard's chart: the mean reported progress (0-100 %) per period, as an
    inline SVG line with a point and its value per period, a title and a description for
    screen readers. ``label`` names a period on the axis (e.g. ``2026-07`` as 7/2026)."""
    points = [
        (str(p.get("period", "")), float(p["mean_percent"]))
        for p in series
        if isinstance(p.get("mean_percent"), int | float)
    ]
    left, top, plot_w, plot_h = 34, 14, 300, 120
    width, height = left + plot_w + 34, top + plot_h + 40
    title = escape(t("results.chart"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart progress-chart" role="img" '
        f'aria-labelledby="progress-title progress-desc">',
        f'<title id="progress-title">{title}</title>',
    ]
    desc = "; ".join(f"{label(k)}: {v:g}%" for k, v in points) or t("results.chart_empty")
    parts.append(f'<desc id="progress-desc">{escape(desc)}</desc>')
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="#dcdfe4" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" fill="#555" '
            f'text-anchor="end">{pct}%</text>'
        )
    if not points:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" font-size="12" '
            f'fill="#555" text-anchor="middle">{escape(t("results.chart_empty"))}</text>'
        )
    step = plot_w / max(len(points) - 1, 1)
    coords = []
    for i, (key, value) in enumerate(points):
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        y = top + plot_h * (1 - max(0.0, min(value, 100.0)) / 100)
        coords.append((x, y, key, value))
    if len(coords) > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#1f5fbf" stroke-width="2"/>')
    every = max(1, (len(coords) + 5) // 6)  # at most about six labels on the axis
    for i, (x, y, key, value) in enumerate(coords):
        name = escape(label(key))
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1f5fbf" data-period="{escape(key)}" '
            f'data-value="{value:g}"><title>{name}: {value:g}%</title></circle>'
            f'<text x="{x:.1f}" y="{y - 7:.1f}" font-size="11" fill="#222" '
            f'text-anchor="middle">{value:g}</text>'
        )
        if i % every == 0 or i == len(coords) - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" font-size="11" fill="#222" '
                f'text-anchor="middle">{name}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


_OPENING = re.compile(r'^<svg ([^>]*)viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"([^>]*)>')
FONT = "Arial, Helvetica, sans-serif"


def standalone(svg: str, scale: float = 2.0) -> str:
    """A chart as a file to paste into a report (Word, LibreOffice, an e-mail): an XML
    declaration, a size in pixels (``scale`` times the drawing's own), a font every office
    machine has, and a white background instead of the page's."""
    m = _OPENING.match(svg)
    if m is None:
        raise ValueError("not one of the portal's charts")
    width, height = float(m.group(2)), float(m.group(3))
    opening = (
        f'<svg {m.group(1)}viewBox="0 0 {m.group(2)} {m.group(3)}"{m.group(4)} '
        f'width="{width * scale:g}" height="{height * scale:g}" font-family="{FONT}">'
    )
    body = svg[m.end() :]
    background = f'<rect x="0" y="0" width="{m.group(2)}" height="{m.group(3)}" fill="#fff"/>'
    at = body.find("</desc>")  # after the title and description, which come first
    at = at + len("</desc>") if at >= 0 else 0
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + opening + body[:at] + background + body[at:]
