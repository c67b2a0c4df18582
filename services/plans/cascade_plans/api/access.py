"""Who may see and change a plan."""

from __future__ import annotations

from cascade_shared.auth import Principal
from cascade_shared.problems import conflict, forbidden
from cascade_shared.units import unit_within
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_plans import store
from cascade_plans.domain.plan import can_edit
from cascade_plans.models import Plan, TaskGroup
from cascade_plans.payloads import plan_ref

__all__ = ["plan_ref"]  # the routes take it from here with the access checks


def require_drafter_of(user: Principal, plan: Plan) -> None:
    """Only drafters of the plan's own unit change it."""
    user.require_role("drafter")
    if user.unit != plan.unit:
        raise forbidden(f"only drafters of {plan.unit} may change this plan")


def require_editable(plan: Plan) -> None:
    if not can_edit(plan.status):
        raise conflict(f"a {plan.status} plan cannot be edited", plan_status=plan.status)


def may_read(user: Principal, plan: Plan) -> bool:
    """A unit reads its own plans and those below it, and, of the units above it, the plans in
    force (approved, a revision under way or not): the programs it concretizes. A draft above
    stays with its own unit."""
    if user.sees(plan.unit):
        return True
    return unit_within(user.unit, plan.unit) and plan.in_force_version is not None


async def visible_plan(
    session: AsyncSession, user: Principal, plan_id: str, *, for_update: bool = False
) -> Plan:
    plan = await store.get_plan(session, plan_id, for_update=for_update)
    if not may_read(user, plan):
        raise forbidden(f"plan {plan_id} belongs to {plan.unit}, outside your unit {user.unit}")
    return plan


async def editable_plan(session: AsyncSession, user: Principal, plan_id: str) -> Plan:
    plan = await visible_plan(session, user, plan_id, for_update=True)
    require_drafter_of(user, plan)
    require_editable(plan)
    return plan


def refuse_frozen(frozen: dict[str, TaskGroup], group_id: str | None, field: str) -> None:
    """A task group an approver approved in a partial decision stays as approved, its tasks
    with it, until the plan is decided as a whole: a change to it is refused (409) naming
    ``field``."""
    group = frozen.get(group_id or "")
    if group is None:
        return
    raise conflict(
        f"task group {group.code} was approved in version {group.approved_in_version}"
        + (f" by {group.approved_by}" if group.approved_by else "")
        + ": it and its tasks stay as approved while the returned groups are revised",
        errors=[{"field": field, "reason": f"task group {group.code} is approved and frozen"}],
        task_group=group.code,
    )
