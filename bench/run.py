"""``make bench``: the machine's ceilings, then the open-loop load (``bench/open_loop.py``:
stories started at fixed rates, bots told by webhook) and the older closed-loop load against
embedded mode (one process, SQLite) and distributed mode (a process per service, PostgreSQL,
RabbitMQ), all in one run; prints the figures and writes ``bench/REPORT.md``.

    .venv/bin/python -m bench.run [--rates 2,5,10,20,40 --duration 30]
                                  [--wards 60 --concurrency 20] [--no-closed-loop] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import ceilings, load
from bench import open_loop as open_loop_run
from tests import infra, processes
from tests.cluster import SERVICES, Cluster

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "bench" / "REPORT.md"
WINDOWS = ROOT / "bench" / "open-loop-windows.json"
EVENTS_PER_STORY = (
    9  # created, submitted, case opened, 2 x assigned, 2 x decided, completed, approved
)


async def embedded(
    wards: int, concurrency: int, open_loop: tuple[list[float], float] | None = None
) -> dict[str, Any]:
    """The closed-loop run on a fresh embedded system, or with ``open_loop`` (rates, seconds
    per rate) the open-loop run."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        processes.embedded(Path(tmp), CASCADE_LOG_LEVEL="WARNING") as system,
    ):
        async with httpx.AsyncClient(base_url=system.base, timeout=60) as client:
            if open_loop is None:
                return await load.run(client, wards, concurrency)
            rates, duration = open_loop
            return await open_loop_run.run(
                client,
                rates,
                duration,
                {"embedded (all services)": system.pid},
                [f"{system.base}/metrics"],
                None,
                log=_log,
            )


async def distributed(
    wards: int, concurrency: int, open_loop: tuple[list[float], float] | None = None
) -> dict[str, Any]:
    """The same on a fresh distributed system: a process per service on PostgreSQL and
    RabbitMQ."""
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
                if open_loop is None:
                    return await load.run(client, wards, concurrency)
                rates, duration = open_loop
                return await open_loop_run.run(
                    client,
                    rates,
                    duration,
                    {s: proc.pid for s, proc in cluster.processes.items()},
                    [f"http://127.0.0.1:{port}/metrics" for port in cluster.ports.values()],
                    namespace,
                    log=_log,
                )
        finally:
            cluster.stop_all()
            for name in names.values():
                await infra.drop_database(name)
            await infra.delete_namespace(namespace, [*SERVICES])


def _log(line: str) -> None:
    print(line, flush=True)


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
    opened: dict[str, dict[str, Any]] | None = None,
) -> str:
    lines = [
        "# Benchmark report",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with "
        f"`.venv/bin/python -m bench.run --wards {args.wards} --concurrency {args.concurrency}"
        f" --rates {','.join(f'{r:g}' for r in args.rates)} --duration {args.duration:g}"
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
    lines += open_loop_sections(opened or {}, raw)
    if results:
        lines += [
            "## Closed loop (for comparison with earlier reports)",
            "",
            "A fixed number of bots, each starting its next story when the last one ends and "
            f"polling every {load.POLL * 1000:.0f} ms for its work: throughput here is bounded "
            "by the bots as much as by the system.",
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
            f"### {mode.capitalize()} mode, closed loop",
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
            "### Embedded against distributed, closed loop",
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


def _rounded(value: Any) -> Any:
    """Figures to the millisecond (or the tenth of a millisecond of CPU): enough to judge."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def open_loop_sections(opened: dict[str, dict[str, Any]], raw: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for mode, result in opened.items():
        lines += [
            f"## Open loop, {mode} mode",
            "",
            "Stories start on a fixed schedule whatever the system does; the bots act when a "
            "webhook tells them (no polling). See `bench/open_loop.py` for what each column "
            "means.",
            "",
            *open_loop_run.render(result, raw, mode),
        ]
    return lines


def rerender() -> None:
    """Render the open-loop sections of ``bench/REPORT.md`` again from the windows kept in
    ``bench/open-loop-windows.json`` (after a change of how they are judged), leaving the rest
    of the report as it was."""
    text = REPORT.read_text(encoding="utf-8")
    raw: dict[str, float] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 2 and cells[1].replace(",", "").isdigit():
            raw[cells[0].replace(" ", "_")] = float(cells[1].replace(",", ""))
    kept = json.loads(WINDOWS.read_text(encoding="utf-8"))
    opened = {
        mode: {
            "windows": [
                open_loop_run.Window(
                    **{**w, "backlog": [tuple(b) for b in w["backlog"]]}  # type: ignore[arg-type]
                )
                for w in windows
            ]
        }
        for mode, windows in kept.items()
    }
    start = text.index("## Open loop")
    end = text.find("## Closed loop")
    end = end if end >= 0 else text.find("Other benchmarks")
    REPORT.write_text(
        text[:start] + "\n".join(open_loop_sections(opened, raw)) + "\n" + text[end:],
        encoding="utf-8",
    )
    print(f"rewrote the open-loop sections of {REPORT.relative_to(ROOT)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wards", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="small ceilings, few wards")
    parser.add_argument("--mode", choices=["both", "embedded", "distributed"], default="both")
    parser.add_argument(
        "--rates",
        type=open_loop_run.parse_rates,
        default=[2.0, 5.0, 10.0, 20.0, 40.0],
        help="open loop: stories started per second, one window each (comma-separated)",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="open loop: s per rate")
    parser.add_argument("--no-closed-loop", action="store_true", help="only the open-loop tables")
    args = parser.parse_args()
    if args.quick:
        args.wards, args.concurrency = min(args.wards, 12), min(args.concurrency, 6)
        args.rates, args.duration = [r for r in args.rates if r <= 5] or [2.0], 10.0
    machine = _machine()
    print("measuring ceilings ...", flush=True)
    raw = await ceilings.measure(quick=args.quick)
    for k, v in raw.items():
        print(f"  {k:55} {v:12,.0f}")
    modes = ["embedded", "distributed"] if args.mode == "both" else [args.mode]
    opened: dict[str, dict[str, Any]] = {}
    for mode in modes:
        rates = ", ".join(f"{r:g}" for r in args.rates)
        print(f"{mode} mode, open loop at {rates} stories/s, {args.duration:g} s each ...")
        run_mode = embedded if mode == "embedded" else distributed
        opened[mode] = await run_mode(0, 0, open_loop=(args.rates, args.duration))
    results: dict[str, dict[str, Any]] = {}
    if args.no_closed_loop:
        modes = []
    if "embedded" in modes:
        print(f"embedded mode: {args.wards} wards, {args.concurrency} at a time ...", flush=True)
        results["embedded"] = await embedded(args.wards, args.concurrency)
    if "distributed" in modes:
        print(f"distributed mode: {args.wards} wards, {args.concurrency} at a time ...", flush=True)
        results["distributed"] = await distributed(args.wards, args.concurrency)
    for mode, result in results.items():
        print(
            f"{mode}: {result['plans_per_s']:.2f} plans/s, "
            f"{result['stories_completed']}/{result['wards']} completed"
        )
        for stage, s in result["stages"].items():
            print(f"  {stage:75} median {s['median_ms']:7.0f} ms  p99 {s['p99_ms']:7.0f} ms")
    REPORT.write_text(render(args, machine, raw, results, opened), encoding="utf-8")
    # Every window's raw figures, to read again or render otherwise.
    WINDOWS.write_text(
        json.dumps(
            _rounded({mode: [asdict(w) for w in r["windows"]] for mode, r in opened.items()}),
            separators=(",", ":"),
        ),
        encoding="utf-8",
    )
    print(f"wrote {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--rerender"]:
        rerender()
    else:
        asyncio.run(main())
