"""Webhook subscriptions of other government systems (heads and admins of a unit), their
deliveries, and replay of a dead or past delivery.

A subscription may only name the event types a webhook is actually called for
(:data:`DELIVERABLE_EVENT_TYPES`, derived from the service's handlers); any other is refused
with a 422 that lists them, and ``GET .../webhooks/event-types`` shows them."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from cascade_shared.events import CATALOGUE
from cascade_shared.params import Id, RequestBody
from cascade_shared.problems import Problem, not_found
from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator, BaseModel, Field, HttpUrl, UrlConstraints
from sqlmodel import col, select

from cascade_notifications.api.deps import CurrentUser, Runtime, SessionDep
from cascade_notifications.handlers import HANDLERS, on_event_for_people
from cascade_notifications.models import Delivery, WebhookSubscription
from cascade_notifications.store import send_again

router = APIRouter(prefix="/api/notifications/webhooks", tags=["webhooks"])

MANAGERS = ("head", "admin")
MAX_URL = 1000
"""The longest webhook URL kept (its column's length)."""


SERVICE = "notifications"


def deliverable_event_types() -> tuple[str, ...]:
    """The event types a webhook is called for, in catalogue order: those the service's queue
    brings to the handler that tells people (it queues the webhook calls in the same
    transaction, :func:`~cascade_notifications.handlers.deliver`), and those the service
    records itself (``notification.announced``, queued where it is recorded). The read-model
    events it also receives (``directory.*``, ``approval.delegation_*``) and the events it is
    not bound to never reach a webhook."""
    told = {t for t, handler in HANDLERS.items() if handler is on_event_for_people}
    own = {t for t, spec in CATALOGUE.items() if spec.producer == SERVICE}
    return tuple(t for t in CATALOGUE if t in told | own)


DELIVERABLE_EVENT_TYPES = deliverable_event_types()
"""What ``event_types`` may name (see :func:`deliverable_event_types`)."""


def not_deliverable(event_types: list[str]) -> Problem:
    """The 422 for a subscription naming types no webhook is called for; it lists the types
    that are (``deliverable_event_types``, and in ``detail``)."""
    refused = list(dict.fromkeys(t for t in event_types if t not in DELIVERABLE_EVENT_TYPES))
    reason = f"not delivered to webhooks: {', '.join(refused)}"
    return Problem(
        422,
        "Invalid request",
        f"body.event_types: {reason}; choose among: {', '.join(DELIVERABLE_EVENT_TYPES)}",
        type_="validation",
        errors=[{"field": "body.event_types", "reason": reason}],
        deliverable_event_types=list(DELIVERABLE_EVENT_TYPES),
    )


def _storable_url(url: HttpUrl) -> HttpUrl:
    # Normalising may lengthen it (an international host in punycode): the stored form counts.
    if len(str(url)) > MAX_URL:
        raise ValueError(f"URL should have at most {MAX_URL} characters")
    return url


class SubscriptionIn(RequestBody):
    url: Annotated[HttpUrl, UrlConstraints(max_length=MAX_URL), AfterValidator(_storable_url)]
    unit: str | None = Field(default=None, max_length=200, description="default: your own unit")
    event_types: list[
        Annotated[
            str, Field(max_length=100, json_schema_extra={"enum": list(DELIVERABLE_EVENT_TYPES)})
        ]
    ] = Field(
        default_factory=list,
        description="the event types to be called for (GET /api/notifications/webhooks/"
        "event-types lists them; any other is refused with 422); empty: every one of them",
    )
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="default: generated"
    )


class SubscriptionOut(BaseModel):
    id: str
    unit: str
    url: str
    event_types: list[str]
    active: bool
    created_by: str
    created_at: Any


class SubscriptionCreated(SubscriptionOut):
    secret: str
    """Shown once: the HMAC-SHA256 key the receiver verifies ``Cascade-Signature`` with."""


class EventTypeOut(BaseModel):
    type: str
    producer: str
    description: str


class DeliveryOut(BaseModel):
    id: str
    event_id: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: Any
    last_error: str | None
    created_at: Any
    sent_at: Any


async def _subscription(
    session: SessionDep, user: CurrentUser, subscription_id: Id
) -> WebhookSubscription:
    user.require_role(*MANAGERS)
    row = await session.get(WebhookSubscription, subscription_id)
    if row is None or not user.sees(row.unit):
        raise not_found("webhook subscription", subscription_id)
    return row


@router.get("/event-types", response_model=list[EventTypeOut])
async def event_types(user: CurrentUser) -> list[dict[str, Any]]:
    """The event types a subscription may choose: exactly those a webhook is called for."""
    return [
        {"type": t, "producer": CATALOGUE[t].producer, "description": CATALOGUE[t].description}
        for t in DELIVERABLE_EVENT_TYPES
    ]


@router.post("", response_model=SubscriptionCreated, status_code=201)
async def subscribe(body: SubscriptionIn, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Subscribe a system to the events of a unit's subtree; calls are signed with the secret.
    ``event_types`` may only name types a webhook is called for (422 otherwise, listing them
    in ``deliverable_event_types``)."""
    if any(t not in DELIVERABLE_EVENT_TYPES for t in body.event_types):
        raise not_deliverable(body.event_types)
    user.require_role(*MANAGERS)
    unit = body.unit or user.unit
    user.require_sees(unit)
    row = WebhookSubscription(
        unit=unit,
        url=str(body.url),
        secret=body.secret or secrets.token_urlsafe(32),
        event_types=body.event_types,
        created_by=user.username,
    )
    session.add(row)
    await session.commit()
    return row.model_dump()


@router.get("", response_model=list[SubscriptionOut])
async def subscriptions(user: CurrentUser, session: SessionDep) -> list[dict[str, Any]]:
    """The subscriptions of your unit and the units below it (secrets are never shown again)."""
    user.require_role(*MANAGERS)
    query = select(WebhookSubscription).order_by(col(WebhookSubscription.created_at))
    rows = (await session.exec(query)).all()
    return [r.model_dump() for r in rows if user.sees(r.unit)]


@router.delete("/{subscription_id}", status_code=204)
async def unsubscribe(subscription_id: Id, user: CurrentUser, session: SessionDep) -> Response:
    """Stop a subscription; its queued calls go dead instead of being sent."""
    row = await _subscription(session, user, subscription_id)
    row.active = False
    session.add(row)
    await session.commit()
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=list[DeliveryOut])
async def deliveries(
    subscription_id: Id,
    user: CurrentUser,
    session: SessionDep,
    state: Literal["pending", "sent", "dead"] | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """The calls made (or to be made) to a subscription, newest first."""
    await _subscription(session, user, subscription_id)
    query = select(Delivery).where(
        Delivery.channel == "webhook", Delivery.recipient == subscription_id
    )
    if state:
        query = query.where(Delivery.state == state)
    rows = (await session.exec(query.order_by(col(Delivery.created_at).desc()).limit(limit))).all()
    return [r.model_dump() for r in rows]


@router.post("/deliveries/{delivery_id}/replay", response_model=DeliveryOut)
async def replay(
    delivery_id: Id, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Send a delivery again (a dead one, or a sent one the receiver lost), with a fresh count
    of attempts. The call keeps its ``Idempotency-Key`` and event id."""
    row = await session.get(Delivery, delivery_id)
    if row is None or row.channel != "webhook":
        raise not_found("webhook delivery", delivery_id)
    await _subscription(session, user, row.recipient)
    return (await send_again(session, runtime, row)).model_dump()
