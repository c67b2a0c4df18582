"""The portal's message catalogue: every label in both languages, and every label a template
asks for is in the catalogue."""

from __future__ import annotations

import re

from cascade_portal.i18n import MESSAGES, REASONS_VI, pick_language, reason_in, translate
from cascade_portal.web import PACKAGE

USED = re.compile(r"""\bt\(\s*'([a-z_.-]+)'\s*\)""")


def test_every_label_is_in_vietnamese_and_english() -> None:
    for key, (vi, en) in MESSAGES.items():
        assert vi.strip() and en.strip(), key
    same = [k for k, (vi, en) in MESSAGES.items() if vi == en and k not in ("status.none",)]
    assert same == []  # a label left untranslated shows up here


def test_every_label_the_templates_use_exists() -> None:
    used = set()
    for template in (PACKAGE / "templates").glob("*.html"):
        used |= set(USED.findall(template.read_text(encoding="utf-8")))
    assert used, "no labels found: the pattern is wrong"
    assert sorted(used - set(MESSAGES)) == []


def test_vietnamese_is_the_default_and_english_is_available() -> None:
    assert pick_language(None) == "vi"
    assert pick_language("fr") == "vi"
    assert pick_language("en") == "en"
    assert translate("plan.submit", "vi") == "Trình duyệt"
    assert translate("plan.submit", "en") == "Submit for approval"
    assert translate("no.such.key", "vi") == "no.such.key"


def test_known_api_reasons_are_translated_and_others_shown_raw() -> None:
    for reason, vi in REASONS_VI.items():
        assert reason_in(reason, "vi") == vi and vi != reason
        assert reason_in(reason, "en") == reason
    assert reason_in("something new from the API", "vi") == "something new from the API"


def test_labels_built_from_api_values_exist() -> None:
    from cascade_notifications.api.routes.preferences import KINDS as NOTIFICATION_KINDS
    from cascade_portal.chart import LABEL_KEYS

    statuses = ("none", "draft", "submitted", "returned", "approved", "rejected", "withdrawn")
    keys = [f"status.{s}" for s in statuses]
    keys += [f"kind.{k}" for k in NOTIFICATION_KINDS if k != "*"]
    keys += [f"element.{e}" for e in ("job", "person", "responsibility", "timeline", "product")]
    keys += [f"role.{r}" for r in ("drafter", "head", "approver", "auditor", "admin")]
    keys += list(LABEL_KEYS.values())
    assert [k for k in keys if k not in MESSAGES] == []
