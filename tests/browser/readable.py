"""What an official reads on a screen speaks their language, not the system's: no unit code
(``vn.hue.huong-an``), login name (``drafter.huong-an``), approval step slug
(``city-decision``), event type (``plan.created``), ISO date (``2026-03-01``) or period code
(``2026-Q2``, ``2026-H1``, ``2026-03``) in the page's visible text (``document.body.innerText``)
or in the fields they can see. Codes may stay in URLs and attributes."""

from __future__ import annotations

import json
import re
from typing import Any

from cascade_approvals.service import POLICY_FILE
from cascade_plans.seed import DEMO_FILE
from cascade_shared.events import CATALOGUE


def _steps() -> list[str]:
    policy = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
    chains = policy["chains"].values()
    steps = [s for chain in chains for s in (chain["steps"] if "steps" in chain else chain)]
    return sorted({s["name"] for s in steps if s.get("name")}, key=len, reverse=True)


def _logins() -> list[str]:
    users = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["users"]
    return sorted({u["username"] for u in users if "." in u["username"]}, key=len, reverse=True)


def _either(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in words)


CODES: dict[str, re.Pattern[str]] = {
    "unit code": re.compile(r"(?<![\w.@/-])vn\.[a-z0-9][a-z0-9.-]*"),
    "login name": re.compile(
        rf"(?<![\w.@/-])(?:{_either(_logins())}|(?:drafter|head|approver\d*|auditor)\.[a-z0-9-]+)"
        r"(?![\w@-])"
    ),
    "approval step slug": re.compile(rf"(?<![\w-])(?:{_either(_steps())})(?![\w-])"),
    "event type": re.compile(rf"(?<![\w.])(?:{_either(sorted(CATALOGUE, key=len)[::-1])})\b"),
    "ISO date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "period code": re.compile(r"\b\d{4}-(?:Q\d|H\d|0[1-9]|1[0-2])\b"),
}

VISIBLE_FIELDS = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), textarea'
  )).filter(e => e.offsetParent !== null && e.name !== 'plan_id' && e.type !== 'url')
    .map(e => e.value).join('\\n')"""


def system_words(text: str) -> list[tuple[str, str, str]]:
    """Every code in ``text``: (what it is, the code, the words around it)."""
    found = []
    for kind, pattern in CODES.items():
        for m in pattern.finditer(text):
            around = " ".join(text[max(0, m.start() - 40) : m.end() + 40].split())
            found.append((kind, m.group(0), around))
    return found


def assert_reads_as_officials_write(page: Any) -> str:
    """The page's visible text (and the values of the fields in view) hold no code; returns the
    visible text for more checks."""
    text = str(page.evaluate("document.body.innerText"))
    fields = str(page.evaluate(VISIBLE_FIELDS))
    found = system_words(text) + system_words(fields)
    assert not found, f"{page.url} shows the system's words: {found}"
    return text
