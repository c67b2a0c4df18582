"""What every notifications worker shares: the tables they write through Core, and the
chassis that runs a step until it finds nothing, then waits for a wake-up or the poll interval."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cascade_shared.chassis.service import ServiceRuntime, WorkerFn
from cascade_shared.chassis.workers import periodic
from cascade_shared.db import table_of

from cascade_notifications.models import (
    Announcement,
    Delivery,
    Notification,
)
from cascade_notifications.store import (
    settings_of,
)

DELIVERY = table_of(Delivery)
NOTIFICATION = table_of(Notification)
ANNOUNCEMENT = table_of(Announcement)


def _poll_interval(runtime: ServiceRuntime) -> float:
    return settings_of(runtime).poll_interval


def worker(
    name: str, step: Callable[[ServiceRuntime], Awaitable[int]], wake: Callable[..., Any]
) -> WorkerFn:
    """Run ``step`` until it finds nothing, then wait for a wake-up or the poll interval."""
    return periodic(name, step, _poll_interval, wake=wake, drain=True)
