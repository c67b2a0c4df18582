"""Benchmark: one announcement to a whole city, 1,662,336 recipients (Hà Nội's party members).

On a fresh PostgreSQL database migrated like production, it

1. generates a users read model of N users in one city subtree (``INSERT ... SELECT
   generate_series``), spread over 126 wards;
2. fans an announcement out with the service's own worker step (``fan_out_chunk``: one
   ``INSERT ... SELECT`` per chunk of recipients, one transaction per chunk), timing rows per
   second and the process's peak memory (tracemalloc peak and ``ru_maxrss``);
3. times the exact unread count and the first inbox page for one recipient, and again for a user
   with a long history (100,000 messages), including a deep keyset page;
4. measures in the same run the raw PostgreSQL ceilings for the same number of rows: a plain
   ``INSERT ... SELECT`` into a table without indexes, the same into a copy of the notification
   table with all its indexes, and ``COPY`` of plain rows;

then prints the figures and writes ``bench/ANNOUNCEMENT-REPORT.md``.

    .venv/bin/python bench/announcement_bench.py                    # full size
    .venv/bin/python bench/announcement_bench.py --recipients 50000 # a quick run

Not part of ``make test``. Needs PostgreSQL (``CASCADE_BENCH_PG``, default the local server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
import uuid
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

PG_ADMIN = os.environ.get("CASCADE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
HANOI = "vn.ha-noi"
FULL = 1_662_336
REPORT = Path(__file__).parent / "ANNOUNCEMENT-REPORT.md"


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = await fn()
    return time.perf_counter() - start, value


async def median_ms(fn: Callable[[], Awaitable[Any]], runs: int = 7) -> float:
    await fn()  # warm
    times = []
    for _ in range(runs):
        seconds, _ = await timed(fn)
        times.append(seconds * 1000)
    return statistics.median(times)


async def run(recipients: int, chunk: int, keep: bool) -> dict[str, Any]:
    from cascade_notifications.service import SERVICE
    from cascade_notifications.settings import NotificationsSettings
    from cascade_notifications.store import unread_count
    from cascade_notifications.workers.fanout import fan_out_chunk
    from cascade_shared.bus.inprocess import InProcessBus
    from cascade_shared.chassis.migrations import upgrade
    from cascade_shared.chassis.service import ServiceRuntime
    from cascade_shared.settings import Settings
    from sqlalchemy import text

    name = f"cascade_bench_announce_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    dsn = f"{base}/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    figures: dict[str, Any] = {"recipients": recipients, "chunk": chunk}
    conn = await asyncpg.connect(dsn)
    runtime: ServiceRuntime | None = None
    try:
        await upgrade(SERVICE, url)
        figures["pg_version"] = await conn.fetchval("SHOW server_version")

        # 1. The users read model of one city.
        seconds, _ = await timed(
            lambda: conn.execute(
                "INSERT INTO recipient (username, name, unit, roles, email, language, active)"
                " SELECT 'dv' || lpad(g::text, 8, '0'), 'Đảng viên ' || g,"
                " $1 || '.w-' || lpad((g % 126)::text, 3, '0'), '[\"member\"]', NULL, 'vi', true"
                " FROM generate_series(1, $2) AS g",
                HANOI,
                recipients,
            )
        )
        await conn.execute("ANALYZE recipient")
        figures["users_seconds"] = seconds

        # 2. The fan-out, with the service's own worker step.
        settings = Settings(database_url=url, workers=False)
        runtime = ServiceRuntime(SERVICE, settings, InProcessBus())
        runtime.provide(NotificationsSettings(announcement_chunk=chunk))
        announcement = str(uuid.uuid4())
        await conn.execute(
            "INSERT INTO announcement (id, unit, title, body, author, state, recipients,"
            " created_at) VALUES ($1, $2, $3, $4, 'head.ha-noi', 'pending', 0, now())",
            announcement,
            HANOI,
            "Hội nghị quán triệt Nghị quyết Đại hội XIV",
            "Kính mời toàn thể đảng viên dự hội nghị tại 1.605 điểm cầu.",
        )
        rss_before = rss_mib()
        tracemalloc.start()
        start = time.perf_counter()
        chunks = 0
        while await fan_out_chunk(runtime):
            chunks += 1
        fan_out = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        inserted = await conn.fetchval(
            "SELECT count(*) FROM notification WHERE event_id = $1", announcement
        )
        assert inserted == recipients, (inserted, recipients)
        figures.update(
            fan_out_seconds=fan_out,
            fan_out_rows_per_s=recipients / fan_out,
            chunks=chunks,
            tracemalloc_peak_mib=peak / 2**20,
            rss_before_mib=rss_before,
            rss_peak_mib=rss_mib(),
        )

        # 3. The inbox of one recipient, and of a user with a long history, on fresh connections
        #    once the statistics are current (autovacuum's ANALYZE would do it in production).
        await conn.execute("ANALYZE notification")
        async with runtime.sessionmaker() as session:
            member = "dv" + str(recipients // 2).rjust(8, "0")
            figures["unread_ms"] = await median_ms(lambda: unread_count(session, member))
            page_sql = text(
                "SELECT id, title, created_at FROM notification WHERE recipient = :r"
                " ORDER BY created_at DESC, id DESC LIMIT 51"
            )
            figures["first_page_ms"] = await median_ms(
                lambda: session.execute(page_sql, {"r": member})
            )
            await conn.execute(
                "INSERT INTO notification (id, event_id, event_type, recipient, channel, kind,"
                " title, body, critical, created_at, read_at)"
                " SELECT gen_random_uuid()::text, gen_random_uuid()::text, 'plan.approved',"
                " $1, 'inapp', 'plan.approved', 'Tin ' || g, '', false,"
                " now() - g * interval '1 minute', CASE WHEN g % 3 = 0 THEN NULL ELSE now() END"
                " FROM generate_series(1, 100000) AS g",
                member,
            )
            await conn.execute("ANALYZE notification")
        await runtime.engine.dispose()
        async with runtime.sessionmaker() as session:
            figures["long_unread"] = await unread_count(session, member)
            figures["long_unread_ms"] = await median_ms(lambda: unread_count(session, member))
            figures["long_first_page_ms"] = await median_ms(
                lambda: session.execute(page_sql, {"r": member})
            )
            row = (
                await session.execute(
                    text(
                        "SELECT created_at, id FROM notification WHERE recipient = :r"
                        " ORDER BY created_at DESC, id DESC OFFSET 90000 LIMIT 1"
                    ),
                    {"r": member},
                )
            ).one()
            deep_sql = text(
                "SELECT id, title, created_at FROM notification WHERE recipient = :r"
                " AND (created_at, id) < (:c, :i) ORDER BY created_at DESC, id DESC LIMIT 51"
            )
            figures["long_deep_page_ms"] = await median_ms(
                lambda: session.execute(deep_sql, {"r": member, "c": row[0], "i": row[1]})
            )

        # 4. The raw ceilings, same number of rows, same server, same run.
        await conn.execute(
            "CREATE TABLE plain_rows (id text, recipient text, title text, created_at timestamptz)"
        )
        seconds, _ = await timed(
            lambda: conn.execute(
                "INSERT INTO plain_rows SELECT gen_random_uuid()::text, 'dv' || g, 'x', now()"
                " FROM generate_series(1, $1) AS g",
                recipients,
            )
        )
        figures["plain_insert_select_rows_per_s"] = recipients / seconds
        await conn.execute("TRUNCATE plain_rows")
        now, seconds, batch = datetime.now(UTC), 0.0, 200_000
        for first in range(0, recipients, batch):
            rows = [
                (str(uuid.uuid4()), f"dv{g}", "x", now)
                for g in range(first, min(first + batch, recipients))
            ]
            took, _ = await timed(lambda: conn.copy_records_to_table("plain_rows", records=rows))  # noqa: B023
            seconds += took
        figures["plain_copy_rows_per_s"] = recipients / seconds
        await conn.execute("CREATE TABLE indexed_rows (LIKE notification INCLUDING ALL)")
        seconds, _ = await timed(
            lambda: conn.execute(
                "INSERT INTO indexed_rows (id, event_id, event_type, recipient, channel, kind,"
                " title, body, critical, created_at)"
                " SELECT gen_random_uuid()::text, 'e', 'notification.announced',"
                " 'dv' || lpad(g::text, 8, '0'), 'inapp', 'notification.announced', 't', 'b',"
                " false, now() FROM generate_series(1, $1) AS g",
                recipients,
            )
        )
        figures["indexed_insert_select_rows_per_s"] = recipients / seconds
        figures["rss_end_mib"] = rss_mib()
    finally:
        if runtime is not None:
            await runtime.engine.dispose()
        await conn.close()
        if not keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return figures


def report(f: dict[str, Any]) -> str:
    fan = f["fan_out_rows_per_s"]
    lines = [
        "# Announcement fan-out benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()}"
        f" cores, Python {platform.python_version()}, PostgreSQL {f['pg_version']} (shared with"
        " other work on the same machine: figures are indicative, ratios are the point).",
        f"Command: `.venv/bin/python bench/announcement_bench.py --recipients {f['recipients']}"
        f" --chunk {f['chunk']}`.",
        "",
        "## Fan-out",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| recipients (one city subtree, 126 wards) | {f['recipients']:,} |",
        f"| generating the users read model (INSERT … SELECT) | {f['users_seconds']:.1f} s |",
        f"| announcement fan-out, {f['chunks']} chunks of {f['chunk']:,} |"
        f" {f['fan_out_seconds']:.1f} s |",
        f"| fan-out rate | **{fan:,.0f} rows/s** |",
        f"| Python heap peak during fan-out (tracemalloc) | {f['tracemalloc_peak_mib']:.2f} MiB |",
        f"| process peak RSS before → after fan-out | {f['rss_before_mib']:.0f} →"
        f" {f['rss_peak_mib']:.0f} MiB |",
        "",
        "## Raw PostgreSQL ceilings, same rows, same run",
        "",
        "| method | rows/s | fan-out as a share of it |",
        "| --- | --- | --- |",
    ]
    for label, key in [
        ("INSERT … SELECT, plain table, no index", "plain_insert_select_rows_per_s"),
        ("COPY of plain rows (asyncpg)", "plain_copy_rows_per_s"),
        (
            "INSERT … SELECT into a copy of `notification` with all its indexes",
            "indexed_insert_select_rows_per_s",
        ),
    ]:
        lines.append(f"| {label} | {f[key]:,.0f} | {fan / f[key]:.0%} |")
    lines += [
        "",
        "## Inbox reads (median of 7, after one warm-up)",
        "",
        "| read | ms |",
        "| --- | --- |",
        f"| exact unread count, one recipient of the announcement | {f['unread_ms']:.2f} |",
        f"| first inbox page (51 rows, keyset order) | {f['first_page_ms']:.2f} |",
        f"| exact unread count, user with 100,000 messages ({f['long_unread']:,} unread) |"
        f" {f['long_unread_ms']:.2f} |",
        f"| first page of that user | {f['long_first_page_ms']:.2f} |",
        f"| a page 90,000 messages deep (keyset cursor) | {f['long_deep_page_ms']:.2f} |",
        "",
        "## Reading the figures",
        "",
        "- The fan-out runs inside PostgreSQL: per chunk one `SELECT max(username), count(*)` over"
        " the next chunk of the users read model (by primary key) and one `INSERT … SELECT … ON"
        " CONFLICT DO NOTHING`; Python only moves the cursor, so its heap stays flat whatever the"
        " number of recipients.",
        "- The gap to the plain ceiling is index maintenance: four indexes on `notification` (the"
        " primary key, the unique (event, recipient, channel) key that makes the fan-out exactly"
        " once, the inbox order and the partial unread index). The indexed ceiling shows what the"
        " same rows cost with the same indexes and no chunking.",
        "- Where the time goes: the indexed ceiling is within a few percent of the fan-out, so the"
        " cost is the four indexes, chiefly the random 36-character text UUIDs in the primary key"
        " and the inbox-order index. Time-ordered keys (UUIDv7, or a bigint sequence for inbox"
        " rows) would turn those random index writes into appends: that is the next lever, not the"
        " fan-out code.",
        "- Unread counts are exact `COUNT(*)` over a partial index of unread rows: a user's"
        " count reads only their unread entries, so no per-user counter table is needed at this"
        " size.",
        f"- Process peak RSS at the end of the run: {f['rss_end_mib']:.0f} MiB (the COPY ceiling"
        " sends its rows in batches of 200,000 built in Python; only the COPY calls are timed).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=FULL)
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args()
    figures = asyncio.run(run(args.recipients, args.chunk, args.keep))
    text = report(figures)
    print(text)
    if not args.no_report:
        REPORT.write_text(text, encoding="utf-8")
        print(f"written to {REPORT}", file=sys.stderr)


if __name__ == "__main__":
    main()
