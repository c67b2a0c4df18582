"""Webhook subscriptions of other government systems (heads and admins of a unit), their
deliveries, and replay of a dead or past delivery."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from cascade_shared.events import CATALOGUE
from cascade_shared.params import Id, RequestBody
from cascade_shared.problems import not_found
from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator, BaseModel, Field, HttpUrl, UrlConstraints, field_validator
from sqlmodel import col, select

from cascade_notifications.api.deps import CurrentUser, Runtime, SessionDep
from cascade_notifications.models import Delivery, WebhookSubscription
from cascade_notifications.store import send_again

router = APIRouter(prefix="/api/notifications/webhooks", tags=["webhooks"])

MANAGERS = ("head", "admin")
MAX_URL = 1000
"""The longest webhook URL kept (its column's length)."""


def _storable_url(url: HttpUrl) -> HttpUrl:
    # Normalising may lengthen it (an international host in punycode): the stored form counts.
    if len(str(url)) > MAX_URL:
        raise ValueError(f"URL should have at most {MAX_URL} characters")
    return url


class SubscriptionIn(RequestBody):
    url: Annotated[HttpUrl, UrlConstraints(max_length=MAX_URL), AfterValidator(_storable_url)]
    unit: str | None = Field(default=None, max_length=200, description="default: your own unit")
    event_types: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, description="empty: every event"
    )
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="default: generated"
    )

    @field_validator("event_types")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in CATALOGUE]
        if unknown:
            raise ValueError(f"unknown event types: {', '.join(unknown)}")
        return value


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


@router.post("", response_model=SubscriptionCreated, status_code=201)
async def subscribe(body: SubscriptionIn, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Subscribe a system to the events of a unit's subtree; calls are signed with the secret."""
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
