"""The notifications service's rules, alone: recipients, preferences, templates, webhook
signatures and retry schedule, digest slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cascade_notifications.domain.digest import digest_event_id, next_digest_at
from cascade_notifications.domain.preferences import ChannelRule, channels_for
from cascade_notifications.domain.recipients import (
    TO_CONCRETIZE,
    DelegationRule,
    Person,
    addressees,
    needs_children,
    units_concerned,
)
from cascade_notifications.domain.templates import language_of, render_kind
from cascade_notifications.domain.webhooks import retry_delay, signature, subscribed, verify

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WARD = "vn.hue.huong-an"
PEOPLE = [
    Person("drafter.huong-an", WARD, ("drafter",)),
    Person("head.huong-an", WARD, ("head",)),
    Person("approver.hue", "vn.hue", ("approver",)),
    Person("approver2.hue", "vn.hue", ("approver",), "en"),
    Person("head.hue", "vn.hue", ("head",)),
    Person("deputy.hue", "vn.hue", ("drafter",)),
    Person("drafter.phu-xuan", "vn.hue.phu-xuan", ("drafter",)),
    Person("head.phu-xuan", "vn.hue.phu-xuan", ("head",)),
    Person("auditor.phu-xuan", "vn.hue.phu-xuan", ("auditor",)),
]


def names(result: list) -> dict[str, tuple[str, bool]]:
    return {a.person.username: (a.kind, a.critical) for a in result}


def step() -> dict[str, object]:
    return {"plan_id": "p", "plan_version": 1, "step_no": 2, "unit": "vn.hue", "role": "approver"}


def test_a_step_goes_to_the_units_approvers_and_their_delegates_in_force() -> None:
    delegations = [
        DelegationRule(
            "approver.hue", "deputy.hue", "vn.hue", NOW - timedelta(days=1), NOW + timedelta(days=1)
        ),
        DelegationRule(
            "approver.hue", "head.hue", "vn.hue", NOW + timedelta(days=1), NOW + timedelta(days=2)
        ),
        DelegationRule(
            "approver.hue",
            "head.phu-xuan",
            "vn.hue",
            NOW - timedelta(days=1),
            NOW + timedelta(days=1),
            active=False,
        ),
    ]
    got = names(
        addressees("approval.step_assigned", step(), PEOPLE, delegations=delegations, now=NOW)
    )
    assert got == {
        "approver.hue": ("approval.step_assigned", False),
        "approver2.hue": ("approval.step_assigned", False),
        "deputy.hue": ("approval.step_assigned", False),
    }


def test_deadlines_are_critical_and_escalation_goes_to_the_head_above() -> None:
    overdue = names(addressees("approval.step_overdue", step(), PEOPLE, now=NOW))
    assert set(overdue) == {"approver.hue", "approver2.hue"}
    assert all(critical for _, critical in overdue.values())
    payload = {**step(), "unit": WARD, "role": "head", "escalated_to_unit": "vn.hue"}
    escalated = names(addressees("approval.step_escalated", payload, PEOPLE, now=NOW))
    assert escalated == {"head.hue": ("approval.step_escalated", True)}
    assert units_concerned("approval.step_escalated", payload) == {"vn.hue"}


def test_a_returned_plan_goes_to_its_drafter_and_ward_head() -> None:
    payload = {"plan_id": "p", "unit": WARD, "unit_level": "ward", "drafter": "drafter.huong-an"}
    got = names(addressees("plan.returned", payload, PEOPLE, now=NOW))
    assert got == {
        "drafter.huong-an": ("plan.returned", False),
        "head.huong-an": ("plan.returned", False),
    }
    assert not needs_children("plan.approved", {**payload})


def test_a_city_program_in_force_tells_every_unit_below_to_write_its_plan() -> None:
    payload = {"plan_id": "p", "unit": "vn.hue", "unit_level": "city", "drafter": "deputy.hue"}
    assert needs_children("plan.approved", payload)
    got = names(
        addressees("plan.approved", payload, PEOPLE, child_units=["vn.hue.phu-xuan", WARD], now=NOW)
    )
    assert got["deputy.hue"] == ("plan.approved", False)
    assert got["head.hue"] == ("plan.approved", False)
    for who in ("drafter.phu-xuan", "head.phu-xuan", "drafter.huong-an", "head.huong-an"):
        assert got[who] == (TO_CONCRETIZE, False)
    assert "auditor.phu-xuan" not in got and "approver.hue" not in got


def test_preferences_choose_channels_but_critical_always_reaches_the_inbox() -> None:
    assert channels_for("plan.approved", False, {}, has_email=True).email
    assert not channels_for("plan.approved", False, {}, has_email=False).email
    quiet = {"*": ChannelRule(inapp=False, email=False)}
    mine = channels_for("plan.approved", False, quiet, has_email=True)
    assert not mine.inapp and not mine.email
    critical = channels_for("approval.step_overdue", True, quiet, has_email=True)
    assert critical.inapp and not critical.email
    digest = {"*": ChannelRule(digest=True), "plan.returned": ChannelRule(digest=False)}
    assert channels_for("plan.approved", False, digest, has_email=True).email_in_digest
    assert not channels_for("plan.returned", False, digest, has_email=True).email_in_digest
    assert not channels_for("approval.step_overdue", True, digest, has_email=True).email_in_digest


def test_templates_in_vietnamese_and_english_keep_diacritics_and_comments() -> None:
    payload = {
        "title": "Kế hoạch phường Hương An",
        "version": 2,
        "comment": "Bổ sung chỉ tiêu",
        "comments": [{"task_code": "HA-01", "text": "Nêu rõ sản phẩm đầu ra"}],
    }
    vi = render_kind("plan.returned", payload, "vi")
    assert vi.title == "Kế hoạch bị trả lại để chỉnh sửa: Kế hoạch phường Hương An"
    assert "Nhiệm vụ HA-01: Nêu rõ sản phẩm đầu ra" in vi.body
    assert "Ý kiến: Bổ sung chỉ tiêu" in vi.body
    en = render_kind("plan.returned", payload, "en-GB")
    assert en.title == "Plan returned for revision: Kế hoạch phường Hương An"
    assert "Task HA-01" in en.body
    due = render_kind(
        "approval.step_overdue",
        {**payload, "step_no": 2, "due_at": "2026-09-30T10:00:00+00:00"},
        "vi",
    )
    assert "30/09/2026" in due.body and due.title.startswith("Quá hạn phê duyệt")
    assert language_of("fr") == "vi" and language_of("EN") == "en"


def test_webhook_signature_verifies_and_refuses_tampering_and_stale_calls() -> None:
    body = '{"type": "plan.approved", "title": "Kế hoạch"}'.encode()
    header = signature("s3cret-key-of-the-receiver", 1_800_000_000, body)
    assert verify("s3cret-key-of-the-receiver", header, body, now=1_800_000_010)
    assert not verify("s3cret-key-of-the-receiver", header, body + b" ", now=1_800_000_010)
    assert not verify("another-secret-entirely", header, body, now=1_800_000_010)
    assert not verify("s3cret-key-of-the-receiver", header, body, now=1_800_001_000)
    assert not verify("s3cret-key-of-the-receiver", "garbage", body, now=1_800_000_000)


def test_webhook_subscriptions_match_their_subtree_and_types() -> None:
    assert subscribed("vn.hue", [], "plan.approved", WARD)
    assert not subscribed("vn.hue", [], "plan.approved", "vn.ha-noi")
    assert not subscribed("vn.hue", ["plan.returned"], "plan.approved", WARD)
    assert not subscribed("vn.hue", [], "plan.approved", None)


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    delays = [retry_delay(n, base=30, cap=600) for n in range(1, 8)]
    assert delays == [30, 60, 120, 240, 480, 600, 600]


def test_the_digest_slot_is_the_next_local_hour_and_keys_are_stable() -> None:
    # 09:00 UTC is 16:00 in Hanoi; the next 07:00 there is 00:00 UTC tomorrow.
    assert next_digest_at(NOW, hour=7, zone="Asia/Ho_Chi_Minh") == datetime(
        2026, 11, 24, 0, 0, tzinfo=UTC
    )
    early = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # 06:00 in Hanoi
    assert next_digest_at(early, hour=7, zone="Asia/Ho_Chi_Minh") == datetime(
        2026, 11, 23, 0, 0, tzinfo=UTC
    )
    day = NOW.date()
    assert digest_event_id("a", day) == digest_event_id("a", day) != digest_event_id("b", day)
