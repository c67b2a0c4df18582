"""What a recipient is told: Jinja2 templates in Vietnamese and English, by the user's language.

Each template ``templates/<language>/<kind>.j2`` has a ``subject`` block (one line) and a ``body``
block (plain text). Unknown languages fall back to Vietnamese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, Template

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("cascade_notifications", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def language_of(language: str | None) -> str:
    lang = (language or "").lower().split("-")[0]
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def format_day(value: Any, language: str) -> str:
    """A date as people write it: 30/09/2026 in Vietnamese, 2026-09-30 in English."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.strftime("%d/%m/%Y" if language == "vi" else "%Y-%m-%d")


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_ROMAN = ("I", "II", "III", "IV")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_period(value: Any, language: str) -> str:
    """A reporting period as people write it: ``2026-03`` is tháng 3/2026 (March 2026),
    ``2026-Q1`` quý I/2026 (Q1 2026), ``2026`` năm 2026 (2026); anything else as given."""
    key = str(value or "")
    vi = language == "vi"
    if m := _MONTH.match(key):
        year, month = m[1], int(m[2])
        return f"tháng {month}/{year}" if vi else f"{_MONTHS_EN[month - 1]} {year}"
    if m := _QUARTER.match(key):
        year, quarter = m[1], int(m[2])
        return f"quý {_ROMAN[quarter - 1]}/{year}" if vi else f"Q{quarter} {year}"
    if _YEAR.match(key):
        return f"năm {key}" if vi else key
    return key


def format_number(value: Any, language: str) -> str:
    """A figure with at most two decimals: 87,5 in Vietnamese, 87.5 in English."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "vi" else text


ROLE_LABELS = {
    "vi": {
        "head": "người đứng đầu",
        "approver": "người phê duyệt",
        "drafter": "cán bộ soạn thảo",
        "auditor": "cán bộ kiểm tra",
        "admin": "quản trị hệ thống",
    },
    "en": {
        "head": "head",
        "approver": "approver",
        "drafter": "drafter",
        "auditor": "auditor",
        "admin": "administrator",
    },
}
"""The roles as a message names them (a step "waits on the approver of Thành phố Huế")."""


def context_of(payload: dict[str, Any], language: str) -> dict[str, Any]:
    """The template variables of an event's payload, with the names templates use.

    Units are named by ``<field>_name`` when the caller added it (the directory's name), else by
    their code; periods, dates and figures are written the reader's way."""
    return {
        **payload,
        "title": payload.get("title") or payload.get("plan_title") or "",
        "version": payload.get("version") or payload.get("plan_version") or "",
        "comment": payload.get("comment") or "",
        "comments": payload.get("comments") or [],
        "reason": payload.get("reason") or "",
        "step_no": payload.get("step_no", ""),
        "due": format_day(payload.get("due_at") or payload.get("due_on"), language),
        "deadline": format_day(payload.get("deadline"), language),
        "period": format_period(payload.get("period"), language),
        "score": format_number(payload.get("score"), language),
        "unit_name": payload.get("unit_name") or payload.get("unit") or "",
        "plan_unit_name": (
            payload.get("plan_unit_name")
            or payload.get("plan_unit")
            or payload.get("unit_name")
            or payload.get("unit")
            or ""
        ),
        "role_label": ROLE_LABELS.get(language, ROLE_LABELS["en"]).get(
            str(payload.get("role") or ""), str(payload.get("role") or "")
        ),
        "escalated_to_unit_name": (
            payload.get("escalated_to_unit_name") or payload.get("escalated_to_unit") or ""
        ),
        "lead_unit_name": payload.get("lead_unit_name") or payload.get("lead_unit") or "",
    }


def _template(kind: str, language: str) -> Template:
    return _environment().get_template(f"{language}/{kind}.j2")


def render_kind(kind: str, values: dict[str, Any], language: str | None) -> Message:
    """Render the message of ``kind`` for a reader of ``language``."""
    lang = language_of(language)
    template = _template(kind, lang)
    context = template.new_context(context_of(values, lang))
    subject = " ".join("".join(template.blocks["subject"](context)).split())
    body = "".join(template.blocks["body"](context)).strip()
    return Message(kind=kind, title=subject, body=body)
