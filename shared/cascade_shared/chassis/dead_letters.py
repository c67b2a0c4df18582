"""What a service's queue has parked after every delivery failed, and sending it back: the
operators' view of the dead letters, the same in both modes (RabbitMQ's dead-letter queue, or
the embedded bus's parked file). Central admins only; ``cascade-admin`` does the same from a
shell in distributed mode."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from cascade_shared.auth import CurrentUser, Principal
from cascade_shared.problems import conflict


class DeadLetters(BaseModel):
    service: str
    parked: int
    """Events parked after every delivery failed, waiting for an operator."""


class Replayed(BaseModel):
    service: str
    replayed: int
    """Events sent back to the service's queue; one that fails again is parked again."""


def _central_admin(user: Principal) -> None:
    user.require_central("admin")


def dead_letters_router(service: str) -> APIRouter:
    """``GET /api/<service>/dead-letters`` and ``POST …/dead-letters/replay``."""
    router = APIRouter(prefix=f"/api/{service}/dead-letters", tags=["operations"])

    @router.get(
        "",
        response_model=DeadLetters,
        name=f"{service}_dead_letters",
        summary=f"How many events the {service} service's queue has parked",
    )
    async def count(request: Request, user: CurrentUser) -> DeadLetters:
        _central_admin(user)
        parked = await request.app.state.bus.dead_letter_count(service)
        return DeadLetters(service=service, parked=parked)

    @router.post(
        "/replay",
        response_model=Replayed,
        name=f"{service}_dead_letters_replay",
        summary=f"Send the {service} service's parked events back to its queue",
    )
    async def replay(request: Request, user: CurrentUser) -> Replayed:
        _central_admin(user)
        try:
            replayed = await request.app.state.bus.replay_dead_letters(service)
        except RuntimeError as exc:
            raise conflict(str(exc)) from exc
        return Replayed(service=service, replayed=replayed)

    return router
