"""Readiness of the outbox relay: moving, stopped, or stuck for longer than allowed."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from cascade_shared.chassis.health import relay_check
from cascade_shared.settings import Settings


def runtime_with(*, running: bool, last_pass_ago: float | None) -> Any:
    relay = SimpleNamespace(
        running=running,
        stuck_for=lambda: 0.0 if last_pass_ago is None else last_pass_ago,
    )
    return SimpleNamespace(relay=relay, settings=Settings(relay_stuck_seconds=30))


def test_a_moving_relay_is_ready() -> None:
    assert relay_check(runtime_with(running=True, last_pass_ago=0.5)) == "ok"
    assert relay_check(runtime_with(running=True, last_pass_ago=None)) == "ok"


def test_a_stopped_or_stuck_relay_is_not() -> None:
    assert relay_check(runtime_with(running=False, last_pass_ago=0.5)) == "stopped"
    assert relay_check(runtime_with(running=True, last_pass_ago=95)) == "no pass for 95 s"


def test_the_relay_counts_the_time_since_its_last_pass() -> None:
    from cascade_shared.outbox import OutboxRelay

    relay = OutboxRelay.__new__(OutboxRelay)
    relay.last_pass_at = None
    assert relay.stuck_for() == 0.0
    relay.last_pass_at = time.monotonic() - 40
    assert 39 < relay.stuck_for() < 60
