from __future__ import annotations

from cascade_shared.auth import CurrentUser
from cascade_shared.deps import service_deps

__all__ = ["CurrentUser", "Runtime", "SessionDep"]

_deps = service_deps("results")
Runtime = _deps.Runtime
SessionDep = _deps.SessionDep
