"""Who is told of an event, and what they are told (kept for callers of the first release).

The rules live in :mod:`.recipients` and the words in the Jinja2 templates (:mod:`.templates`).
"""

from __future__ import annotations

from typing import Any

from cascade_notifications.domain.recipients import (
    Person,
    recipients_of_outcome,
    recipients_of_step,
)
from cascade_notifications.domain.templates import Message, render_kind

__all__ = ["Message", "Person", "recipients_of_outcome", "recipients_of_step", "render"]


def render(event_type: str, payload: dict[str, Any], language: str) -> Message:
    return render_kind(event_type, payload, language)
