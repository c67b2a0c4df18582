"""The portal's message catalogue: every label in both languages, and every label a template
asks for is in the catalogue; every approval step of the routing policy and every event type
of the audit trail has its label (and its sentence) in both."""

from __future__ import annotations

import re
import string

from cascade_portal.i18n import MESSAGES, REASONS_VI, pick_language, reason_in, translate
from cascade_portal.web import PACKAGE

USED = re.compile(r"""\bt\(\s*'([a-z_.-]+)'\s*\)""")


def test_every_label_is_in_vietnamese_and_english() -> None:
    missing = [
        key
        for key, pair in MESSAGES.items()
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(str(x).strip() for x in pair))
    ]
    assert missing == []  # a key missing its Vietnamese or its English shows up here
    same = [k for k, (vi, en) in MESSAGES.items() if vi == en and k not in ("status.none",)]
    assert same == []  # a label left untranslated shows up here


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_fill_the_same_blanks() -> None:
    """A sentence says the same things in both languages: {who}, {plan}, {period}..."""
    differ = [k for k, (vi, en) in MESSAGES.items() if placeholders(vi) != placeholders(en)]
    assert differ == []


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
    # "Trình duyệt" also reads "web browser": the button says what it does.
    assert translate("plan.submit", "vi") == "Trình phê duyệt"
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


def test_every_approval_step_and_audit_event_has_its_words() -> None:
    """The routing policy's step names (slugs, as data) are labelled here; every event type the
    system records has a short label and a sentence, in both languages."""
    from cascade_approvals.domain.policy import load_policy
    from cascade_approvals.service import POLICY_FILE
    from cascade_shared.events import CATALOGUE

    policy = load_policy(POLICY_FILE)
    steps = {s.name for chain in policy.chains.values() for s in chain.steps}
    assert steps and sorted(f"step.{s}" for s in steps if f"step.{s}" not in MESSAGES) == []
    keys = [f"event.{kind}" for kind in CATALOGUE] + [f"says.{kind}" for kind in CATALOGUE]
    assert [k for k in keys if k not in MESSAGES] == []
