"""E-mails to the people of a unit's subtree, as the unit's heads and admins see them: which
went out, which wait, which are dead after every try; and sending a dead one again."""

from __future__ import annotations

from typing import Any, Literal

from cascade_shared.params import Id
from cascade_shared.problems import not_found
from cascade_shared.units import like_prefix
from fastapi import APIRouter, Query
from sqlmodel import col, or_, select

from cascade_notifications.api.deps import CurrentUser, Runtime, SessionDep
from cascade_notifications.api.routes.webhooks import DeliveryOut
from cascade_notifications.models import Delivery, Recipient
from cascade_notifications.store import send_again

router = APIRouter(prefix="/api/notifications/emails", tags=["e-mails"])

MANAGERS = ("head", "admin")


class EmailOut(DeliveryOut):
    recipient: str
    unit: str
    """The recipient's unit."""
    target: str
    """The e-mail address it was (or will be) sent to."""
    subject: str


def _out(row: Delivery, unit: str) -> dict[str, Any]:
    return {**row.model_dump(exclude={"body", "channel"}), "unit": unit}


@router.get("", response_model=list[EmailOut])
async def emails(
    user: CurrentUser,
    session: SessionDep,
    state: Literal["pending", "digest", "digested", "sent", "dead"] | None = Query(
        default=None, description="only e-mails in this state (dead: every try failed)"
    ),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """E-mails to people of your unit and the units below it, newest first."""
    user.require_role(*MANAGERS)
    query = (
        select(Delivery, Recipient.unit)
        .join(Recipient, col(Recipient.username) == col(Delivery.recipient))
        .where(
            col(Delivery.channel) == "email",
            or_(
                col(Recipient.unit) == user.unit,
                col(Recipient.unit).like(like_prefix(user.unit), escape="\\"),
            ),
        )
    )
    if state:
        query = query.where(col(Delivery.state) == state)
    query = query.order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc()).limit(limit)
    return [_out(row, unit) for row, unit in (await session.exec(query)).all()]


@router.post("/{delivery_id}/resend", response_model=EmailOut)
async def resend(
    delivery_id: Id, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Send a dead (or already sent) e-mail again once the mail server is back, with a fresh
    count of attempts. It keeps its ``Message-ID``, so mail clients show it once."""
    user.require_role(*MANAGERS)
    row = await session.get(Delivery, delivery_id)
    person = await session.get(Recipient, row.recipient) if row is not None else None
    if row is None or row.channel != "email" or person is None or not user.sees(person.unit):
        raise not_found("e-mail", delivery_id)
    unit = person.unit
    return _out(await send_again(session, runtime, row), unit)
