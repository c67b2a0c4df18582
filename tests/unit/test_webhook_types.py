"""Webhooks only promise what is delivered: the event types a subscription may name are derived
from what the notifications service is bound to and handles by telling people (plus the events it
records itself), never from the whole catalogue; the OpenAPI schema offers exactly those, and
any other type is refused with a problem that lists them."""

from __future__ import annotations

from cascade_notifications.api.routes.webhooks import (
    DELIVERABLE_EVENT_TYPES,
    SubscriptionIn,
    not_deliverable,
)
from cascade_notifications.domain.recipients import RESULT_EVENTS
from cascade_notifications.handlers import HANDLERS, on_event_for_people
from cascade_shared.chassis.registry import subscriptions
from cascade_shared.events import CATALOGUE

BOUND = set(subscriptions()["notifications"])


def test_every_deliverable_type_reaches_the_service_and_is_told() -> None:
    for event_type in DELIVERABLE_EVENT_TYPES:
        assert event_type in CATALOGUE, event_type
        spec = CATALOGUE[event_type]
        if spec.producer == "notifications":
            continue  # recorded by the service itself, and queued for webhooks right there
        assert event_type in BOUND, event_type  # the queue brings it
        assert HANDLERS[event_type] is on_event_for_people, event_type  # which queues the calls
    assert len(set(DELIVERABLE_EVENT_TYPES)) == len(DELIVERABLE_EVENT_TYPES)
    assert list(DELIVERABLE_EVENT_TYPES) == [t for t in CATALOGUE if t in DELIVERABLE_EVENT_TYPES]


def test_the_set_is_what_people_are_told_of_and_nothing_read_only() -> None:
    told = {t for t, h in HANDLERS.items() if h is on_event_for_people}
    assert set(DELIVERABLE_EVENT_TYPES) == told | {"notification.announced"}
    assert set(RESULT_EVENTS) <= set(DELIVERABLE_EVENT_TYPES)
    # Read models: received, but nobody (no system either) is told of them.
    for event_type in (
        "directory.unit_changed",
        "directory.user_changed",
        "approval.delegation_granted",
        "approval.delegation_revoked",
    ):
        assert event_type in BOUND and event_type not in DELIVERABLE_EVENT_TYPES
    # In the catalogue, but never routed to notifications: refused rather than silently dropped.
    for event_type in set(CATALOGUE) - BOUND - {"notification.announced"}:
        assert event_type not in DELIVERABLE_EVENT_TYPES, event_type
    assert "plan.submitted" not in DELIVERABLE_EVENT_TYPES
    assert "audit.checkpoint_sealed" not in DELIVERABLE_EVENT_TYPES


def test_the_schema_offers_exactly_the_deliverable_types() -> None:
    schema = SubscriptionIn.model_json_schema()["properties"]["event_types"]
    assert schema["items"]["enum"] == list(DELIVERABLE_EVENT_TYPES)
    assert "event-types" in schema["description"]


def test_the_refusal_names_the_field_and_lists_the_choices() -> None:
    problem = not_deliverable(["plan.approved", "plan.submitted", "nonsense", "plan.submitted"])
    body = problem.body()
    assert problem.status == 422
    assert body["type"].endswith("/validation")
    assert body["errors"] == [
        {
            "field": "body.event_types",
            "reason": "not delivered to webhooks: plan.submitted, nonsense",
        }
    ]
    assert body["deliverable_event_types"] == list(DELIVERABLE_EVENT_TYPES)
    for event_type in DELIVERABLE_EVENT_TYPES:
        assert event_type in body["detail"]
