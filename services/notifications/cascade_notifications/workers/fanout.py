"""Announcements fanned out to every member of a unit's subtree, chunk by chunk, resuming
after a restart."""

from __future__ import annotations

from typing import Any

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import utcnow
from cascade_shared.events import AnnouncementPublished
from cascade_shared.projector import dialect_of
from sqlalchemy import bindparam, select, text, update

from cascade_notifications.handlers import queue_webhooks
from cascade_notifications.signals import after_commit
from cascade_notifications.store import (
    settings_of,
    signals_of,
)
from cascade_notifications.workers.common import (
    ANNOUNCEMENT,
    NOTIFICATION,
    worker,
)


def _uuid_sql(dialect: str) -> str:
    return "gen_random_uuid()::text" if dialect == "postgresql" else "lower(hex(randomblob(16)))"


async def fan_out_chunk(runtime: ServiceRuntime) -> int:
    """Insert the next chunk of one pending announcement's recipients in one statement
    (``INSERT ... SELECT`` from the users read model), in one transaction with the cursor; the
    last chunk records ``notification.announced``. Returns the rows inserted (0 when idle)."""
    settings = settings_of(runtime)
    async with runtime.sessionmaker() as session, session.begin():
        claim = (
            select(ANNOUNCEMENT)
            .where(ANNOUNCEMENT.c.state == "pending")
            .order_by(ANNOUNCEMENT.c.created_at)
            .limit(1)
        )
        dialect = dialect_of(session)
        if dialect == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
        found = (await session.execute(claim)).first()
        if found is None:
            return 0
        ann = dict(found._mapping)
        inserted, last, count = await insert_chunk(
            session,
            announcement_id=ann["id"],
            unit=ann["unit"],
            title=ann["title"],
            body=ann["body"],
            after=ann["cursor"],
            chunk=settings.announcement_chunk,
        )
        values: dict[str, Any] = {
            "cursor": last or ann["cursor"],
            "recipients": ann["recipients"] + inserted,
        }
        if count < settings.announcement_chunk:
            values.update(state="done", completed_at=utcnow())
            envelope = runtime.emit(
                session,
                AnnouncementPublished(
                    announcement_id=ann["id"],
                    unit=ann["unit"],
                    title=ann["title"],
                    recipients=values["recipients"],
                ),
                actor=ann["author"],
                org_unit=ann["unit"],
                subject_id=ann["id"],
            )
            await queue_webhooks(session, envelope, utcnow())
            after_commit(session, signals_of(runtime).deliveries.notify)
        await session.execute(
            update(ANNOUNCEMENT).where(ANNOUNCEMENT.c.id == ann["id"]).values(**values)
        )
        after_commit(session, signals_of(runtime).inbox.notify)
        return max(inserted, 1)


async def insert_chunk(
    session: Any,
    *,
    announcement_id: str,
    unit: str,
    title: str,
    body: str,
    after: str | None,
    chunk: int,
) -> tuple[int, str | None, int]:
    """One chunk of an announcement: the next ``chunk`` active users of ``unit``'s subtree after
    username ``after``, inserted in one ``INSERT ... SELECT``. Returns (inserted, last, seen)."""
    dialect = dialect_of(session)
    subtree = "active AND (unit = :unit OR unit LIKE :prefix) AND username > :after"
    params = {"unit": unit, "prefix": unit + ".%", "after": after or ""}
    bounds = (
        await session.execute(
            text(
                f"SELECT max(username), count(*) FROM (SELECT username FROM recipient "
                f"WHERE {subtree} ORDER BY username LIMIT :chunk) AS c"
            ),
            {**params, "chunk": chunk},
        )
    ).one()
    last, seen = bounds[0], int(bounds[1])
    if not seen:
        return 0, None, 0
    result = await session.execute(
        text(
            "INSERT INTO notification (id, event_id, event_type, recipient, channel, kind, title,"
            " body, plan_id, critical, created_at)"
            f" SELECT {_uuid_sql(dialect)}, :aid, 'notification.announced', username, 'inapp',"
            " 'notification.announced', :title, :body, NULL, false, :now"
            f" FROM recipient WHERE {subtree} AND username <= :last"
            " ON CONFLICT (event_id, recipient, channel) DO NOTHING"
        ).bindparams(bindparam("now", type_=NOTIFICATION.c.created_at.type)),
        {
            **params,
            "aid": announcement_id,
            "title": title,
            "body": body,
            "now": utcnow(),
            "last": last,
        },
    )
    return int(result.rowcount or 0), last, seen


announcement_fanout = worker(
    "announcement_fanout", fan_out_chunk, lambda rt: signals_of(rt).announcements
)
"""Worker: fans pending announcements out, chunk by chunk, resuming after a restart."""
