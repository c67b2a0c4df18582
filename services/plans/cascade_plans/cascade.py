"""Revisions that cascade, against the database: when a plan's revision is approved, the plans
below that concretize a task it changed or removed are asked to revise (once each, whatever the
deliveries); when a plan below is approved again, its open requests close; late requests are
chased and escalated by the revision chaser."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from cascade_shared.chassis.service import HandlerContext, ServiceRuntime
from cascade_shared.chassis.workers import periodic
from cascade_shared.db import rows_matched
from cascade_shared.envelope import utcnow
from cascade_shared.events import (
    PlanRevisionRequested,
    RevisionRequestDueSoon,
    RevisionRequestEscalated,
    RevisionRequestOverdue,
)
from cascade_shared.units import parent_unit
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_plans import store
from cascade_plans.domain.plan import blocks_new_plan
from cascade_plans.domain.revision import (
    RevisionTerms,
    affecting,
    chase_stages,
    parent_changes,
    request_due,
)
from cascade_plans.models import Plan, PlanVersion, RevisionPolicy, RevisionRequest, Task
from cascade_plans.payloads import plan_ref
from cascade_plans.settings import PlansSettings


async def revision_terms(session: AsyncSession) -> RevisionTerms:
    """The revision deadlines of the routing policy in force (``approval.policy_installed``);
    plans' settings until approvals has announced one."""
    policy = await session.get(RevisionPolicy, "current")
    if policy is not None:
        return RevisionTerms(policy.days, policy.remind_days_before, policy.escalate_days_after)
    settings = PlansSettings()
    return RevisionTerms(
        settings.revision_days,
        settings.revision_remind_days_before,
        settings.revision_escalate_days_after,
    )


def revision_request(
    plan: Plan,
    parent: Plan,
    request: RevisionRequest,
    what: type[PlanRevisionRequested] = PlanRevisionRequested,
    **extra: Any,
) -> PlanRevisionRequested:
    """A request to revise ``plan`` (plan.revision_requested), or one of its notices."""
    return what(
        **plan_ref(plan),
        request_id=request.id,
        parent_plan_id=parent.id,
        parent_title=parent.title,
        parent_unit=parent.unit,
        parent_version=request.parent_version,
        from_version=request.from_version,
        changes=request.changes,
        due_on=request.due,
        **extra,
    )


async def _links_of(session: AsyncSession, child: Plan) -> set[str | None]:
    """The parent tasks a plan below concretizes: in its working copy and in its version in
    force (a revision under way may have dropped a link the version in force still holds)."""
    rows = await session.exec(select(Task.parent_task_id).where(Task.plan_id == child.id))
    links: set[str | None] = set(rows.all())
    in_force = await store.in_force_content(session, child)
    if in_force is not None:
        links |= {t.get("parent_task_id") for t in in_force.get("tasks", [])}
    return links


async def request_revisions(
    ctx: HandlerContext, parent: Plan, from_version: int, to_version: int, today: date
) -> list[RevisionRequest]:
    """Ask every plan below ``parent`` whose tasks link to a task that ``to_version`` changed
    or removed (against ``from_version``) to revise; plans linked only to unchanged tasks are
    not disturbed. A request already made for this parent version is not made again."""
    session = ctx.session
    old = await session.get(PlanVersion, (parent.id, from_version))
    new = await session.get(PlanVersion, (parent.id, to_version))
    if old is None or new is None:
        return []
    changes = parent_changes(old.content, new.content)
    if not changes:
        return []
    children = (
        await session.exec(
            select(Plan).where(Plan.parent_plan_id == parent.id).order_by(col(Plan.unit))
        )
    ).all()
    days = (await revision_terms(session)).days
    made = []
    for child in children:
        if not blocks_new_plan(child.status, child.in_force_version):
            continue  # a rejected plan follows nothing
        followed = affecting(await _links_of(session, child), changes)
        if not followed:
            continue
        existing = (
            await session.exec(
                select(RevisionRequest).where(
                    RevisionRequest.plan_id == child.id,
                    RevisionRequest.parent_plan_id == parent.id,
                    RevisionRequest.parent_version == to_version,
                )
            )
        ).first()
        if existing is not None:
            continue
        request = RevisionRequest(
            plan_id=child.id,
            parent_plan_id=parent.id,
            parent_version=to_version,
            from_version=from_version,
            changes=[c.as_dict() for c in followed],
            due=request_due(today, days),
        )
        session.add(request)
        ctx.emit(
            revision_request(child, parent, request),
            org_unit=child.unit,
            subject_id=child.id,
        )
        made.append(request)
    return made


async def close_requests(session: AsyncSession, plan: Plan, version: int) -> int:
    """The plan's version ``version`` is approved: every open request to revise it is met."""
    result = await session.execute(
        update(RevisionRequest)
        .where(col(RevisionRequest.plan_id) == plan.id, col(RevisionRequest.status) == "open")
        .values(status="closed", closed_at=utcnow(), closed_by_version=version)
    )
    return rows_matched(result)


async def open_requests(session: AsyncSession, plan_ids: list[str]) -> list[RevisionRequest]:
    if not plan_ids:
        return []
    rows = await session.exec(
        select(RevisionRequest)
        .where(col(RevisionRequest.plan_id).in_(plan_ids), RevisionRequest.status == "open")
        .order_by(col(RevisionRequest.due))
    )
    return list(rows.all())


# -- the chaser ----------------------------------------------------------------------------------
_STAGE: dict[str, tuple[str, type[PlanRevisionRequested]]] = {
    "remind": ("reminded_at", RevisionRequestDueSoon),
    "overdue": ("overdue_at", RevisionRequestOverdue),
    "escalate": ("escalated_at", RevisionRequestEscalated),
}


async def chase_revisions(runtime: ServiceRuntime, now: datetime | None = None) -> int:
    """One pass over the open requests: remind before the date, tell the unit when it is late,
    tell the heads of the unit above after the grace days. Each notice is claimed with a
    compare-and-set on its column, so two replicas never send one twice."""
    now = now or utcnow()
    today = now.date()
    sent = 0
    async with runtime.sessionmaker() as session, session.begin():
        terms = await revision_terms(session)
        rows = (
            await session.exec(
                select(RevisionRequest, Plan)
                .join(Plan, col(Plan.id) == col(RevisionRequest.plan_id))
                .where(
                    RevisionRequest.status == "open",
                    col(RevisionRequest.due) <= today + timedelta(days=terms.remind_days_before),
                )
                .order_by(col(RevisionRequest.due))
            )
        ).all()
        for request, plan in rows:
            stages = chase_stages(
                today,
                request.due,
                terms.remind_days_before,
                terms.escalate_days_after,
                reminded=request.reminded_at is not None,
                overdue=request.overdue_at is not None,
                escalated=request.escalated_at is not None,
            )
            if not stages:
                continue
            parent = await session.get(Plan, request.parent_plan_id)
            if parent is None:
                continue
            for stage in stages:
                column, notice = _STAGE[stage]
                claimed = await session.execute(
                    update(RevisionRequest)
                    .where(
                        col(RevisionRequest.id) == request.id,
                        col(RevisionRequest.status) == "open",
                        getattr(RevisionRequest, column).is_(None),
                    )
                    .values({column: now})
                )
                if rows_matched(claimed) != 1:
                    continue
                extra = (
                    {"escalated_to_unit": parent_unit(plan.unit) or plan.unit}
                    if stage == "escalate"
                    else {}
                )
                runtime.emit(
                    session,
                    revision_request(plan, parent, request, notice, **extra),
                    actor="revision-chaser",
                    org_unit=plan.unit,
                    subject_id=plan.id,
                )
                sent += 1
    return sent


revision_chaser = periodic(
    "revision_chaser",
    chase_revisions,
    lambda runtime: PlansSettings().revision_chase_seconds,
)
"""Chase late revision requests every ``CASCADE_PLANS_REVISION_CHASE_SECONDS``, forever."""
