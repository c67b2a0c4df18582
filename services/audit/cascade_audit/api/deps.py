from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from cascade_shared.auth import CurrentUser, Principal
from cascade_shared.chassis.deps import runtime_dependency, session_dependency
from cascade_shared.chassis.service import ServiceRuntime
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = [
    "Auditor",
    "CentralAuditor",
    "ConnDep",
    "CurrentUser",
    "Operator",
    "Runtime",
    "SessionDep",
]


Runtime = Annotated[ServiceRuntime, Depends(runtime_dependency("audit"))]
SessionDep = Annotated[AsyncSession, Depends(session_dependency("audit"))]


async def _conn(runtime: Runtime) -> AsyncIterator[AsyncConnection]:
    async with runtime.engine.connect() as conn:
        yield conn


ConnDep = Annotated[AsyncConnection, Depends(_conn)]


def _auditor(user: CurrentUser) -> Principal:
    user.require_role("auditor", "admin")
    return user


def _operator(user: CurrentUser) -> Principal:
    user.require_central("admin")
    return user


def _central_auditor(user: CurrentUser) -> Principal:
    user.require_central("auditor", "admin")
    return user


Auditor = Annotated[Principal, Depends(_auditor)]
"""Inspectors (auditors) and operators (admins)."""
Operator = Annotated[Principal, Depends(_operator)]
"""Central admins only: sealing on demand, archives (a stretch of the whole chain)."""
CentralAuditor = Annotated[Principal, Depends(_central_auditor)]
"""Central auditors and admins: checks over every unit's events (the reconciliation)."""
