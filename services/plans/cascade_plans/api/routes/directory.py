"""The directory: org units and users, searched without diacritics and managed by admins.

Every change is announced (``directory.unit_changed``, ``directory.user_changed``) so the other
services keep their own read model and never call this one on their hot path."""

from __future__ import annotations

from typing import Annotated, Any

from cascade_shared.auth import Principal, TokenVerifier, parent_unit
from cascade_shared.params import Search, UnitCode, Username
from cascade_shared.problems import Problem, not_found
from fastapi import APIRouter, Query, Request
from sqlmodel import col, select

from cascade_plans.api.deps import CurrentUser, Runtime, SessionDep
from cascade_plans.domain.rules import fold
from cascade_plans.models import AppUser, OrgUnit
from cascade_plans.schemas import (
    DevTokenRequest,
    TokenResponse,
    UnitIn,
    UnitPublic,
    UserIn,
    UserPublic,
)

router = APIRouter(prefix="/api/directory", tags=["directory"])
auth_router = APIRouter(prefix="/api/auth", tags=["auth"])


def matches(query: str, *texts: str) -> bool:
    """Every word of the query begins a word of the texts, ignoring case and diacritics:
    "phuong huong an" finds "Phường Hương An"."""
    words = [w for t in texts for w in fold(t).replace(".", " ").replace("-", " ").split()]
    return all(any(w.startswith(q) for w in words) for q in fold(query).split())


@router.get("/units", response_model=list[UnitPublic])
async def list_units(
    user: CurrentUser,
    session: SessionDep,
    under: Annotated[UnitCode | None, Query(description="a subtree")] = None,
    q: Annotated[Search | None, Query(description="search, diacritics optional")] = None,
) -> list[Any]:
    """Org units (the hierarchy is visible to every signed-in user)."""
    query = select(OrgUnit).order_by(col(OrgUnit.code))
    if under:
        query = query.where((OrgUnit.code == under) | col(OrgUnit.code).startswith(under + "."))
    units = (await session.exec(query)).all()
    return [u.model_dump() for u in units if not q or matches(q, u.name, u.code)]


@router.get("/units/{code}", response_model=UnitPublic)
async def get_unit(code: UnitCode, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    unit = await session.get(OrgUnit, code)
    if unit is None:
        raise not_found("unit", code)
    return unit.model_dump()


@router.get("/users", response_model=list[UserPublic])
async def list_users(
    user: CurrentUser,
    session: SessionDep,
    unit: UnitCode | None = None,
    q: Search | None = None,
) -> list[Any]:
    """Users of your unit and the units below it."""
    target = unit or user.unit
    user.require_sees(target)
    query = (
        select(AppUser)
        .where((AppUser.unit == target) | col(AppUser.unit).startswith(target + "."))
        .order_by(col(AppUser.unit), col(AppUser.username))
    )
    rows = (await session.exec(query)).all()
    return [u.model_dump() for u in rows if not q or matches(q, u.name, u.username)]


def _require_admin_over(user: Principal, unit: str) -> None:
    user.require_role("admin")
    user.require_sees(unit)


@router.put("/units/{code}", response_model=UnitPublic)
async def put_unit(
    code: UnitCode, body: UnitIn, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Create or change an org unit (admins, within their subtree). Its parent is its path."""
    if body.code != code:
        raise Problem(
            422,
            "Invalid request",
            "the body's code differs from the path",
            errors=[{"field": "code", "reason": "must equal the path's code"}],
        )
    _require_admin_over(user, code)
    parent = parent_unit(code)
    if parent is not None and await session.get(OrgUnit, parent) is None:
        raise Problem(
            422,
            "Invalid request",
            f"the parent unit {parent} does not exist",
            errors=[{"field": "code", "reason": "unknown parent unit"}],
        )
    unit = await session.get(OrgUnit, code) or OrgUnit(
        code=code, name=body.name, level=body.level, parent=parent
    )
    unit.name, unit.level, unit.parent = body.name, body.level, parent
    session.add(unit)
    runtime.record(
        session,
        runtime.new_event(
            "directory.unit_changed",
            unit.model_dump(),
            actor=user.username,
            org_unit=code,
            subject_id=code,
        ),
    )
    await session.commit()
    return unit.model_dump()


@router.put("/users/{username}", response_model=UserPublic)
async def put_user(
    username: Username, body: UserIn, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Create or change a user, their unit and roles (admins, within their subtree)."""
    if body.username != username:
        raise Problem(
            422,
            "Invalid request",
            "the body's username differs from the path",
            errors=[{"field": "username", "reason": "must equal the path's username"}],
        )
    _require_admin_over(user, body.unit)
    if await session.get(OrgUnit, body.unit) is None:
        raise Problem(
            422,
            "Invalid request",
            f"unit {body.unit} does not exist",
            errors=[{"field": "unit", "reason": "unknown unit"}],
        )
    account = await session.get(AppUser, username)
    if account is not None:
        _require_admin_over(user, account.unit)  # may not take a user from another subtree
    account = account or AppUser(username=username, name=body.name, unit=body.unit)
    for key, value in body.model_dump().items():
        setattr(account, key, value)
    session.add(account)
    runtime.record(
        session,
        runtime.new_event(
            "directory.user_changed",
            {**account.model_dump(), "active": True},
            actor=user.username,
            org_unit=account.unit,
            subject_id=username,
        ),
    )
    await session.commit()
    return account.model_dump()


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
