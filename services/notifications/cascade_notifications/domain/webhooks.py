"""Webhook signatures, matching and the retry schedule, free of HTTP and SQL.

A call carries ``Cascade-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` where the HMAC key is
the subscription's secret and the message is ``<t>.<raw body>``; receivers recompute it, compare
in constant time and refuse stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from types import SimpleNamespace
from typing import cast

from cascade_shared.units import unit_within
from tenacity import RetryCallState, wait_exponential

SIGNATURE_HEADER = "Cascade-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` s old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def subscribed(
    sub_unit: str, event_types: Sequence[str], event_type: str, event_unit: str | None
) -> bool:
    """A subscription hears of events about its unit and the units below, of the chosen types."""
    if event_unit is None or not unit_within(event_unit, sub_unit):
        return False
    return not event_types or event_type in event_types


def retry_delay(attempts: int, *, base: float, cap: float) -> float:
    """Seconds to wait after the ``attempts``-th failed try: base, 2·base, 4·base, ... ≤ cap."""
    wait = wait_exponential(multiplier=base, min=base, max=cap)
    # The wait reads only the attempt number of the state tenacity would pass it.
    state = cast("RetryCallState", SimpleNamespace(attempt_number=max(attempts, 1)))
    return float(wait(state))
