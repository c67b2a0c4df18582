"""What a recipient is told: Jinja2 templates in Vietnamese and English, by the user's language.

Each template ``templates/<language>/<kind>.j2`` has a ``subject`` block (one line) and a ``body``
block (plain text). Unknown languages fall back to Vietnamese.
"""

from __future__ import annotations

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


def context_of(payload: dict[str, Any], language: str) -> dict[str, Any]:
    """The template variables of an event's payload, with the names templates use."""
    return {
        **payload,
        "title": payload.get("title") or payload.get("plan_title") or "",
        "version": payload.get("version") or payload.get("plan_version") or "",
        "comment": payload.get("comment") or "",
        "comments": payload.get("comments") or [],
        "step_no": payload.get("step_no", ""),
        "due": format_day(payload.get("due_at"), language),
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
