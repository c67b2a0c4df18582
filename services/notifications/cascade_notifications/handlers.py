"""The notifications service's event handlers."""

from __future__ import annotations

from cascade_shared.envelope import Envelope, utcnow
from cascade_shared.events import UserChanged
from cascade_shared.service import HandlerContext
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from cascade_notifications.domain.messages import (
    Person,
    recipients_of_outcome,
    recipients_of_step,
    render,
)
from cascade_notifications.models import Notification, Recipient


async def on_user_changed(ctx: HandlerContext, envelope: Envelope) -> None:
    user = UserChanged.model_validate(envelope.payload)
    existing = await ctx.session.get(Recipient, user.username)
    row = existing or Recipient(username=user.username, name=user.name, unit=user.unit)
    for key, value in user.model_dump().items():
        setattr(row, key, value)
    ctx.session.add(row)


async def _people(ctx: HandlerContext, units: set[str]) -> list[Person]:
    rows = (
        await ctx.session.exec(
            select(Recipient).where(col(Recipient.unit).in_(units), Recipient.active == True)  # noqa: E712
        )
    ).all()
    return [Person(r.username, r.unit, tuple(r.roles), r.language) for r in rows]


async def _deliver(
    ctx: HandlerContext, envelope: Envelope, people: list[Person], plan_id: str | None
) -> None:
    """One in-app entry per recipient; the unique key makes a repeat insert nothing."""
    if not people:
        return
    now = utcnow()
    rows = []
    for person in people:
        message = render(envelope.type, envelope.payload, person.language)
        rows.append(
            Notification(
                event_id=str(envelope.id),
                event_type=envelope.type,
                recipient=person.username,
                channel="inapp",
                kind=message.kind,
                title=message.title,
                body=message.body,
                plan_id=plan_id,
                created_at=now,
            ).model_dump()
        )
    dialect = ctx.session.bind.dialect.name if ctx.session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Notification.__table__  # type: ignore[attr-defined]
    await ctx.session.execute(
        insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["event_id", "recipient", "channel"])
    )


async def on_plan_outcome(ctx: HandlerContext, envelope: Envelope) -> None:
    payload = envelope.payload
    people = await _people(ctx, {payload["unit"]})
    known = {p.username for p in people}
    if payload["drafter"] not in known:
        drafter = await ctx.session.get(Recipient, payload["drafter"])
        if drafter is not None:
            people.append(
                Person(drafter.username, drafter.unit, tuple(drafter.roles), drafter.language)
            )
    await _deliver(
        ctx,
        envelope,
        recipients_of_outcome(payload["drafter"], payload["unit"], people),
        payload.get("plan_id"),
    )


async def on_step_assigned(ctx: HandlerContext, envelope: Envelope) -> None:
    payload = envelope.payload
    people = await _people(ctx, {payload["unit"]})
    await _deliver(
        ctx,
        envelope,
        recipients_of_step(payload["unit"], payload["role"], people),
        payload.get("plan_id"),
    )


HANDLERS = {
    "directory.user_changed": on_user_changed,
    "approval.step_assigned": on_step_assigned,
    "plan.approved": on_plan_outcome,
    "plan.returned": on_plan_outcome,
    "plan.rejected": on_plan_outcome,
}
