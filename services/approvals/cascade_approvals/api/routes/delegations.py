"""Delegation: an approver hands their decisions to a colleague of the same unit for a period."""

from __future__ import annotations

from typing import Any

from cascade_shared.envelope import as_utc, utcnow
from cascade_shared.params import Id
from cascade_shared.problems import conflict, forbidden, invalid, not_found
from fastapi import APIRouter, status
from sqlmodel import col, or_, select

from cascade_approvals.api.deps import CurrentUser, Runtime, SessionDep
from cascade_approvals.domain.case import delegation_problem
from cascade_approvals.models import Delegation, DirectoryUser
from cascade_approvals.schemas import DelegationIn, DelegationPublic
from cascade_approvals.store import delegation_changed

router = APIRouter(prefix="/api/approvals/delegations", tags=["delegations"])

DECIDING_ROLES = ("head", "approver")


@router.post("", response_model=DelegationPublic, status_code=status.HTTP_201_CREATED)
async def delegate(
    body: DelegationIn, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Hand your decisions to a colleague of your unit from ``starts_at`` (default now) until
    ``ends_at``. Their decisions record that they decided on your behalf."""
    user.require_role(*DECIDING_ROLES)
    # In UTC before they are stored: SQLite keeps 08:00+07:00 as a bare 08:00.
    starts_at = as_utc(body.starts_at) if body.starts_at else utcnow()
    ends_at = as_utc(body.ends_at)
    colleague = await session.get(DirectoryUser, body.delegate)
    problem = delegation_problem(
        user.unit,
        colleague.unit if colleague is not None and colleague.active else None,
        user.username,
        body.delegate,
        starts_at,
        ends_at,
    )
    if problem is not None:
        field, reason = problem
        raise invalid(field, reason)
    row = Delegation(
        unit=user.unit,
        delegator=user.username,
        delegate=body.delegate,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=body.reason,
    )
    session.add(row)
    runtime.emit(
        session, delegation_changed(row), actor=user.username, org_unit=user.unit, subject_id=row.id
    )
    await session.commit()
    return row.model_dump()


@router.get("", response_model=list[DelegationPublic])
async def list_delegations(user: CurrentUser, session: SessionDep) -> list[Any]:
    """Delegations you gave or hold; a head or admin sees every delegation of their unit."""
    query = select(Delegation).order_by(col(Delegation.created_at).desc())
    if user.has_role("head", "admin"):
        query = query.where(
            or_(
                Delegation.unit == user.unit,
                Delegation.delegator == user.username,
                Delegation.delegate == user.username,
            )
        )
    else:
        query = query.where(
            or_(Delegation.delegator == user.username, Delegation.delegate == user.username)
        )
    return [d.model_dump() for d in (await session.exec(query)).all()]


@router.delete("/{delegation_id}", response_model=DelegationPublic)
async def revoke(
    delegation_id: Id, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """End a delegation early: its delegator, or a head or admin of its unit."""
    row = await session.get(Delegation, delegation_id)
    if row is None:
        raise not_found("delegation", delegation_id)
    if row.delegator != user.username and not (
        user.unit == row.unit and user.has_role("head", "admin")
    ):
        raise forbidden("only the delegator or a head of the unit revokes a delegation")
    if row.revoked_at is not None:
        raise conflict("the delegation is already revoked")
    row.revoked_at = utcnow()
    session.add(row)
    runtime.emit(
        session, delegation_changed(row), actor=user.username, org_unit=row.unit, subject_id=row.id
    )
    await session.commit()
    return row.model_dump()
