"""The reporting policy in force (versioned data), and installing a new one."""

from __future__ import annotations

from typing import Any

from cascade_shared.params import unstorable_at
from cascade_shared.problems import conflict, invalid
from fastapi import APIRouter
from sqlmodel import col, select

from cascade_results.api.deps import CurrentUser, SessionDep
from cascade_results.domain.periods import policy_from_dict
from cascade_results.models import ReportingPolicyRow

router = APIRouter(prefix="/api/results", tags=["results: policy"])

MAX_VERSION = 50
"""The longest policy version kept (its column's length)."""
MAX_DAYS = 365
"""The most days a period locks, a reminder comes or an escalation waits after its date."""


@router.get("/policy")
async def get_policy(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The reporting policy in force, and the versions installed before it."""
    rows = (
        await session.exec(
            select(ReportingPolicyRow).order_by(col(ReportingPolicyRow.installed_at).desc())
        )
    ).all()
    if not rows:
        return {"current": None, "history": []}
    return {
        "current": rows[0].body,
        "history": [
            {"version": r.version, "installed_at": r.installed_at, "installed_by": r.installed_by}
            for r in rows
        ],
    }


@router.put("/policy", status_code=201)
async def install_policy(
    body: dict[str, Any], session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """Install a new version of the reporting policy (central admins)."""
    user.require_central("admin")
    unstorable = unstorable_at(body)
    if unstorable is not None:
        raise invalid(*unstorable)
    try:
        policy = policy_from_dict(body)
    except ValueError as exc:
        raise invalid("policy", str(exc)) from exc
    if len(policy.version) > MAX_VERSION:
        raise invalid("version", f"at most {MAX_VERSION} characters")
    for name in ("lock_after_days", "remind_days_before", "escalate_after_days"):
        if not 0 <= getattr(policy, name) <= MAX_DAYS:
            raise invalid(name, f"a number of days from 0 to {MAX_DAYS}")
    if await session.get(ReportingPolicyRow, str(body["version"])) is not None:
        raise conflict(f"policy version {body['version']} is already installed")
    session.add(
        ReportingPolicyRow(
            version=str(body["version"]), body=body, source="api", installed_by=user.username
        )
    )
    await session.commit()
    return body
