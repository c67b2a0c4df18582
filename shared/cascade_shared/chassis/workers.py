"""The worker chassis: a service's periodic background step, run on an interval, forever.

A step is one idempotent pass (claim with a compare-and-set in the database, act, commit), so a
restart or a second replica neither loses nor repeats its work; the loop only schedules it,
survives the step's errors (logged, tried again at the next interval) and stops cleanly when the
service stops. Every background loop of every service (the approvals deadline scheduler, the
notifications senders, digest and fan-out, the audit sealer, the results chaser, the outbox
pruner) is one of these.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cascade_shared.chassis.service import ServiceRuntime, WorkerFn

log = logging.getLogger(__name__)

Step = Callable[["ServiceRuntime"], Awaitable[int]]
"""One pass of a worker; returns how many things it did."""


class Waker(Protocol):
    """Something that ends a worker's wait early when there is new work (e.g. a commit)."""

    async def wait(self, timeout: float) -> Any: ...


def periodic(
    name: str,
    step: Step,
    interval: Callable[[ServiceRuntime], float],
    *,
    wake: Callable[[ServiceRuntime], Waker] | None = None,
    drain: bool = False,
) -> WorkerFn:
    """A worker that runs ``step``, then waits ``interval(runtime)`` seconds (or until
    ``wake(runtime)`` says there is work), until it is cancelled. With ``drain``, a step that
    did something is run again at once, so a backlog is worked off without waiting."""

    async def worker(runtime: ServiceRuntime) -> None:
        waker = wake(runtime) if wake is not None else None
        while True:
            try:
                done = await step(runtime)
                if done:
                    log.debug("%s: %d done", name, done)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; trying again at the next interval", name)
                done = 0
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # A cancellation something below swallowed: stop as asked all the same.
                raise asyncio.CancelledError
            if drain and done:
                continue
            if waker is not None:
                await waker.wait(interval(runtime))
            else:
                await asyncio.sleep(interval(runtime))

    worker.__name__ = name
    return worker
