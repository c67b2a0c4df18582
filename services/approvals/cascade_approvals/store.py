"""Persistence of approval cases, steps, delegations, policies and the directory read model,
plus the payloads of the events they announce."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.db import rows_matched
from cascade_shared.envelope import as_utc, utcnow
from cascade_shared.events import (
    CommentRules,
    DelegationGranted,
    DelegationRevoked,
    PolicyInstalled,
    RevisionDeadlines,
    StepAssigned,
    StepEscalated,
    StepOverdue,
    StepReminded,
)
from sqlalchemy import func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_approvals.domain.case import ActiveDelegation, add_working_days
from cascade_approvals.domain.policy import Mode, Policy, required_approvals
from cascade_approvals.models import (
    ApprovalCase,
    ApprovalStep,
    Delegation,
    DirectoryUser,
    RoutingPolicy,
    StepDecision,
)


async def close_case(
    session: AsyncSession,
    case: ApprovalCase,
    status: str,
    now: datetime,
    *,
    returned_at_step: int | None = None,
) -> bool:
    """Move ``case`` out of ``open`` (a decision's outcome, a withdrawal, a newer version) with a
    compare-and-set on its row and cancel its steps still pending; False (and nothing done)
    when something else closed it first.

    The row lock the update takes is held until commit, so a concurrent decision (which locks the
    case first) waits and then finds the case closed."""
    closed = await session.execute(
        update(ApprovalCase)
        .where(col(ApprovalCase.id) == case.id, col(ApprovalCase.status) == "open")
        .values(status=status, closed_at=now, returned_at_step=returned_at_step)
    )
    if rows_matched(closed) != 1:
        return False
    await session.execute(
        update(ApprovalStep)
        .where(
            col(ApprovalStep.case_id) == case.id,
            col(ApprovalStep.status).in_(("waiting", "active")),
        )
        .values(status="cancelled")
        .execution_options(synchronize_session="fetch")
    )
    return True


async def steps_of(session: AsyncSession, case_id: str) -> list[ApprovalStep]:
    rows = await session.exec(
        select(ApprovalStep)
        .where(ApprovalStep.case_id == case_id)
        .order_by(col(ApprovalStep.step_no))
    )
    return list(rows.all())


async def role_holders(session: AsyncSession, unit: str, role: str) -> list[str]:
    users = await session.exec(
        select(DirectoryUser).where(DirectoryUser.unit == unit, col(DirectoryUser.active))
    )
    return [u.username for u in users.all() if role in u.roles]


async def activate(session: AsyncSession, step: ApprovalStep, now: datetime | None = None) -> None:
    """The step now waits on its unit's role: it gets its deadline and the approvals it needs."""
    now = now or utcnow()
    step.status = "active"
    step.assigned_at = now
    step.due_at = add_working_days(now, step.deadline_days)
    holders = await role_holders(session, step.unit, step.role) if step.mode == "all" else []
    mode = cast("Mode", step.mode)  # the column holds a mode the policy was checked for
    step.required_approvals = required_approvals(mode, step.k, len(holders))
    session.add(step)


def step_assigned(case: ApprovalCase, step: ApprovalStep) -> StepAssigned:
    return StepAssigned(
        case_id=case.id,
        plan_id=case.plan_id,
        plan_version=case.plan_version,
        step_no=step.step_no,
        unit=step.unit,
        role=step.role,
        due_at=step.due_at,
        plan_title=case.plan_title,
        plan_unit=case.plan_unit,
    )


def step_ref(case: ApprovalCase, step: ApprovalStep) -> dict[str, Any]:
    """A step of a case as the events about it name it (``StepRef``)."""
    return {
        "case_id": case.id,
        "plan_id": case.plan_id,
        "plan_version": case.plan_version,
        "plan_title": case.plan_title,
        "plan_unit": case.plan_unit,
        "step_no": step.step_no,
        "unit": step.unit,
        "role": step.role,
    }


def step_deadline(
    stage: str, case: ApprovalCase, step: ApprovalStep, escalated_to_unit: str | None = None
) -> StepReminded | StepOverdue | StepEscalated:
    """The notice of a deadline ``stage`` (remind, overdue, escalate) of an active step."""
    assert step.due_at is not None
    due_at = as_utc(step.due_at)
    if stage == "remind":
        return StepReminded(**step_ref(case, step), due_at=due_at)
    if stage == "overdue":
        return StepOverdue(**step_ref(case, step), due_at=due_at)
    assert escalated_to_unit is not None
    return StepEscalated(
        **step_ref(case, step),
        due_at=due_at,
        escalated_to_unit=escalated_to_unit,
        escalated_to_role="head",
    )


async def names_of(session: AsyncSession, usernames: set[str | None]) -> dict[str, str]:
    """The full names the directory gives these users (read model), for the people who read a
    case or a thread from another unit than the decider's."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    rows = await session.exec(
        select(DirectoryUser.username, DirectoryUser.name).where(
            col(DirectoryUser.username).in_(wanted)
        )
    )
    return {username: name for username, name in rows.all() if name}


def case_public(
    case: ApprovalCase,
    steps: list[ApprovalStep],
    decisions: list[StepDecision] | None = None,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    names = names or {}
    by_step: dict[int, list[dict[str, Any]]] = {}
    for d in decisions or []:
        by_step.setdefault(d.step_no, []).append(
            {**d.model_dump(), "decided_by_name": names.get(d.decided_by)}
        )
    return {
        **case.model_dump(),
        "steps": [
            {
                **s.model_dump(),
                "decided_by_name": names.get(s.decided_by or ""),
                "decisions": by_step.get(s.step_no, []),
            }
            for s in steps
        ],
    }


async def decisions_of(session: AsyncSession, case_id: str) -> list[StepDecision]:
    rows = await session.exec(
        select(StepDecision)
        .where(StepDecision.case_id == case_id)
        .order_by(col(StepDecision.decided_at))
    )
    return list(rows.all())


async def load_case_public(session: AsyncSession, case: ApprovalCase) -> dict[str, Any]:
    steps = await steps_of(session, case.id)
    decisions = await decisions_of(session, case.id)
    deciders = {s.decided_by for s in steps} | {d.decided_by for d in decisions}
    return case_public(case, steps, decisions, await names_of(session, deciders))


# -- delegations ------------------------------------------------------------------------------
async def active_delegations_to(
    session: AsyncSession, delegate: str, now: datetime | None = None
) -> list[ActiveDelegation]:
    """The delegations ``delegate`` holds right now, with the delegators' current roles.

    A delegation counts only while both its delegator and its delegate are active members of
    the unit it was given in: moving either of them to another unit ends it."""
    now = now or utcnow()
    delegator = aliased(DirectoryUser, name="delegator_user")
    holder = aliased(DirectoryUser, name="delegate_user")
    rows = (
        await session.exec(
            select(Delegation, delegator)
            .join(delegator, col(delegator.username) == col(Delegation.delegator))
            .join(holder, col(holder.username) == col(Delegation.delegate))
            .where(
                Delegation.delegate == delegate,
                col(Delegation.revoked_at).is_(None),
                col(Delegation.starts_at) <= now,
                col(Delegation.ends_at) > now,
                col(delegator.active),
                col(delegator.unit) == col(Delegation.unit),
                col(holder.active),
                col(holder.unit) == col(Delegation.unit),
            )
        )
    ).all()
    return [ActiveDelegation(d.delegator, list(u.roles), d.unit) for d, u in rows]


def delegation_changed(d: Delegation) -> DelegationGranted | DelegationRevoked:
    """A delegation as granted, or as revoked once it has been."""
    changed = DelegationGranted if d.revoked_at is None else DelegationRevoked
    return changed(
        delegation_id=d.id,
        unit=d.unit,
        delegator=d.delegator,
        delegate=d.delegate,
        starts_at=as_utc(d.starts_at),
        ends_at=as_utc(d.ends_at),
        active=d.revoked_at is None,
    )


# -- policy -----------------------------------------------------------------------------------
async def current_policy(session: AsyncSession) -> Policy:
    row = (
        await session.exec(
            select(RoutingPolicy).order_by(col(RoutingPolicy.created_at).desc()).limit(1)
        )
    ).first()
    if row is None:
        raise LookupError("no routing policy is installed")
    return Policy.model_validate(row.document)


async def install_policy(
    session: AsyncSession, runtime: ServiceRuntime, policy: Policy, by: str, *, actor: str | None
) -> RoutingPolicy:
    """Keep ``policy`` as the version new cases start under (``by``: who or what installed
    it), and announce it (``approval.policy_installed``, by ``actor``; None for the service
    itself): plans applies its revision deadlines."""
    row = RoutingPolicy(
        version=policy.version, document=policy.model_dump(mode="json"), created_by=by
    )
    session.add(row)
    runtime.emit(
        session,
        PolicyInstalled(
            version=policy.version,
            installed_by=by,
            revisions=RevisionDeadlines(**policy.revisions.model_dump()),
            comments=CommentRules(**policy.comments.model_dump()),
        ),
        actor=actor,
    )
    return row


async def policy_count(session: AsyncSession) -> int:
    return int((await session.exec(select(func.count()).select_from(RoutingPolicy))).one())
