"""The FastAPI dependencies every service's routes use, made once for each service."""

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_shared.outages import is_transient
from cascade_shared.service import ServiceRuntime, runtime_of

log = logging.getLogger(__name__)


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
        s = rt.sessionmaker()
        try:
            yield s
        finally:
            try:
                await s.close()
            except Exception as exc:
                # The database went away during the request, which has already been answered
                # (503): there is no connection left to release.
                if not is_transient(exc):
                    raise
                log.warning("closing a session on a lost database connection: %s", exc)

    return ServiceDeps(runtime_dep, Annotated[AsyncSession, Depends(session)])
