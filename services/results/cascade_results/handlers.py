"""The results service's event handlers: approved plans become tracked items; the directory's
units are kept for names and levels."""

from __future__ import annotations

from cascade_shared.chassis.service import HandlerContext
from cascade_shared.envelope import Envelope, as_utc
from cascade_shared.events import PlanApproved, UnitChanged, UserChanged
from cascade_shared.projector import keeps_latest
from sqlmodel import select

from cascade_results.models import PersonView, TrackedIndicator, TrackedPlan, TrackedTask, UnitView

TASK_FIELDS = (
    "code",
    "job",
    "task_group",
    "lead_unit",
    "responsible_person",
    "start",
    "deadline",
    "milestones",
    "product_description",
    "product_quantity",
    "product_unit",
    "parent_task_id",
)


async def on_plan_approved(ctx: HandlerContext, envelope: Envelope) -> None:
    """Track every task and indicator of the plan now in force. A revision updates the items
    (same stable ids), retires those it removed and keeps every report already made."""
    event = PlanApproved.model_validate(envelope.payload)
    session = ctx.session
    plan = await session.get(TrackedPlan, event.plan_id, with_for_update=True)
    if plan is not None and plan.version > event.version:
        return  # an older version's approval, delivered late
    if plan is None:
        plan = TrackedPlan(
            plan_id=event.plan_id,
            unit=event.unit,
            unit_level=event.unit_level,
            title=event.title,
            version=event.version,
        )
    plan.title = event.title
    plan.version = event.version
    plan.parent_plan_id = event.parent_plan_id
    plan.term_start = event.term_start
    plan.term_end = event.term_end
    plan.approved_at = as_utc(envelope.occurred_at)
    session.add(plan)

    existing = {
        t.id: t
        for t in (
            await session.exec(select(TrackedTask).where(TrackedTask.plan_id == event.plan_id))
        ).all()
    }
    for item in event.tasks:
        task = existing.pop(item.id, None) or TrackedTask(
            id=item.id, plan_id=event.plan_id, unit=event.unit, code=item.code
        )
        for name in TASK_FIELDS:
            setattr(task, name, getattr(item, name))
        task.active = True
        task.plan_version = event.version
        session.add(task)
    for gone in existing.values():
        gone.active = False
        session.add(gone)

    parent_codes: dict[str, str] = {}
    if event.parent_plan_id:
        rows = await session.exec(
            select(TrackedIndicator).where(TrackedIndicator.plan_id == event.parent_plan_id)
        )
        parent_codes = {i.code: i.id for i in rows.all()}
    indicators = {
        i.id: i
        for i in (
            await session.exec(
                select(TrackedIndicator).where(TrackedIndicator.plan_id == event.plan_id)
            )
        ).all()
    }
    for indicator_item in event.indicators:
        indicator = indicators.pop(indicator_item.id, None) or TrackedIndicator(
            id=indicator_item.id,
            plan_id=event.plan_id,
            unit=event.unit,
            code=indicator_item.code,
            name=indicator_item.name,
            target=indicator_item.target,
            year=indicator_item.year,
        )
        indicator.code = indicator_item.code
        indicator.name = indicator_item.name
        indicator.measure = indicator_item.unit
        indicator.baseline = indicator_item.baseline
        indicator.target = indicator_item.target
        indicator.year = indicator_item.year
        indicator.comparator = indicator_item.comparator
        indicator.active = True
        if indicator.parent_indicator_id is None and indicator_item.code in parent_codes:
            indicator.parent_indicator_id = parent_codes[indicator_item.code]
        session.add(indicator)
    for gone_indicator in indicators.values():
        gone_indicator.active = False
        session.add(gone_indicator)


# Read models: the latest change of a unit or a person wins, whatever order they arrive in.
on_unit_changed = keeps_latest(UnitView, UnitChanged, tuple(UnitChanged.model_fields))


on_user_changed = keeps_latest(PersonView, UserChanged, ("username", "name", "unit"))


HANDLERS = {
    "plan.approved": on_plan_approved,
    "directory.unit_changed": on_unit_changed,
    "directory.user_changed": on_user_changed,
}
