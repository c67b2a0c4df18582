"""``make bench``: the machine's ceilings, then the load generator against embedded mode (one
process, SQLite) and distributed mode (a process per service, PostgreSQL, RabbitMQ), all in one
run; prints the figures and writes ``bench/REPORT.md``.

    .venv/bin/python -m bench.run [--wards 60 --concurrency 20] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import ceilings, load
from tests import infra, processes
from tests.cluster import SERVICES, Cluster

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "bench" / "REPORT.md"
EVENTS_PER_STORY = (
    9  # created, submitted, case opened, 2 x assigned, 2 x decided, completed, approved
)


async def embedded(wards: int, concurrency: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        processes.embedded(Path(tmp), CASCADE_LOG_LEVEL="WARNING") as system,
    ):
        async with httpx.AsyncClient(base_url=system.base, timeout=60) as client:
            return await load.run(client, wards, concurrency)


async def distributed(wards: int, concurrency: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    names = {s: f"cascade_bench_{run}_{s}" for s in SERVICES}
    databases = {s: await infra.create_database(n) for s, n in names.items()}
    namespace = f"bench{run}"
    with tempfile.TemporaryDirectory() as tmp:
        cluster = Cluster(namespace, databases, Path(tmp))
        try:
            await cluster.migrate()
            await cluster.start_all()
            async with cluster.client() as client:
                client.timeout = httpx.Timeout(60)
                return await load.run(client, wards, concurrency)
        finally:
            cluster.stop_all()
            for name in names.values():
                await infra.drop_database(name)
            await infra.delete_namespace(namespace, [*SERVICES])


def _machine() -> dict[str, str]:
    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    mem = out(["free", "-h"]).splitlines()
    return {
        "cpus": str(os.cpu_count()),
        "memory": mem[1].split()[1] if len(mem) > 1 else "?",
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "postgresql": out(
            ["psql", "-XAtc", "show server_version", "-h", "127.0.0.1", "-U", "postgres"]
        )
        or "?",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _ratio(value: float, ceiling: float) -> str:
    return f"{value / ceiling:.1%}" if ceiling else "n/a"


def render(
    args: argparse.Namespace,
    machine: dict[str, str],
    raw: dict[str, Any],
    results: dict[str, dict[str, Any]],
) -> str:
    lines = [
        "# Benchmark report",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with "
        f"`.venv/bin/python -m bench.run --wards {args.wards} --concurrency {args.concurrency}"
        f"{' --quick' if args.quick else ''}` (what `make bench` runs).",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in machine.items()],
        "",
        "## Ceilings measured in this run",
        "",
        "| what | per second |",
        "| --- | ---: |",
        *[f"| {k.replace('_', ' ')} | {v:,.0f} |" for k, v in raw.items()],
        "",
        "RabbitMQ figures use a quorum queue, persistent 1 KiB messages and publisher confirms,",
        "as the services do.",
        "",
    ]
    for mode, result in results.items():
        eps = result["plans_per_s"] * EVENTS_PER_STORY
        ceiling = (
            raw["sqlite_commit_per_s"]
            if mode == "embedded"
            else raw["rabbitmq_publish_confirm_in_flight_per_s"]
        )
        ceiling_name = (
            "SQLite one-row commits"
            if mode == "embedded"
            else "RabbitMQ confirmed publishes in flight"
        )
        lines += [
            f"## {mode.capitalize()} mode",
            "",
            f"{result['stories_completed']} of {result['wards']} ward plans went from submission "
            f"to the drafter's notification, {result['concurrency']} wards at a time, in "
            f"{result['elapsed_s']:.1f} s: **{result['plans_per_s']:.2f} plans/s**, "
            f"{eps:.0f} domain events/s ({_ratio(eps, ceiling)} of the {ceiling_name} ceiling).",
            "",
            "| stage | n | median ms | p99 ms |",
            "| --- | ---: | ---: | ---: |",
            *[
                f"| {stage} | {s['n']} | {s['median_ms']:.0f} | {s['p99_ms']:.0f} |"
                for stage, s in result["stages"].items()
            ],
            "",
        ]
        if result["failures"]:
            lines += ["Failures:", "", *[f"- {f}" for f in result["failures"][:20]], ""]
    if "embedded" in results and "distributed" in results:
        e, d = results["embedded"], results["distributed"]
        whole = "whole story: submit -> drafter told"
        lines += [
            "## Embedded against distributed",
            "",
            f"- throughput, distributed / embedded: {d['plans_per_s'] / e['plans_per_s']:.2f}x",
            f"- whole-story median, distributed / embedded: "
            f"{d['stages'][whole]['median_ms'] / e['stages'][whole]['median_ms']:.2f}x",
            "",
        ]
    lines += [
        "Other benchmarks, each with its own report: the 1.66-million-recipient announcement",
        "(`bench/announcement_bench.py`, [ANNOUNCEMENT-REPORT.md](ANNOUNCEMENT-REPORT.md))",
        "and the 10-million-record audit store (`bench/audit_bench.py`,",
        "[AUDIT-REPORT.md](AUDIT-REPORT.md)).",
        "",
    ]
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wards", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="small ceilings, few wards")
    parser.add_argument("--mode", choices=["both", "embedded", "distributed"], default="both")
    args = parser.parse_args()
    if args.quick:
        args.wards, args.concurrency = min(args.wards, 12), min(args.concurrency, 6)
    machine = _machine()
    print("measuring ceilings ...", flush=True)
    raw = await ceilings.measure(quick=args.quick)
    for k, v in raw.items():
        print(f"  {k:55} {v:12,.0f}")
    results: dict[str, dict[str, Any]] = {}
    if args.mode in ("both", "embedded"):
        print(f"embedded mode: {args.wards} wards, {args.concurrency} at a time ...", flush=True)
        results["embedded"] = await embedded(args.wards, args.concurrency)
    if args.mode in ("both", "distributed"):
        print(f"distributed mode: {args.wards} wards, {args.concurrency} at a time ...", flush=True)
        results["distributed"] = await distributed(args.wards, args.concurrency)
    for mode, result in results.items():
        print(
            f"{mode}: {result['plans_per_s']:.2f} plans/s, "
            f"{result['stories_completed']}/{result['wards']} completed"
        )
        for stage, s in result["stages"].items():
            print(f"  {stage:75} median {s['median_ms']:7.0f} ms  p99 {s['p99_ms']:7.0f} ms")
    REPORT.write_text(render(args, machine, raw, results), encoding="utf-8")
    print(f"wrote {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
