from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from cascade_shared.auth import CurrentUser
from cascade_shared.service import ServiceRuntime, runtime_of
from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["CurrentUser", "Runtime", "SessionDep"]


def _runtime(request: Request) -> ServiceRuntime:
    return runtime_of(request, "results")


Runtime = Annotated[ServiceRuntime, Depends(_runtime)]


async def _session(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    async with runtime.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]
