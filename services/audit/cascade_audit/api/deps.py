from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from cascade_shared.auth import CurrentUser, Principal
from cascade_shared.service import ServiceRuntime, runtime_of
from fastapi import Depends, Request
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


def _runtime(request: Request) -> ServiceRuntime:
    return runtime_of(request, "audit")


Runtime = Annotated[ServiceRuntime, Depends(_runtime)]


async def _session(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    async with runtime.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


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
