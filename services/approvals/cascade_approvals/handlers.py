"""The approvals service's event handlers: submitted versions open cases; withdrawals close them;
directory changes keep the read model of who holds which role where."""

from __future__ import annotations

from cascade_shared.chassis.service import HandlerContext
from cascade_shared.envelope import Envelope
from cascade_shared.events import PlanDecided, PlanSubmitted, UserChanged
from cascade_shared.projector import keeps_latest

from cascade_approvals import cases
from cascade_approvals.models import DirectoryUser


async def on_plan_submitted(ctx: HandlerContext, envelope: Envelope) -> None:
    await cases.open_case(ctx, PlanSubmitted.model_validate(envelope.payload))


async def on_plan_withdrawn(ctx: HandlerContext, envelope: Envelope) -> None:
    await cases.withdraw(ctx, PlanDecided.model_validate(envelope.payload), envelope.actor)


# Who holds which role where: the latest change of a user wins, whatever order concurrent
# consumers or a replay deliver the changes in.
on_user_changed = keeps_latest(
    DirectoryUser, UserChanged, ("username", "name", "unit", "roles", "active")
)


HANDLERS = {
    "plan.submitted": on_plan_submitted,
    "plan.withdrawn": on_plan_withdrawn,
    "directory.user_changed": on_user_changed,
}
