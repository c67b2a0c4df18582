"""The worker chassis: a service's periodic background step, run on an interval, forever.

A step is one idempotent pass (claim with a compare-and-set in the database, act, commit), so a
restart or a second replica neither loses nor repeats its work; the loop only schedules it,
survives the step's errors (logged, tried again at the next interval) and stops cleanly when the
service stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cascade_shared.service import ServiceRuntime, WorkerFn

log = logging.getLogger(__name__)

Step = Callable[["ServiceRuntime"], Awaitable[int]]
"""One pass of a worker; returns how many things it did (for the log)."""


def periodic(name: str, step: Step, interval: Callable[[ServiceRuntime], float]) -> WorkerFn:
    """A worker that runs ``step`` every ``interval(runtime)`` seconds until it is cancelled."""

    async def worker(runtime: ServiceRuntime) -> None:
        while True:
            try:
                done = await step(runtime)
                if done:
                    log.info("%s: %d done", name, done)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; trying again at the next interval", name)
            await asyncio.sleep(interval(runtime))

    worker.__name__ = name
    return worker
