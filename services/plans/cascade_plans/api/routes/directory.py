"""The directory: org units and users, searched without diacritics and managed by admins.

Every change is announced (``directory.unit_changed``, ``directory.user_changed``) so the other
services keep their own read model and never call this one on their hot path.

An entry is a unit (``kind`` ``unit``: a Party committee that makes plans, has users and is
counted among the units below its parent) or an outside body (``kind`` ``body``: a department,
an office, the Fatherland Front, the police, ...), registered under the unit it belongs to and
at its level, which may lead or cooperate on tasks but makes no plan, has no users and is never
counted as a unit below."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from cascade_shared.auth import Principal, TokenVerifier
from cascade_shared.params import Search, UnitCode, Username
from cascade_shared.problems import Problem, invalid, not_found
from cascade_shared.units import parent_unit
from fastapi import APIRouter, Query, Request
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from cascade_plans.api.deps import CurrentUser, Runtime, SessionDep
from cascade_plans.domain.rules import fold
from cascade_plans.models import AppUser, OrgUnit, Plan, Task
from cascade_plans.payloads import unit_changed, user_changed
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
    kind: Annotated[
        Literal["unit", "body", "all"],
        Query(
            description="unit (default): the units that make plans; body: the outside bodies "
            "that lead or cooperate on tasks; all: both (to choose a lead unit, or to name one)"
        ),
    ] = "unit",
) -> list[Any]:
    """Directory entries (the hierarchy is visible to every signed-in user): by default the
    units only, so that a list of the units below a unit never counts an outside body."""
    query = select(OrgUnit).order_by(col(OrgUnit.code))
    if under:
        query = query.where(
            (col(OrgUnit.code) == under) | col(OrgUnit.code).startswith(under + ".")
        )
    if kind != "all":
        query = query.where(OrgUnit.kind == kind)
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
        .where((col(AppUser.unit) == target) | col(AppUser.unit).startswith(target + "."))
        .order_by(col(AppUser.unit), col(AppUser.username))
    )
    rows = (await session.exec(query)).all()
    return [u.model_dump() for u in rows if not q or matches(q, u.name, u.username)]


def _require_admin_over(user: Principal, unit: str) -> None:
    user.require_role("admin")
    user.require_sees(unit)


async def _refuse_changing_kind(session: SessionDep, entry: OrgUnit) -> None:
    """A unit with users, plans or entries below it stays a unit; a body named by tasks stays
    a body (it would become a unit that owes a plan)."""
    checks: tuple[tuple[SelectOfScalar[str], str], ...]
    if entry.kind == "unit":
        checks = (
            (select(AppUser.username).where(AppUser.unit == entry.code), "users"),
            (select(Plan.id).where(Plan.unit == entry.code), "plans"),
            (select(OrgUnit.code).where(OrgUnit.parent == entry.code), "entries below it"),
        )
    else:
        checks = ((select(Task.id).where(Task.lead_unit == entry.code), "tasks it leads"),)
    for query, what in checks:
        if (await session.exec(query.limit(1))).first() is not None:
            raise invalid("kind", f"{entry.code} has {what}: its kind stays {entry.kind}")


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
    above = await session.get(OrgUnit, parent) if parent is not None else None
    if parent is not None and above is None:
        raise Problem(
            422,
            "Invalid request",
            f"the parent unit {parent} does not exist",
            errors=[{"field": "code", "reason": "unknown parent unit"}],
        )
    if above is not None and above.kind == "body":
        raise invalid("code", f"{parent} is an outside body: nothing is registered under a body")
    unit = await session.get(OrgUnit, code)
    if unit is not None and unit.kind != body.kind:
        await _refuse_changing_kind(session, unit)
    if body.kind == "body":
        if above is None:
            raise invalid("kind", "an outside body is registered under the unit it belongs to")
        if body.level != above.level:
            raise invalid("level", f"an outside body has the level of its unit ({above.level})")
    unit = unit or OrgUnit(code=code, name=body.name, level=body.level, parent=parent)
    unit.name, unit.level, unit.parent, unit.kind = body.name, body.level, parent, body.kind
    session.add(unit)
    runtime.emit(session, unit_changed(unit), actor=user.username, org_unit=code, subject_id=code)
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
    entry = await session.get(OrgUnit, body.unit)
    if entry is None:
        raise Problem(
            422,
            "Invalid request",
            f"unit {body.unit} does not exist",
            errors=[{"field": "unit", "reason": "unknown unit"}],
        )
    if entry.kind == "body":
        raise invalid("unit", f"{body.unit} is an outside body, which has no users: choose a unit")
    account = await session.get(AppUser, username)
    if account is not None:
        _require_admin_over(user, account.unit)  # may not take a user from another subtree
    account = account or AppUser(username=username, name=body.name, unit=body.unit)
    for key, value in body.model_dump().items():
        setattr(account, key, value)
    session.add(account)
    runtime.emit(
        session,
        user_changed(account),
        actor=user.username,
        org_unit=account.unit,
        subject_id=username,
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
