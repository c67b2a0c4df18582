"""The FastAPI dependencies every service's routes use, made once for each service."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_shared.service import ServiceRuntime, runtime_of


@dataclass(frozen=True)
class ServiceDeps:
    """``Runtime`` (the service's runtime) and ``SessionDep`` (a session on its database, closed
    after the request), as ``Annotated`` types for route parameters."""

    Runtime: Any
    SessionDep: Any


def service_deps(service: str) -> ServiceDeps:
    def runtime(request: Request) -> ServiceRuntime:
        return runtime_of(request, service)

    runtime_dep = Annotated[ServiceRuntime, Depends(runtime)]

    # No "from __future__ import annotations" here: FastAPI reads this annotation at run time.
    async def session(rt: runtime_dep) -> AsyncIterator[AsyncSession]:  # type: ignore[valid-type]
        async with rt.sessionmaker() as s:
            yield s

    return ServiceDeps(runtime_dep, Annotated[AsyncSession, Depends(session)])
