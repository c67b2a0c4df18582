"""axe-core (Deque's accessibility engine, the copy PyPI's ``axe-playwright-python`` ships)
run inside the page: ``assert_accessible(page)`` fails, printing each one, on any violation of
impact "serious" or "critical" (missing labels, too little contrast, landmarks, ARIA misuse,
...); the lesser ones are printed only."""

from __future__ import annotations

from typing import Any

BLOCKING = ("serious", "critical")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` as it stands (WCAG 2.x A and AA rules, best
    practices)."""
    from axe_playwright_python.sync_playwright import Axe

    return list(Axe().run(page).response["violations"])


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str = "") -> None:
    """No serious or critical axe-core violation on ``page``; every violation is printed."""
    found = violations(page)
    label = where or page.url
    if found:
        print(f"axe-core on {label}:\n{describe(found)}")
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, f"accessibility violations on {label}:\n{describe(blocking)}"
