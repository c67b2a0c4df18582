from __future__ import annotations

from typing import Annotated

from cascade_shared.auth import CurrentUser
from cascade_shared.chassis.deps import runtime_dependency, session_dependency
from cascade_shared.chassis.service import ServiceRuntime
from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["CurrentUser", "Runtime", "SessionDep"]

Runtime = Annotated[ServiceRuntime, Depends(runtime_dependency("approvals"))]
SessionDep = Annotated[AsyncSession, Depends(session_dependency("approvals"))]
