"""Audit store at scale: load N records (default ten million) with a real hash chain and signed
checkpoints into a dedicated PostgreSQL database, then report the median and p99 of each
inspector query and the time to verify the whole chain and a range from a checkpoint.

    .venv/bin/python bench/audit_bench.py --records 100000        # a quick check
    .venv/bin/python bench/audit_bench.py                         # ten million (~20-30 min)

The queries go through the service's own code (``cascade_audit.store.page`` and
``cascade_audit.verification.verify_store``) on the service's schema (its migrations), so the
figures are what the API pays below HTTP. Not part of ``make test``; it stops by itself after
``--max-minutes`` and drops its database unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
from cascade_audit import segments
from cascade_audit.domain import merkle
from cascade_audit.domain.chain import GENESIS, canonical, record_hash
from cascade_audit.domain.checkpoint import Statement, key_id, sign
from cascade_audit.domain.query import Cursor, RecordFilter
from cascade_audit.models import AuditRecord, chained_fields, iso
from cascade_audit.service import SERVICE
from cascade_audit.store import page
from cascade_audit.verification import verify_store
from cascade_shared.auth import Principal
from cascade_shared.chassis.migrations import upgrade_sync
from cascade_shared.db import make_engine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex

HERE = Path(__file__).parent
TYPES = [
    ("plan.created", 6),
    ("plan.updated", 14),
    ("plan.submitted", 8),
    ("approval.case_opened", 8),
    ("approval.step_assigned", 14),
    ("approval.step_decided", 14),
    ("approval.step_reminded", 4),
    ("approval.case_completed", 7),
    ("plan.approved", 6),
    ("plan.returned", 2),
    ("notification.sent", 15),
    ("directory.user_changed", 2),
]
INDEXES = [
    ix
    for ix in AuditRecord.__table__.indexes  # type: ignore[attr-defined]
]


class Population:
    """A country: 63 provinces of ~20 wards, people in each unit, plans in each unit."""

    def __init__(self, n: int, rng: random.Random) -> None:
        self.provinces = [f"vn.p{p:02d}" for p in range(63)]
        self.wards = [f"{p}.w{w:02d}" for p in self.provinces for w in range(20)]
        self.units = ["vn", *self.provinces, *self.wards]
        self.people = [(f"user{i:05d}", rng.choice(self.units)) for i in range(6000)]
        plans = max(n // 20, 1)
        self.plans = [
            (str(uuid.UUID(int=rng.getrandbits(128))), rng.choice(self.wards)) for _ in range(plans)
        ]
        names, weights = zip(*TYPES, strict=True)
        self.type_names, self.type_weights = list(names), list(weights)


def records(
    n: int, pop: Population, rng: random.Random, start: datetime
) -> Iterator[dict[str, Any]]:
    """(row, hash) in sequence order; occurred_at spreads the records over two years."""
    step = timedelta(days=730) / max(n, 1)
    prev = GENESIS
    types = rng.choices(pop.type_names, pop.type_weights, k=n)
    for seq in range(1, n + 1):
        plan_id, unit = pop.plans[rng.randrange(len(pop.plans))]
        actor, _ = pop.people[rng.randrange(len(pop.people))]
        occurred = start + step * seq
        row = {
            "seq": seq,
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event_type": types[seq - 1],
            "event_version": 1,
            "occurred_at": occurred,
            "producer": types[seq - 1].split(".")[0],
            "actor": actor,
            "org_unit": unit,
            "subject_id": plan_id,
            "plan_id": plan_id,
            "correlation_id": None,
            "payload": {"plan_id": plan_id, "version": 1 + seq % 3, "title": "Kế hoạch"},
        }
        h = record_hash(prev, chained_fields(SimpleNamespace(**row)))
        row["prev_hash"], row["hash"], row["recorded_at"] = prev, h, occurred
        prev = h
        yield row


COLUMNS = [
    "seq",
    "event_id",
    "event_type",
    "event_version",
    "occurred_at",
    "recorded_at",
    "producer",
    "actor",
    "org_unit",
    "subject_id",
    "plan_id",
    "correlation_id",
    "payload",
    "prev_hash",
    "hash",
]


def produce(n: int, every: int, seed: int, key_bytes: bytes, out: Any) -> None:
    """In its own process: the records with their chain, and the checkpoints, in batches, so
    hashing (Python, one core) overlaps the COPY (PostgreSQL, the other core)."""
    key = Ed25519PrivateKey.from_private_bytes(key_bytes)
    kid = key_id(key.public_key())
    pop = Population(n, random.Random(seed))
    batch: list[tuple[Any, ...]] = []
    cps: list[tuple[Any, ...]] = []
    leaves: list[bytes] = []
    number, digest, first = 0, None, 1
    for row in records(n, pop, random.Random(seed + 1), datetime(2024, 1, 1, tzinfo=UTC)):
        batch.append(tuple(canonical(row[c]) if c == "payload" else row[c] for c in COLUMNS))
        leaves.append(bytes.fromhex(row["hash"]))
        if len(leaves) == every or row["seq"] == n:
            number += 1
            st = Statement(
                number,
                first,
                row["seq"],
                len(leaves),
                merkle.root(leaves).hex(),
                row["hash"],
                digest,
                iso(row["recorded_at"]),
                kid,
            )
            message = st.canonical()
            digest = st.digest()
            cps.append(
                (
                    number,
                    str(uuid.uuid4()),
                    first,
                    row["seq"],
                    len(leaves),
                    st.merkle_root,
                    st.head_hash,
                    st.previous_digest,
                    digest,
                    message.decode(),
                    sign(key, message),
                    kid,
                    "count",
                    row["recorded_at"],
                )
            )
            first, leaves = row["seq"] + 1, []
        if len(batch) >= 20_000 or row["seq"] == n:
            out.put((batch, cps, row["hash"], number, digest))
            batch, cps = [], []
    out.put(None)


CHECKPOINT_COLUMNS = [
    "number",
    "checkpoint_id",
    "first_seq",
    "last_seq",
    "record_count",
    "merkle_root",
    "head_hash",
    "previous_digest",
    "digest",
    "statement",
    "signature",
    "key_id",
    "reason",
    "sealed_at",
]


async def load(
    dsn: str, n: int, every: int, seed: int, log: Callable[[str], None]
) -> dict[str, Any]:
    import multiprocessing

    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue(maxsize=4)
    producer = ctx.Process(target=produce, args=(n, every, seed, raw, queue), daemon=True)
    conn = await asyncpg.connect(dsn)
    figures: dict[str, Any] = {}
    try:
        for ix in INDEXES:
            await conn.execute(f"DROP INDEX IF EXISTS {ix.name}")
        await conn.execute(
            "ALTER TABLE audit_record DROP CONSTRAINT IF EXISTS audit_record_event_id_key"
        )
        t0 = time.perf_counter()
        producer.start()
        loaded, last_hash, number, digest, reported = 0, GENESIS, 0, None, 0
        while (item := await asyncio.to_thread(queue.get)) is not None:
            batch, cps, last_hash, number, digest = item
            await conn.copy_records_to_table("audit_record", records=batch, columns=COLUMNS)
            if cps:
                await conn.copy_records_to_table(
                    "audit_checkpoint", records=cps, columns=CHECKPOINT_COLUMNS
                )
            loaded += len(batch)
            if loaded - reported >= 1_000_000:
                reported = loaded
                log(f"  loaded {loaded:,} records ({time.perf_counter() - t0:.0f} s)")
        producer.join()
        await conn.execute("UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1", n, last_hash)
        await conn.execute(
            "UPDATE checkpoint_head SET number = $1, last_seq = $2, digest = $3",
            number,
            n,
            digest,
        )
        figures["load_and_chain_s"] = time.perf_counter() - t0
        took = figures["load_and_chain_s"]
        log(f"loaded {n:,} records and {number:,} checkpoints in {took:.0f} s")
        t1 = time.perf_counter()
        await conn.execute(
            "ALTER TABLE audit_record ADD CONSTRAINT audit_record_event_id_key UNIQUE (event_id)"
        )
        for ix in INDEXES:  # as the models declare them, expression indexes included
            await conn.execute(str(CreateIndex(ix).compile(dialect=postgresql.dialect())))
        await conn.execute("VACUUM ANALYZE audit_record")
        figures["indexes_s"] = time.perf_counter() - t1
        size = await conn.fetchval("SELECT pg_total_relation_size('audit_record')")
        figures["table_mb"] = size / 2**20
        log(
            f"indexes and analyze in {figures['indexes_s']:.0f} s; "
            f"table with indexes {figures['table_mb']:.0f} MB"
        )
    finally:
        if producer.is_alive():
            producer.kill()
        await conn.close()
    figures["_key"] = key
    figures["_pop"] = Population(n, random.Random(seed))
    return figures


async def timed(samples: int, fn: Callable[[], Awaitable[Any]]) -> tuple[float, float, float]:
    times = []
    rows = 0
    for _ in range(samples):
        t = time.perf_counter()
        rows += await fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return statistics.median(times), p99, rows / samples


async def queries(
    url: str,
    n: int,
    pop: Population,
    rng: random.Random,
    samples: int,
    log: Callable[[str], None],
    plans: dict[str, str],
) -> dict[str, tuple[float, float, float]]:
    """Median and p99 of each inspector query; ``plans`` gets one instance's plan of each."""
    engine = make_engine(url)
    root = Principal(username="auditor.vn", unit="vn", roles=["auditor"])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = timedelta(days=730)
    results: dict[str, tuple[float, float, float]] = {}

    def principal_for(unit: str) -> Principal:
        return Principal(username="auditor", unit=".".join(unit.split(".")[:2]), roles=["auditor"])

    async with engine.connect() as conn:
        explaining = Explaining(conn)
        target: Any = conn

        async def run(
            f: RecordFilter, user: Principal, limit: int = 100, after: Cursor | None = None
        ) -> int:
            rows, _ = await page(target, f, user, limit=limit, after=after)
            return len(rows)

        def plan_story() -> Awaitable[int]:
            plan_id, unit = rng.choice(pop.plans)
            return run(RecordFilter(plan_id=plan_id), principal_for(unit), limit=500)

        def actor() -> Awaitable[int]:
            return run(RecordFilter(actor=rng.choice(pop.people)[0]), root)

        def province_subtree() -> Awaitable[int]:
            p = rng.choice(pop.provinces)
            return run(RecordFilter(unit=p), principal_for(p))

        def ward_subtree() -> Awaitable[int]:
            w = rng.choice(pop.wards)
            return run(RecordFilter(unit=w), principal_for(w))

        def by_type() -> Awaitable[int]:
            return run(RecordFilter(event_types=(rng.choice(pop.type_names),)), root)

        def time_range() -> Awaitable[int]:
            since = start + span * rng.random()
            return run(RecordFilter(since=since, until=since + timedelta(days=1)), root)

        def combined() -> Awaitable[int]:
            p = rng.choice(pop.provinces)
            since = start + span * rng.random() * 0.9
            f = RecordFilter(
                unit=p,
                event_types=("approval.step_decided", "plan.approved"),
                since=since,
                until=since + timedelta(days=30),
            )
            return run(f, principal_for(p))

        def deep_page() -> Awaitable[int]:
            p = rng.choice(pop.provinces)
            seq = rng.randrange(n // 2, n)
            cursor = Cursor(start + span / n * seq, seq)
            return run(RecordFilter(unit=p), principal_for(p), after=cursor)

        for name, fn in [
            ("plan story (limit 500)", plan_story),
            ("one actor", actor),
            ("province subtree", province_subtree),
            ("ward subtree", ward_subtree),
            ("event type", by_type),
            ("one-day time range", time_range),
            ("combined: province + 2 types + 30 days", combined),
            ("deep cursor page (province, past the middle)", deep_page),
        ]:
            await fn()  # warm the plan cache
            results[name] = await timed(samples, fn)
            med, p99, rows = results[name]
            log(f"  {name:48s} median {med:7.2f} ms   p99 {p99:7.2f} ms   rows/page {rows:6.1f}")
            target = explaining  # one more instance, explained
            await fn()
            target = conn
            plans[name] = explaining.plan
    await engine.dispose()
    return results


class Explaining:
    """A connection for ``page`` that also runs its page query under
    ``EXPLAIN (ANALYZE, BUFFERS)`` (bound values inlined) and keeps the plan."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.dialect, self.plan = conn, conn.dialect, ""

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        sql = str(statement.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True}))
        explained = await self.conn.execute(
            text("EXPLAIN (ANALYZE, BUFFERS) " + sql.replace("%%", "%"))
        )
        self.plan = "\n".join(line for (line,) in explained)
        return await self.conn.execute(statement, *args, **kwargs)


async def verify_range(
    url: str, key: Ed25519PrivateKey, n: int, every: int, log: Callable[[str], None]
) -> dict[str, float]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        t = time.perf_counter()
        ranged = await verify_store(conn, key.public_key(), from_seq=max(n - 10 * every + 1, 1))
        elapsed = time.perf_counter() - t
    await engine.dispose()
    assert ranged.verdict.ok, ranged
    log(
        f"  verify the last {ranged.verdict.checked:,} records from checkpoint "
        f"{ranged.started_from_checkpoint}: {elapsed:.2f} s"
    )
    return {"range_s": elapsed, "range_checked": ranged.verdict.checked}


async def verify_whole(
    url: str, key: Ed25519PrivateKey, n: int, walk: bool, log: Callable[[str], None]
) -> dict[str, float]:
    """The whole chain checked in PostgreSQL's segments and, with ``walk``, walked record by
    record in Python as well (the way every record was checked before), for the ratio."""
    engine = make_engine(url)
    figures: dict[str, float] = {}
    ways = [("whole", True), ("walk", False)] if walk else [("whole", True)]
    backends: dict[int, float] = {}  # each checking connection's server CPU seconds, last seen
    check = segments._check

    async def measured(raw: Any, segment: Any) -> Any:
        result = await check(raw, segment)
        pid = raw.get_server_pid()
        backends[pid] = _cpu_seconds(pid)
        return result

    segments._check = measured
    try:
        for name, in_database in ways:
            backends.clear()
            async with engine.connect() as conn:
                pid = await _server_pid(conn)
                own = _cpu_seconds(pid)
                t, cpu = time.perf_counter(), time.process_time()
                whole = await verify_store(conn, key.public_key(), in_database=in_database)
                elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
                server = sum(backends.values()) + _cpu_seconds(pid) - own
            assert whole.verdict.ok and whole.verdict.checked == n, whole
            figures[f"{name}_s"] = elapsed
            figures[f"{name}_python_cpu_us"] = cpu / n * 1e6
            figures[f"{name}_postgres_cpu_us"] = server / n * 1e6
            figures["checkpoints_checked"] = whole.verdict.checkpoints_checked
            how = "in segments in PostgreSQL" if in_database else "record by record in Python"
            log(
                f"  verify the whole chain {how} ({n:,} records, "
                f"{whole.verdict.checkpoints_checked:,} checkpoints): {elapsed:.1f} s "
                f"({n / elapsed:,.0f} records/s); CPU per record: Python "
                f"{cpu / n * 1e6:.2f} us, PostgreSQL {server / n * 1e6:.2f} us"
            )
    finally:
        segments._check = check
    await engine.dispose()
    return figures


async def _server_pid(conn: Any) -> int:
    raw = (await conn.get_raw_connection()).driver_connection
    return int(raw.get_server_pid())


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a local process (a PostgreSQL backend), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_report(path: Path, args: argparse.Namespace, results: dict[str, Any]) -> None:
    n = args.records
    lines = [
        "# Audit store benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores shared with other "
        f"work, PostgreSQL at {args.pg}: `bench/audit_bench.py --records {n}` "
        f"({args.samples} samples per query, a checkpoint every {args.checkpoint_every} "
        "records). Load average during the run: "
        f"{os.getloadavg()[0]:.1f} at the end.",
        "",
    ]
    fig = results.get("load")
    if fig:
        lines += [
            f"- Load: {n:,} records with their hash chain and "
            f"{n // args.checkpoint_every:,} signed checkpoints, computed in Python (one process) "
            f"and COPYed in {fig['load_and_chain_s']:.0f} s; unique key and indexes built in "
            f"{fig['indexes_s']:.0f} s; table with indexes {fig['table_mb']:,.0f} MB.",
            "",
        ]
    q = results.get("queries")
    if q:
        lines += [
            "| query (through `cascade_audit.store.page`) | median ms | p99 ms | rows per page |",
            "| --- | ---: | ---: | ---: |",
        ]
        lines += [f"| {k} | {m:.2f} | {p:.2f} | {r:.0f} |" for k, (m, p, r) in q.items()]
        lines.append("")
    v = results.get("range")
    if v:
        w = results.get("whole")
        lines += [
            "| verification (`cascade_audit.verification.verify_store`) | seconds | records/s |",
            "| --- | ---: | ---: |",
            f"| range: the last {int(v['range_checked']):,} records, from the nearest "
            f"checkpoint | {v['range_s']:.2f} | {v['range_checked'] / v['range_s']:,.0f} |",
        ]
        if w:
            lines.append(
                f"| whole chain: {n:,} records and {int(w['checkpoints_checked']):,} checkpoints "
                "(signatures, Merkle roots), in segments in PostgreSQL | "
                f"{w['whole_s']:.1f} | {n / w['whole_s']:,.0f} |"
            )
            if "walk_s" in w:
                lines.append(
                    "| the same, every record walked in Python (`in_database=False`) | "
                    f"{w['walk_s']:.1f} | {n / w['walk_s']:,.0f} |"
                )
            lines += [
                "",
                "| CPU per record (µs) | Python | PostgreSQL |",
                "| --- | ---: | ---: |",
            ]
            for name, label in (("whole", "in segments"), ("walk", "walked in Python")):
                if f"{name}_s" in w:
                    lines.append(
                        f"| {label} | {w[f'{name}_python_cpu_us']:.2f} | "
                        f"{w[f'{name}_postgres_cpu_us']:.2f} |"
                    )
        else:
            lines.append("| whole chain | not finished within `--max-minutes` | |")
        lines.append("")
    if results.get("plans"):
        lines += ["## Plans PostgreSQL chose (one instance of each query)", ""]
        for name, plan in results["plans"].items():
            lines += [
                f"<details><summary>{name}</summary>",
                "",
                "```",
                plan,
                "```",
                "",
                "</details>",
                "",
            ]
    path.write_text("\n".join(lines))


async def main(args: argparse.Namespace) -> None:
    def log(line: str) -> None:
        print(line, flush=True)

    rng = random.Random(args.seed + 2)
    name = f"cascade_audit_bench_{args.records}"
    base = args.pg.rsplit("/", 1)[0]
    admin = await asyncpg.connect(base + "/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = f"{base}/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://")
    results: dict[str, Any] = {}

    def report() -> None:
        if args.report:
            write_report(Path(args.report), args, results)

    try:
        await asyncio.to_thread(upgrade_sync, SERVICE, url)
        log(f"loading {args.records:,} records into {name}")
        fig = await load(dsn, args.records, args.checkpoint_every, args.seed, log)
        key, pop = fig.pop("_key"), fig.pop("_pop")
        results["load"] = fig
        report()
        log("queries:")
        results["plans"] = {}
        results["queries"] = await queries(
            url, args.records, pop, rng, args.samples, log, results["plans"]
        )
        report()
        log("verification:")
        results["range"] = await verify_range(url, key, args.records, args.checkpoint_every, log)
        report()
        results["whole"] = await verify_whole(url, key, args.records, args.walk, log)
        report()
        if args.report:
            log(f"report written to {args.report}")
    finally:
        report()
        if not args.keep:
            admin = await asyncpg.connect(base + "/postgres")
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--checkpoint-every", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--walk", action="store_true", help="also walk the whole chain in Python, for the ratio"
    )
    parser.add_argument("--max-minutes", type=float, default=75.0, help="stop by itself after this")
    parser.add_argument("--report", default=None, help="write the figures as Markdown here")
    args = parser.parse_args()
    try:
        asyncio.run(asyncio.wait_for(main(args), args.max_minutes * 60))
    except TimeoutError:
        print(f"stopped after {args.max_minutes} minutes", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    cli()
