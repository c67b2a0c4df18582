"""The routing policy: readable by everyone, replaced by a central administrator. A new version
applies to cases opened after it; open cases keep the version they started under."""

from __future__ import annotations

from typing import Annotated, Any

from cascade_shared.params import Text, unstorable_at
from cascade_shared.problems import Problem, conflict, forbidden, invalid
from fastapi import APIRouter, Path
from pydantic import ValidationError
from sqlmodel import col, select

from cascade_approvals.api.deps import CurrentUser, Runtime, SessionDep
from cascade_approvals.domain.policy import Policy
from cascade_approvals.models import RoutingPolicy
from cascade_approvals.store import current_policy, install_policy

router = APIRouter(prefix="/api/approvals/policy", tags=["routing policy"])


@router.get("", response_model=Policy)
async def get_policy(user: CurrentUser, session: SessionDep) -> Policy:
    """The policy new cases start under."""
    return await current_policy(session)


@router.get("/versions")
async def policy_versions(user: CurrentUser, session: SessionDep) -> list[dict[str, Any]]:
    """Every version ever installed, newest first."""
    rows = (
        await session.exec(select(RoutingPolicy).order_by(col(RoutingPolicy.created_at).desc()))
    ).all()
    return [
        {"version": r.version, "created_at": r.created_at, "created_by": r.created_by} for r in rows
    ]


@router.get("/versions/{version}", response_model=Policy)
async def policy_version(
    version: Annotated[Text, Path(max_length=50)], user: CurrentUser, session: SessionDep
) -> Policy:
    row = await session.get(RoutingPolicy, version)
    if row is None:
        raise Problem(404, "Not found", f"no policy version {version}")
    return Policy.model_validate(row.document)


@router.put("", response_model=Policy)
async def replace_policy(
    body: dict[str, Any], user: CurrentUser, session: SessionDep, runtime: Runtime
) -> Policy:
    """Install a new version (central administrators only). The version must be new. Its
    ``revisions`` deadlines apply to the revision requests plans makes from then on."""
    user.require_role("admin")
    if "." in user.unit:
        raise forbidden("only a central administrator replaces the routing policy")
    unstorable = unstorable_at(body)
    if unstorable is not None:
        raise invalid(*unstorable)
    try:
        policy = Policy.model_validate(body)
    except ValidationError as exc:
        raise Problem(
            422,
            "Invalid policy",
            f"{exc.error_count()} error(s) in the policy",
            type_="validation",
            errors=[
                {"field": ".".join(str(p) for p in e["loc"]) or "body", "reason": e["msg"]}
                for e in exc.errors()
            ],
        ) from exc
    if await session.get(RoutingPolicy, policy.version) is not None:
        raise conflict(f"policy version {policy.version} exists; give the new one a new version")
    await install_policy(session, runtime, policy, user.username, actor=user.username)
    await session.commit()
    return policy
