"""Generated documents match the code: regenerate with ``python -m cascade_shared.chassis.docs``."""

from __future__ import annotations

import json
from pathlib import Path

from cascade_shared.chassis.docs import catalogue_markdown, openapi, with_catalogue
from cascade_shared.chassis.registry import subscriptions
from cascade_shared.events import CATALOGUE

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_event_catalogue_doc_is_current() -> None:
    text = (DOCS / "events.md").read_text(encoding="utf-8")
    assert with_catalogue(text) == text
    for event_type in CATALOGUE:
        assert f"`{event_type}`" in catalogue_markdown()


def test_every_subscribed_type_is_in_the_catalogue() -> None:
    for patterns in subscriptions().values():
        for pattern in patterns:
            assert pattern == "#" or pattern in CATALOGUE


def test_openapi_doc_is_current() -> None:
    stored = json.loads((DOCS / "openapi.json").read_text(encoding="utf-8"))
    assert stored == json.loads(json.dumps(openapi()))
