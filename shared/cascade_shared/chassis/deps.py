"""The FastAPI dependencies every service's routes use, made once for each service.

Each service's ``api/deps.py`` names them as ``Annotated`` types for route parameters::

    Runtime = Annotated[ServiceRuntime, Depends(runtime_dependency("plans"))]
    SessionDep = Annotated[AsyncSession, Depends(session_dependency("plans"))]
"""

import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_shared.chassis.service import ServiceRuntime, runtime_of
from cascade_shared.outages import is_transient

log = logging.getLogger(__name__)


def runtime_dependency(service: str) -> Callable[[Request], ServiceRuntime]:
    """The running ``service``'s runtime, for the request's app."""

    def runtime(request: Request) -> ServiceRuntime:
        return runtime_of(request, service)

    return runtime


def session_dependency(service: str) -> Callable[[ServiceRuntime], AsyncIterator[AsyncSession]]:
    """A session on ``service``'s database, closed after the request."""
    # No "from __future__ import annotations" here: FastAPI reads this annotation at run time.
    runtime = Annotated[ServiceRuntime, Depends(runtime_dependency(service))]

    async def session(rt: runtime) -> AsyncIterator[AsyncSession]:
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

    return session
