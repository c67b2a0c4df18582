"""The daily digest: a user's due rows folded into one e-mail when their hour comes."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime
from typing import Any

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import utcnow
from cascade_shared.projector import dialect_of, insert_ignoring_repeats
from sqlalchemy import ColumnElement, Text, func, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col

from cascade_notifications.domain.digest import DIGEST_NAMESPACE, digest_event_id
from cascade_notifications.domain.templates import render_kind
from cascade_notifications.models import (
    Recipient,
    new_id,
)
from cascade_notifications.signals import Broadcast, after_commit
from cascade_notifications.store import (
    signals_of,
)
from cascade_notifications.workers.common import (
    DELIVERY,
    worker,
)

DIGEST_BATCH = 1000
"""Users whose due digest rows are folded per pass (each user's rows all together)."""


def digest_key(username: str, day: date, n: int) -> str:
    """The event id of ``username``'s ``n``-th digest of ``day``: the first keeps
    :func:`digest_event_id`; items that come after it go out in digests 1, 2, ..."""
    if n == 0:
        return digest_event_id(username, day)
    return str(uuid.uuid5(DIGEST_NAMESPACE, f"{username}:{day.isoformat()}:{n}"))


def user_claimed(recipient: ColumnElement[str]) -> ColumnElement[bool]:
    """Claims a user's digest for this transaction (PostgreSQL): true for the transaction that
    takes the user's advisory lock first, and for it again; false for any other until it ends.
    Row locks alone would let two replicas split one user's due rows between them (each locks
    the rows the other has not reached yet) and send the user two digests."""
    key = func.hashtextextended(literal("cascade.digest:") + recipient, 0)
    return func.pg_try_advisory_xact_lock(key)


async def _due_digest_rows(session: Any, now: datetime, batch: int) -> list[dict[str, Any]]:
    """Every due digest row of up to ``batch`` users, locked, never part of a user.

    On PostgreSQL the users are claimed first (:func:`user_claimed`): the first ``batch`` users
    with due rows are read, each is claimed unless another replica holds them, and the claimed
    users' due rows are then locked whole. At most ``batch`` advisory locks are taken, whatever
    is due (an announcement's digest may be due for tens of thousands of members at once).
    SQLite (embedded mode) runs in one process, with no one to race."""
    due = (DELIVERY.c.state == "digest", DELIVERY.c.next_attempt_at <= now)
    first_users = (
        select(DELIVERY.c.recipient)
        .where(*due)
        .group_by(DELIVERY.c.recipient)
        .order_by(DELIVERY.c.recipient)
        .limit(batch)
    )
    users = list((await session.execute(first_users)).scalars())
    if not users:
        return []
    rows = select(DELIVERY).order_by(*_BY_USER)
    if dialect_of(session) == "postgresql":
        user = func.unnest(literal(users, ARRAY(Text))).column_valued("username")
        users = list((await session.execute(select(user).where(user_claimed(user)))).scalars())
        rows = rows.with_for_update()
    if not users:
        return []
    rows = rows.where(*due, DELIVERY.c.recipient.in_(users))
    return [dict(r._mapping) for r in await session.execute(rows)]


_BY_USER = (DELIVERY.c.recipient, DELIVERY.c.created_at, DELIVERY.c.id)


async def make_digests(runtime: ServiceRuntime, *, batch: int = DIGEST_BATCH) -> int:
    """Fold each user's due digest rows into one e-mail delivery; returns the digests made.

    The rule: an item is marked ``digested`` only in the transaction that creates the digest
    e-mail containing it, so every item reaches its reader once, in a digest, on the day its
    slot came. A user's due rows are read whole (never split at the batch's end), locked, and
    put into the user's first digest of the slot's day (:func:`digest_event_id`). When that
    digest already exists - a replica holding some of the user's rows made it, or an item came
    after it was made, sent or not - the items go into the day's next digest (key ``n`` + 1,
    see :func:`digest_key`) rather than wait for the next slot. A digest once made is never
    changed, since the sender may be sending it. Two replicas never take the same user (each
    claims the users it folds, :func:`user_claimed`); racing for the same key, the second waits
    for the first's commit, finds it taken and uses the next (users are handled in name order,
    so they never deadlock).
    """
    now = utcnow()
    made = 0
    async with runtime.sessionmaker() as session, session.begin():
        rows = await _due_digest_rows(session, now, batch)
        if not rows:
            return 0
        by_user: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_user.setdefault(r["recipient"], []).append(r)
        people = {
            p.username: p
            for p in (
                await session.execute(
                    select(Recipient).where(col(Recipient.username).in_(list(by_user)))
                )
            ).scalars()
        }
        for username in sorted(by_user):
            items = by_user[username]
            person = people.get(username)
            slot: datetime = max(i["next_attempt_at"] for i in items)
            language = person.language if person else "vi"
            message = render_kind(
                "digest",
                {"day": slot.date().strftime("%d/%m/%Y"), "items": items},
                language,
            )
            for n in itertools.count():  # ends: each miss is a digest that already exists
                inserted = await insert_ignoring_repeats(
                    session,
                    DELIVERY,
                    [
                        {
                            "id": new_id(),
                            "event_id": digest_key(username, slot.date(), n),
                            "event_type": "digest",
                            "recipient": username,
                            "channel": "email",
                            "target": items[0]["target"],
                            "subject": message.title,
                            "body": message.body,
                            "state": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                    ],
                    ["event_id", "recipient", "channel"],
                )
                if inserted:
                    break
            made += 1
        await session.execute(
            update(DELIVERY)
            .where(DELIVERY.c.id.in_([r["id"] for r in rows]))
            .values(state="digested", sent_at=now)
        )
        after_commit(session, signals_of(runtime).deliveries.notify)
    return made


digest_maker = worker("digest_maker", make_digests, lambda rt: Broadcast())
"""Worker: makes the daily digests when their hour comes (the slot is in each row)."""
