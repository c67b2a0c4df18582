"""The directory: org units and users."""

from __future__ import annotations

from typing import Any

from cascade_shared.auth import Principal, TokenVerifier
from cascade_shared.problems import Problem, not_found
from fastapi import APIRouter, Query, Request
from sqlmodel import col, select

from cascade_plans.api.deps import CurrentUser, Runtime, SessionDep
from cascade_plans.models import AppUser, OrgUnit
from cascade_plans.schemas import DevTokenRequest, TokenResponse, UnitPublic, UserPublic

router = APIRouter(prefix="/api/directory", tags=["directory"])
auth_router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.get("/units", response_model=list[UnitPublic])
async def list_units(
    user: CurrentUser, session: SessionDep, under: str | None = Query(default=None)
) -> list[Any]:
    """Every org unit (the hierarchy is public to signed-in users), optionally one subtree."""
    query = select(OrgUnit).order_by(col(OrgUnit.code))
    if under:
        query = query.where((OrgUnit.code == under) | col(OrgUnit.code).startswith(under + "."))
    return [u.model_dump() for u in (await session.exec(query)).all()]


@router.get("/units/{code}", response_model=UnitPublic)
async def get_unit(code: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    unit = await session.get(OrgUnit, code)
    if unit is None:
        raise not_found("unit", code)
    return unit.model_dump()


@router.get("/users", response_model=list[UserPublic])
async def list_users(user: CurrentUser, session: SessionDep, unit: str | None = None) -> list[Any]:
    """Users of your unit and the units below it."""
    target = unit or user.unit
    user.require_sees(target)
    query = (
        select(AppUser)
        .where((AppUser.unit == target) | col(AppUser.unit).startswith(target + "."))
        .order_by(col(AppUser.unit), col(AppUser.username))
    )
    return [u.model_dump() for u in (await session.exec(query)).all()]


@auth_router.post("/dev-token", response_model=TokenResponse)
async def dev_token(
    body: DevTokenRequest, request: Request, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Dev only (embedded mode and tests): a signed token for a directory user.

    Production verifies tokens from the identity provider instead and disables this.
    """
    settings = runtime.settings
    if not settings.dev_tokens or settings.jwks_url:
        raise Problem(404, "Not found", "dev tokens are disabled")
    account = await session.get(AppUser, body.username)
    if account is None:
        raise Problem(
            422,
            "Invalid request",
            f"no user {body.username}",
            errors=[{"field": "username", "reason": "unknown user"}],
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = Principal(
        username=account.username, name=account.name, unit=account.unit, roles=account.roles
    )
    return {
        "access_token": verifier.issue(principal),
        "expires_in": settings.token_ttl_seconds,
        "user": account.model_dump(),
    }
