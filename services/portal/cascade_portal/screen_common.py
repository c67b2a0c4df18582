"""What the portal's screens share: the flash after a redirect, a refusal shown on the page,
a form's typed text and numbers."""

from __future__ import annotations

from collections.abc import Collection

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from cascade_portal import official
from cascade_portal.i18n import MESSAGES
from cascade_portal.problems import Message, ProblemView
from cascade_portal.web import (
    Page,
)

FLASHES = {
    "saved",
    "submitted",
    "decided",
    "imported",
    "granted",
    "revoked",
    "read",
    "revising",
    "discarded",
}


def parent_unit(unit: str) -> str | None:
    return unit.rsplit(".", 1)[0] if "." in unit else None


def flash_of(request: Request, known: Collection[str] = FLASHES) -> str | None:
    """The notice a redirect asked for (``?done=``), when it is one of the ``known`` ones."""
    done = request.query_params.get("done")
    return done if done in known else None


# -- frame -----------------------------------------------------------------------------------------


def form_text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return str(value).strip()


def unreadable(key: str, field: str, text: str, lang: str) -> Message:
    """What was typed and could not be read, naming the field, in the user's language."""
    label = MESSAGES[field][1 if lang == "en" else 0] if field in MESSAGES else field
    words = MESSAGES[key][1 if lang == "en" else 0]
    return Message(words.replace("{field}", label).replace("{text}", text), "error", text)


def refusal(page: Page, refused: list[Message]) -> ProblemView:
    return ProblemView(422, page.t("error.invalid"), "", refused)


def form_number(value: str, lang: str = "vi") -> float | str | None:
    """A figure typed in a form, read the way the page's language writes it ("1.000" is one
    thousand in Vietnamese); what is not a figure goes on as typed, for the API to name the
    field and the reason."""
    if not value:
        return None
    try:
        return official.read_number(value, lang)
    except ValueError:
        return value
