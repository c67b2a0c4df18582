"""The database work one ward story costs, per service: SQL statements, transactions and
PostgreSQL round trips.

The system runs embedded (every service in this process, events on the in-process bus) on
PostgreSQL, with one database per service as in distributed mode, so each service issues the
statements it would issue in production; only the transport of the events differs. The story is
the open-loop bench's (:func:`bench.open_loop.story`): a prepared draft is submitted, the ward
head and the city approve, and the drafter is told, the bots woken by Huế's webhook calls.

It counts:

- **statements**, with SQLAlchemy's ``before_cursor_execute`` event on each service's engine,
  each one attributed to what drove it (an API route, an event handler, the outbox relay or a
  background worker) and to the code that issued it (``file:function``), found by walking the
  caller's stack through SQLAlchemy's greenlet;
- **transactions**, with the engines' ``begin`` events;
- **round trips**, by wrapping asyncpg's ``Connection`` and ``PreparedStatement`` methods that
  each make one: prepare (Parse), execute of a prepared statement, ``executemany``, and the
  simple queries, which carry the transactions' BEGIN, COMMIT and ROLLBACK (asyncpg's
  ``Transaction`` sends them through ``Connection.execute``). A pool pre-ping
  (``db_pre_ping``, off by default) is counted apart, with the BEGIN and ROLLBACK it wraps
  around its ``;``.

These are counts, not times: the same code gives the same figures on any machine, so a change
that saves a statement or a round trip shows exactly. The background polls (the outbox relays,
the notification workers, the audit sealer) are set to an hour, so that only the work the
stories cause is counted, not how long they took; the relays and the workers are still woken
by the commits that give them work, as in production.

    .venv/bin/python -m bench.statements_bench                    # 20 stories, one at a time
    .venv/bin/python -m bench.statements_bench --concurrency 1,5  # and 20 more, five at a time

Prints the figures and writes bench/STATEMENTS-REPORT.md (the first concurrency in detail, the
totals of each). Creates the databases ``cascadestmt_<service>`` and drops them at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import functools
import os
import platform
import subprocess
import sys
import tempfile
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import greenlet
import httpx
from asyncpg import connection as pg_connection
from asyncpg import prepared_stmt
from cascade_embedded.main import build_app
from cascade_shared.settings import Settings
from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import load, open_loop
from tests import infra

HERE = Path(__file__).parent
SERVICES = ["plans", "approvals", "notifications", "results", "audit"]
PREFIX = "cascadestmt_"
QUIET_POLL_S = 3600.0
"""The background polls' interval during the run: longer than the run, so none happens."""
QUIET_WORKER_SETTINGS = [
    "CASCADE_NOTIFICATIONS_POLL_INTERVAL",  # the delivery sender, digests, announcements
    "CASCADE_AUDIT_SEAL_POLL_INTERVAL",  # the checkpoint sealer
    "CASCADE_RESULTS_SCAN_SECONDS",  # the overdue chaser
    "CASCADE_APPROVALS_DEADLINE_POLL_SECONDS",  # the deadline scheduler
    "CASCADE_PLANS_REVISION_CHASE_SECONDS",  # the revision chaser
]
SETTLE_S = 1.0
"""The system is idle once no round trip has been made for this long."""
STORY_TIMEOUT_S = 30.0
"""A story takes well under a second; one that takes this long is stuck."""
TOP_SITES = 5


class BenchSettings(Settings):
    """One database per service (with ``database_url`` set, they would share one)."""

    def database_url_for(self, service: str) -> str:
        return infra.pg_url(PREFIX + service)


# -- the counts ------------------------------------------------------------------------------
@dataclass
class Counts:
    """What the services did while counting was on."""

    statements: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(service, driver, site) → statements."""
    transactions: Counter[str] = field(default_factory=Counter)
    """Service → transactions begun."""
    round_trips: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(service, kind) → round trips; kind is BEGIN, COMMIT, ROLLBACK, prepare, pre-ping,
    statement (a prepared statement's execution or an executemany) or other (a simple query)."""

    def total(self) -> int:
        """Round trips of every service."""
        return sum(self.round_trips.values())


class Recorder:
    """The counts so far, kept by the event listeners and the wrappers."""

    def __init__(self) -> None:
        self.counts = Counts()
        self.service_of: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        """asyncpg connection → service, filled as each engine's pool hands them out."""

    def take(self) -> Counts:
        """The counts so far; counting starts afresh."""
        taken, self.counts = self.counts, Counts()
        return taken


RECORDER = Recorder()
_IN_PING: contextvars.ContextVar[bool] = contextvars.ContextVar("in_ping", default=False)


# -- who issued a statement ------------------------------------------------------------------
def _caller_frames() -> list[FrameType]:
    """The frames of the code that issued the statement, outermost first.

    The listener runs in the greenlet SQLAlchemy spawned for the statement; the caller's
    coroutines are suspended in the parent greenlet, whose frame chain leads back to them."""
    parent = greenlet.getcurrent().parent
    frame = parent.gr_frame if parent is not None else sys._getframe(1)
    frames = []
    while frame is not None:
        if "/cascade_" in frame.f_code.co_filename:
            frames.append(frame)
        frame = frame.f_back
    return frames[::-1]


def _module(frame: FrameType) -> str:
    """``cascade_plans/lifecycle.py``: the file from its package on."""
    path = frame.f_code.co_filename
    return path[path.rindex("/cascade_") + 1 :]


def _site(frames: list[FrameType]) -> str:
    """The innermost Cascade code that issued the statement (below the session helpers)."""
    for frame in reversed(frames):
        if _module(frame) != "cascade_shared/db.py":
            return f"{_module(frame)}:{frame.f_code.co_qualname}"
    return "?"


def _first_own(frames: list[FrameType]) -> str | None:
    """The outermost frame of a service's own code (not the shared chassis)."""
    own = (f for f in frames if not _module(f).startswith("cascade_shared/"))
    return next((f.f_code.co_qualname for f in own), None)


def _driver(frames: list[FrameType]) -> str:
    """What drove the statement: ``route <function>``, ``handler <function>``, ``relay``,
    ``worker <function>``, or ``other <function>``."""
    modules = [_module(f) for f in frames]
    routes = [f for f, m in zip(frames, modules, strict=True) if "/api/routes/" in m]
    if routes:
        return f"route {routes[0].f_code.co_qualname}"
    if "cascade_shared/outbox.py" in modules:
        return "relay"
    if "cascade_shared/chassis/service.py" in modules:
        inbox = "cascade_shared/inbox.py" in modules
        return f"handler {_first_own(frames) or ('(inbox claim)' if inbox else '(commit)')}"
    own = _first_own(frames)
    if any("workers" in m for m in modules):
        return f"worker {own}"
    return f"other {own or (frames[0].f_code.co_qualname if frames else '?')}"


# -- the listeners and wrappers --------------------------------------------------------------
def listen(service: str, engine: AsyncEngine) -> None:
    """Count ``service``'s statements and transactions, and map its connections to it."""
    sync = engine.sync_engine

    @event.listens_for(sync.pool, "checkout")
    def _checked_out(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        RECORDER.service_of[dbapi_connection.driver_connection] = service

    @event.listens_for(sync, "before_cursor_execute")
    def _statement(*_args: Any) -> None:
        frames = _caller_frames()
        RECORDER.counts.statements[(service, _driver(frames), _site(frames))] += 1

    @event.listens_for(sync, "begin")
    def _begin(_connection: Any) -> None:
        RECORDER.counts.transactions[service] += 1


def _count_round_trip(connection: Any, kind: str) -> None:
    service = RECORDER.service_of.get(connection)
    if service is not None:
        RECORDER.counts.round_trips[(service, "pre-ping" if _IN_PING.get() else kind)] += 1


def _simple_query_kind(query: str) -> str:
    word = query.strip().rstrip(";").split(" ", 1)[0].upper()
    return word if word in ("BEGIN", "COMMIT", "ROLLBACK") else "other"


def _wrap(owner: type, name: str, what: Callable[..., tuple[Any, str]]) -> None:
    """Count one round trip per call of ``owner.name``: ``what(self, *args)`` gives the asyncpg
    connection it is made on and its kind."""
    original = getattr(owner, name)

    @functools.wraps(original)
    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        _count_round_trip(*what(self, *args))
        return await original(self, *args, **kwargs)

    setattr(owner, name, counted)


def _wrap_ping() -> None:
    """Mark the round trips of SQLAlchemy's pre-ping (BEGIN, ``;``, ROLLBACK) as the ping's."""
    original: Callable[[Any], Awaitable[None]] = AsyncAdapt_asyncpg_connection._async_ping

    @functools.wraps(original)
    async def ping(self: Any) -> None:
        token = _IN_PING.set(True)
        try:
            await original(self)
        finally:
            _IN_PING.reset(token)

    AsyncAdapt_asyncpg_connection._async_ping = ping  # type: ignore[method-assign]


def wrap_asyncpg() -> None:
    """Count every round trip asyncpg makes for SQLAlchemy."""
    connection = pg_connection.Connection
    _wrap(connection, "prepare", lambda conn, *_: (conn, "prepare"))
    _wrap(connection, "executemany", lambda conn, *_: (conn, "statement"))
    _wrap(connection, "fetchrow", lambda conn, *_: (conn, "other"))
    _wrap(connection, "execute", lambda conn, query, *_: (conn, _simple_query_kind(query)))
    statement = prepared_stmt.PreparedStatement
    _wrap(statement, "fetch", lambda stmt, *_: (stmt._connection, "statement"))
    _wrap_ping()


# -- driving the stories ---------------------------------------------------------------------
async def settle() -> None:
    """Wait until no service has made a round trip for :data:`SETTLE_S` (the last story's
    events handled and delivered)."""
    while True:
        before = RECORDER.counts.total()
        await asyncio.sleep(SETTLE_S)
        if RECORDER.counts.total() == before:
            return


async def run_stories(
    client: httpx.AsyncClient,
    stories: list[open_loop.Prepared],
    city: dict[str, str],
    push: open_loop.Push,
    concurrency: int,
) -> None:
    gate = asyncio.Semaphore(concurrency)
    window = open_loop.Window(rate=0, duration=0)

    async def one(p: open_loop.Prepared) -> None:
        async with gate:
            try:
                async with asyncio.timeout(STORY_TIMEOUT_S):
                    await open_loop.story(client, p, city, push, window)
            except TimeoutError as exc:
                raise RuntimeError(
                    f"the story of {p.ward} did not finish within {STORY_TIMEOUT_S:g} s: a "
                    "webhook call that failed is tried again only at a poll, and the polls are "
                    "off during the run; run the bench again"
                ) from exc

    await asyncio.gather(*(one(p) for p in stories))


async def subscribe_push(client: httpx.AsyncClient, hook_url: str) -> None:
    """Huế's webhook subscription that wakes the bots, as in the open-loop bench."""
    admin = await load.token(client, "admin")
    r = await client.post(
        "/api/notifications/webhooks",
        json={
            "url": hook_url,
            "unit": load.HUE,
            "secret": open_loop.SECRET,
            "event_types": ["approval.step_assigned", "plan.approved"],
        },
        headers=admin,
    )
    r.raise_for_status()


async def measure(
    client: httpx.AsyncClient, stories: int, warmup: int, levels: list[int]
) -> dict[int, Counts]:
    """Warm up, then count ``stories`` stories at each concurrency of ``levels``."""
    push = open_loop.Push()
    server, server_task, hook_url = await open_loop.serve_push(push)
    try:
        await subscribe_push(client, hook_url)
        prepared = await open_loop.prepare(client, warmup + stories * len(levels), first=0)
        city = await load.token(client, "approver.hue")
        await settle()
        await run_stories(client, prepared[:warmup], city, push, 1)
        await settle()
        counted: dict[int, Counts] = {}
        for i, level in enumerate(levels):
            batch = prepared[warmup + i * stories : warmup + (i + 1) * stories]
            RECORDER.take()
            await run_stories(client, batch, city, push, level)
            await settle()
            counted[level] = RECORDER.take()
        return counted
    finally:
        server.should_exit = True
        await server_task


def quiet_background_polls() -> None:
    """Each periodic worker runs once as its service starts, then waits its interval (or a
    wake-up); the services read these settings from the environment."""
    for name in QUIET_WORKER_SETTINGS:
        os.environ[name] = str(QUIET_POLL_S)


async def run(stories: int, warmup: int, levels: list[int]) -> dict[int, Counts]:
    """Start the embedded system on fresh databases, count, and drop the databases."""
    for service in SERVICES:
        await infra.create_database(PREFIX + service)
    quiet_background_polls()
    wrap_asyncpg()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = BenchSettings(
                data_dir=Path(tmp),
                jwt_secret="s" * 40,
                log_level="WARNING",
                relay_poll_interval=QUIET_POLL_S,
            )
            app = build_app(settings)
            async with app.router.lifespan_context(app):
                for name, runtime in app.state.runtimes.items():
                    listen(name, runtime.engine)
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://cascade", timeout=120
                ) as client:
                    return await measure(client, stories, warmup, levels)
    finally:
        for service in SERVICES:
            await infra.drop_database(PREFIX + service)


# -- the report ------------------------------------------------------------------------------
def _per(n: float, stories: int) -> str:
    return f"{n / stories:.2f}".rstrip("0").rstrip(".") if n else "0"


def _summed(pairs: Iterable[tuple[str, int]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for key, n in pairs:
        out[key] += n
    return out


def _table(header: list[str], rows: Iterable[list[str]], text_columns: int = 1) -> list[str]:
    align = ["---"] * text_columns + ["---:"] * (len(header) - text_columns)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _keep(service: str | None, counted_for: str) -> bool:
    return service is None or counted_for == service


def figures(c: Counts, service: str | None) -> tuple[int, int, int]:
    """Statements, transactions and round trips of ``service`` (of every service with None)."""
    return (
        sum(n for (s, _, _), n in c.statements.items() if _keep(service, s)),
        sum(n for s, n in c.transactions.items() if _keep(service, s)),
        sum(n for (s, _), n in c.round_trips.items() if _keep(service, s)),
    )


ROWS: list[tuple[str, str | None]] = [(s, s) for s in SERVICES] + [("**total**", None)]
"""The rows of the per-service tables: each service, then all of them."""
ROUND_TRIP_KINDS = ["statement", "BEGIN", "COMMIT", "ROLLBACK", "prepare", "pre-ping", "other"]


def totals_table(counted: dict[int, Counts], stories: int) -> list[str]:
    """Statements, transactions and round trips per story and service, at each concurrency."""
    what = ["statements", "transactions", "round trips"]
    if len(counted) == 1:
        header = ["service", *what]
    else:
        header = ["service"] + [f"{w} (c={level})" for level in counted for w in what]
    rows = [
        [label] + [_per(x, stories) for c in counted.values() for x in figures(c, service)]
        for label, service in ROWS
    ]
    return _table(header, rows)


def round_trips_table(c: Counts, stories: int) -> list[str]:
    rows = []
    for label, service in ROWS:
        kinds = _summed((k, n) for (s, k), n in c.round_trips.items() if _keep(service, s))
        per_kind = [_per(kinds[k], stories) for k in ROUND_TRIP_KINDS]
        rows.append([label, _per(sum(kinds.values()), stories), *per_kind])
    return _table(["service", "round trips", *ROUND_TRIP_KINDS], rows)


def drivers_table(c: Counts, stories: int) -> list[str]:
    rows = []
    for service in SERVICES:
        drivers = _summed((d, n) for (s, d, _), n in c.statements.items() if s == service)
        rows += [[service, f"`{d}`", _per(n, stories)] for d, n in drivers.most_common()]
    return _table(["service", "driver", "statements per story"], rows, text_columns=2)


def sites_table(c: Counts, stories: int) -> list[str]:
    rows = []
    for service in SERVICES:
        sites = _summed((site, n) for (s, _, site), n in c.statements.items() if s == service)
        top = sites.most_common(TOP_SITES)
        rows += [[service, f"`{site}`", _per(n, stories)] for site, n in top]
    header = ["service", "site (file:function)", "statements per story"]
    return _table(header, rows, text_columns=2)


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def render(counted: dict[int, Counts], args: argparse.Namespace) -> list[str]:
    first, detail = next(iter(counted.items()))
    n = args.stories
    levels = ",".join(str(level) for level in counted)
    lines = [
        "# SQL statements, transactions and round trips per ward story",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {_commit()} on {platform.node()} "
        f"({platform.machine()}, Python {platform.python_version()}), embedded mode on PostgreSQL "
        f"with one database per service: `python -m bench.statements_bench --stories {n} "
        f"--warmup {args.warmup} --concurrency {levels}`.",
        "",
        f"Per story, over {n} stories after {args.warmup} warm-up stories, {first} at a time. "
        "A story: submit, the ward head's and the city's approvals, the drafter told, with the "
        "3 webhook calls that wake the bots. The relays and the periodic workers are woken by the "
        "work the stories give them but do not poll, so only that work is counted. These are "
        "counts, not times: the same code gives the same figures on any machine.",
        "",
        "## Per service",
        "",
        *totals_table({first: detail}, n),
        "",
        "The statements and transactions repeat exactly from run to run, but for notifications' "
        "delivery sender: a wake-up that arrives while it works makes it look once more for due "
        "deliveries (one more statement and transaction), so its figures vary by a few per story "
        "(9 to 12 statements per story, one story at a time, in repeated runs). The prepares "
        "vary a little too, with the pooled connection each statement gets.",
        "",
        "## Round trips",
        "",
        "A statement is one round trip (a prepared statement's execution, or an executemany); "
        "each transaction adds its BEGIN and its COMMIT or ROLLBACK; a statement text new to a "
        "connection adds a prepare; a pool pre-ping (off by default) costs three.",
        "",
        *round_trips_table(detail, n),
        "",
        "## Statements by driver",
        "",
        *drivers_table(detail, n),
        "",
        f"## Top {TOP_SITES} statement sites per service",
        "",
        *sites_table(detail, n),
        "",
    ]
    if len(counted) > 1:
        lines += ["## By concurrency", "", *totals_table(counted, n), ""]
    return lines


def parse_levels(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=20, help="stories counted per concurrency")
    parser.add_argument("--warmup", type=int, default=4, help="stories run before counting")
    parser.add_argument(
        "--concurrency", type=parse_levels, default=[1], help="stories at a time, e.g. 1,5"
    )
    parser.add_argument("--report", type=Path, default=HERE / "STATEMENTS-REPORT.md")
    args = parser.parse_args()
    counted = asyncio.run(run(args.stories, args.warmup, args.concurrency))
    report = "\n".join(render(counted, args))
    print(report)
    args.report.write_text(report)
    print(f"written {args.report}")


if __name__ == "__main__":
    main()
