"""Each service's broker user may publish exactly the event types it produces and read only its
own queues; a consumer refuses an event its claimed producer could not have sent."""

from __future__ import annotations

import re

from cascade_shared.bus.rabbitmq import REPLAYED_FROM, RabbitMQBus
from cascade_shared.chassis.broker_users import broker_user, broker_users, rabbitmqctl_commands
from cascade_shared.envelope import Envelope
from cascade_shared.events import CATALOGUE

TEMPLATE = "cascade-{service}"


def test_each_user_publishes_exactly_its_own_event_types() -> None:
    users = {u.service: u for u in broker_users(TEMPLATE, "cascade")}
    assert set(users) == {"plans", "approvals", "notifications", "results", "audit"}
    for type_, spec in CATALOGUE.items():
        for service, user in users.items():
            allowed = re.fullmatch(user.topic_write, type_) is not None
            assert allowed is (spec.producer == service), (service, type_)


def test_a_user_reads_only_its_own_queues_and_binds_the_exchanges() -> None:
    plans = broker_user("plans", TEMPLATE, "cascade")
    assert plans.name == "cascade-plans"
    for readable in ("cascade.plans", "cascade.plans.dead", "cascade.events", "cascade.dlx"):
        assert re.match(plans.read, readable), readable
    for other in ("cascade.audit", "cascade.approvals.dead", "other.plans"):
        assert not re.match(plans.read, other), other
    assert re.match(plans.write, "amq.default")  # replays go back through the default exchange


def test_the_commands_name_every_user() -> None:
    lines = rabbitmqctl_commands(broker_users(TEMPLATE, "cascade"), "/", "pw")
    assert sum(line.startswith("rabbitmqctl add_user cascade-") for line in lines) == 5
    assert all("set_topic_permissions" in line for line in lines[2::3])


def _bus(template: str | None) -> RabbitMQBus:
    return RabbitMQBus(
        "amqp://cascade-audit:secret@broker/", namespace="cascade", producer_user=template
    )


def _event(type_: str, producer: str) -> Envelope:
    return Envelope(type=type_, producer=producer, payload={})


def test_a_consumer_applies_only_what_its_producer_sent() -> None:
    bus = _bus(TEMPLATE)
    assert bus.user == "cascade-audit"
    good = _event("plan.approved", "plans")
    assert bus.refusal(good, "cascade-plans", {}) is None
    assert "broker user guest sent it" in str(bus.refusal(good, "guest", {}))
    assert "broker user unknown" in str(bus.refusal(good, None, {}))
    wrong_type = _event("plan.approved", "approvals")
    assert "approvals does not produce plan.approved" in str(
        bus.refusal(wrong_type, "cascade-approvals", {})
    )
    assert "not an event type" in str(bus.refusal(_event("made.up", "plans"), "cascade-plans", {}))


def test_a_replay_by_the_consumer_itself_keeps_the_original_sender() -> None:
    bus = _bus(TEMPLATE)
    event = _event("plan.approved", "plans")
    assert bus.refusal(event, "cascade-audit", {REPLAYED_FROM: "cascade-plans"}) is None
    assert bus.refusal(event, "cascade-audit", {REPLAYED_FROM: "guest"}) is not None
    # Only the consumer's own user may vouch for a replay.
    assert bus.refusal(event, "guest", {REPLAYED_FROM: "cascade-plans"}) is not None


def test_without_a_template_nothing_is_checked() -> None:
    assert _bus(None).refusal(_event("made.up", "anyone"), None, {}) is None
