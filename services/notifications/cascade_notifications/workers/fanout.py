"""Announcements fanned out to every member of a unit's subtree, chunk by chunk, resuming
after a restart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import utcnow
from cascade_shared.events import AnnouncementPublished
from cascade_shared.projector import dialect_of
from cascade_shared.units import like_prefix
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError

from cascade_notifications.domain.digest import next_digest_at
from cascade_notifications.domain.templates import DEFAULT_LANGUAGE, LANGUAGES, render_kind
from cascade_notifications.handlers import queue_webhooks
from cascade_notifications.settings import NotificationsSettings
from cascade_notifications.signals import after_commit
from cascade_notifications.store import (
    settings_of,
    signals_of,
)
from cascade_notifications.workers.common import (
    ANNOUNCEMENT,
    DELIVERY,
    worker,
)

ANNOUNCED = "notification.announced"


def _uuid_sql(dialect: str) -> str:
    return "gen_random_uuid()::text" if dialect == "postgresql" else "lower(hex(randomblob(16)))"


async def fan_out_chunk(runtime: ServiceRuntime) -> int:
    """Copy one pending announcement into the inboxes of its next chunk of recipients in one
    statement (``INSERT ... SELECT`` from the users read model), queue the e-mails of those who
    asked for announcements by e-mail (into their digest), and move the cursor, all in one
    transaction; the last chunk records ``notification.announced``. Returns the rows inserted
    (0 when idle).

    Exactly once: the announcement row is locked while a chunk is written (``FOR UPDATE SKIP
    LOCKED``: a second worker takes another announcement or none), and its cursor commits with
    the chunk's rows, so a crash loses both and the next pass writes the chunk again, and a pass
    after the last chunk finds the announcement done. The copies' key (recipient,
    announcement) and the e-mails' key (event, recipient, channel) make even a replayed
    announcement insert nothing twice."""
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
            after=ann["cursor"],
            chunk=settings.announcement_chunk,
        )
        if last is not None:
            await queue_announcement_mail(
                session,
                settings,
                ann,
                after=ann["cursor"],
                last=last,
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


def _in_subtree(alias: str = "") -> str:
    """The announcement's recipients after the cursor: active users of the unit and below
    (the parameters of :func:`_subtree`; ``alias`` names the recipient table)."""
    r = f"{alias}." if alias else ""
    return (
        f"{r}active AND ({r}unit = :unit OR {r}unit LIKE :prefix ESCAPE '\\')"
        f" AND {r}username > :after"
    )


SUBTREE = _in_subtree()


def _subtree(unit: str, after: str | None) -> dict[str, Any]:
    return {"unit": unit, "prefix": like_prefix(unit), "after": after or ""}


async def insert_chunk(
    session: Any,
    *,
    announcement_id: str,
    unit: str,
    after: str | None,
    chunk: int,
) -> tuple[int, str | None, int]:
    """One chunk of an announcement: the next ``chunk`` active users of ``unit``'s subtree after
    username ``after`` get a copy in their inbox, in one ``INSERT ... SELECT`` of narrow rows
    (recipient, announcement) in the key's order. Returns (inserted, last, seen)."""
    params = {**_subtree(unit, after), "aid": announcement_id, "chunk": chunk}
    nexts = f"SELECT username FROM recipient WHERE {SUBTREE} ORDER BY username LIMIT :chunk"
    insert = "INSERT INTO inbox_announcement (recipient, announcement_id) SELECT username, :aid"
    repeats = " ON CONFLICT (recipient, announcement_id) DO NOTHING"
    if dialect_of(session) != "postgresql":
        bounds = (
            await session.execute(
                text(f"SELECT max(username), count(*) FROM ({nexts}) AS c"), params
            )
        ).one()
        last, seen = bounds[0], int(bounds[1])
        if not seen:
            return 0, None, 0
        result = await session.execute(
            text(f"{insert} FROM recipient WHERE {SUBTREE} AND username <= :last{repeats}"),
            {**params, "last": last},
        )
        return int(result.rowcount or 0), last, seen
    # On PostgreSQL one statement reads the chunk once and inserts it. ``ON CONFLICT`` would
    # make every row a speculative insertion (a look-up of the key before the insert, then the
    # insert's own) and halve the rate; the cursor already keeps each chunk written once, so
    # the plain insert runs in a savepoint, and only when some copy exists already (the
    # announcement replayed from an older cursor) is the chunk written again skipping those.
    try:
        async with session.begin_nested():
            bounds = (
                await session.execute(
                    text(
                        f"WITH chunk AS MATERIALIZED ({nexts}),"
                        f" copied AS ({insert} FROM chunk)"
                        " SELECT max(username), count(*), count(*) FROM chunk"
                    ),
                    params,
                )
            ).one()
    except IntegrityError:
        bounds = (
            await session.execute(
                text(
                    f"WITH chunk AS MATERIALIZED ({nexts}),"
                    f" copied AS ({insert} FROM chunk{repeats} RETURNING 1)"
                    " SELECT max(username), count(*), (SELECT count(*) FROM copied) FROM chunk"
                ),
                params,
            )
        ).one()
    last, seen, inserted = bounds[0], int(bounds[1]), int(bounds[2])
    return inserted, last, seen


def _by_language(column: str, field: str) -> str:
    """SQL choosing the rendering of ``field`` for the recipient's ``language`` (``en``,
    ``en-GB`` -> English; anything else -> the default language), as ``language_of`` does."""
    cases = " ".join(
        f"WHEN lower({column}) = '{lang}' OR lower({column}) LIKE '{lang}-%' THEN :{field}_{lang}"
        for lang in LANGUAGES
        if lang != DEFAULT_LANGUAGE
    )
    default = f":{field}_{DEFAULT_LANGUAGE}"
    return f"CASE {cases} ELSE {default} END" if cases else default


async def queue_announcement_mail(
    session: Any,
    settings: NotificationsSettings,
    ann: dict[str, Any],
    *,
    after: str | None,
    last: str,
) -> int:
    """E-mails of one chunk's recipients who asked for announcements by e-mail, held for their
    daily digest (a mass e-mail goes out only folded into digests). Asking is a rule with
    ``email`` on: the rule for ``notification.announced``, else the user's ``*`` rule; without
    a rule an announcement stays in the app. One ``INSERT ... SELECT`` driven by the (small)
    preferences table, so the inbox copies do not wait for it. Returns the e-mails queued."""
    if not settings.smtp_host:
        return 0
    now = utcnow()
    digest_at: datetime = next_digest_at(now, hour=settings.digest_hour, zone=settings.timezone)
    rendered: dict[str, str] = {}
    for lang in LANGUAGES:
        message = render_kind(ANNOUNCED, {"title": ann["title"], "body": ann["body"]}, lang)
        rendered[f"subject_{lang}"] = message.title[:500]
        rendered[f"body_{lang}"] = message.body
    result = await session.execute(
        text(
            "INSERT INTO delivery (id, event_id, event_type, recipient, channel, target, subject,"
            " body, state, attempts, next_attempt_at, created_at)"
            f" SELECT {_uuid_sql(dialect_of(session))}, :aid, '{ANNOUNCED}', r.username, 'email',"
            f" r.email, {_by_language('r.language', 'subject')},"
            f" {_by_language('r.language', 'body')}, 'digest', 0, :digest_at, :now"
            " FROM preference p JOIN recipient r ON r.username = p.username"
            f" WHERE p.email AND {_in_subtree('r')} AND r.username <= :last"
            # The same range on the preferences' key: a chunk's few rules, not its recipients.
            " AND p.username > :after AND p.username <= :last"
            " AND r.email IS NOT NULL AND r.email <> ''"
            f" AND (p.kind = '{ANNOUNCED}' OR (p.kind = '*' AND NOT EXISTS (SELECT 1 FROM"
            f" preference k WHERE k.username = p.username AND k.kind = '{ANNOUNCED}')))"
            " ON CONFLICT (event_id, recipient, channel) DO NOTHING"
        ).bindparams(
            bindparam("now", type_=DELIVERY.c.created_at.type),
            bindparam("digest_at", type_=DELIVERY.c.next_attempt_at.type),
        ),
        {
            **_subtree(ann["unit"], after),
            **rendered,
            "aid": ann["id"],
            "last": last,
            "now": now,
            "digest_at": digest_at,
        },
    )
    return int(result.rowcount or 0)


announcement_fanout = worker(
    "announcement_fanout", fan_out_chunk, lambda rt: signals_of(rt).announcements
)
"""Worker: fans pending announcements out, chunk by chunk, resuming after a restart."""
