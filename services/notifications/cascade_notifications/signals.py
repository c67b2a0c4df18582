"""In-process wake-ups: the senders wake when deliveries are committed, the SSE streams when an
inbox changes. Across processes the workers and streams also poll, so nothing depends on these."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_AFTER_COMMIT = "cascade_notifications_after_commit"


class Broadcast:
    """Wake every waiter once per :meth:`notify`; waiters also give up after a timeout."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        current = self._event
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
        # arrives as the notify does, and the worker waiting here would never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await current.wait()
            return True
        return False


class Signals:
    def __init__(self) -> None:
        self.deliveries = Broadcast()
        self.inbox = Broadcast()
        self.announcements = Broadcast()


def after_commit(session: Any, callback: Callable[[], None]) -> None:
    """Call ``callback`` once the session's transaction has committed (never on rollback)."""
    sync_session: Session = getattr(session, "sync_session", session)
    sync_session.info.setdefault(_AFTER_COMMIT, set()).add(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_AFTER_COMMIT, None)
