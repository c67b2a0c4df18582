"""Signed webhook calls to other government systems, with httpx."""

from __future__ import annotations

import time

import httpx

from cascade_notifications.domain.webhooks import SIGNATURE_HEADER, signature


def webhook_headers(
    *, secret: str, body: bytes, delivery_id: str, event_id: str, event_type: str
) -> dict[str, str]:
    """Headers of one call: the HMAC signature over timestamp and body, and stable ids so the
    receiver can drop a repeat (``Idempotency-Key`` is the same on every retry of a delivery)."""
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, int(time.time()), body),
        "Idempotency-Key": delivery_id,
        "Cascade-Event-Id": event_id,
        "Cascade-Event-Type": event_type,
    }


async def post_webhook(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> None:
    """POST the call; anything but a 2xx answer is a failure to retry."""
    response = await client.post(url, content=body, headers=headers)
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"HTTP {response.status_code} from {url}")
