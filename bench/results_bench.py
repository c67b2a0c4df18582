"""Results at the national scale: load a year of monthly reports for every ward (3,300 wards x
60 tasks x 12 months, about 2.4 million task lines) into a dedicated PostgreSQL database on the
results service's own schema, then measure through the service's own code:

- submitting a 60-task report: open (pre-filled), fill in 60 lines, the head's sign-off;
- the national roll-up after one ward's report changes: how long until central's task shows it;
- the dashboards of a city and of central, and the explanation of one unit's score;
- the overdue scan over every tracked task (claims and events, once each).

    .venv/bin/python -m bench.results_bench --quick          # 3 cities x 20 wards, ~1 min
    .venv/bin/python -m bench.results_bench                  # 34 cities x 97 wards

Figures are medians and p99 of repeated samples, beside this machine's PostgreSQL ceilings
measured in the same run. Not part of ``make test``; the database is dropped afterwards unless
``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from cascade_results.api.routes.standing import _dashboard
from cascade_results.domain.periods import parse_period, period_of, policy_from_dict
from cascade_results.reports import open_report, save_lines, sign_off
from cascade_results.service import POLICY_FILE, SERVICE
from cascade_results.standing import evaluate_unit, task_rollup
from cascade_results.workers import scan_overdue_tasks
from cascade_shared.auth import Principal
from cascade_shared.bus.inprocess import InProcessBus
from cascade_shared.chassis.migrations import upgrade
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.settings import Settings

from bench import ceilings
from tests import infra

HERE = Path(__file__).parent
TODAY = date(2026, 12, 5)
"""The bench's today: every month from December 2025 to November 2026 has been reported; the
December report is being written."""
MONTHS = [period_of("month", date(2025, 12, 1) + timedelta(days=31 * i)).key for i in range(12)]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "n": len(ordered),
    }


async def timed(fn: Callable[[], Awaitable[Any]], samples: int) -> dict[str, float]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return percentiles(times)


def uid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


async def load(dsn: str, cities: int, wards: int, tasks: int) -> dict[str, Any]:
    """COPY the population in: units, plans, tracked tasks and indicators, a year of accepted
    reports with their lines, and each task's standing from its latest report."""
    rng = random.Random(7)
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    policy_body = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
    policy = policy_from_dict(policy_body)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    await conn.execute(
        "INSERT INTO reporting_policy (version, body, source, installed_by, installed_at) "
        "VALUES ($1, $2, 'bench', 'bench', $3)",
        policy.version,
        json.dumps(policy_body),
        now,
    )
    units = [("vn", "Trung ương", "central", None, now)]
    plans = [
        (uid("plan", "vn"), "vn", "central", "Chương trình Trung ương", 1, None, 2026, 2031, now)
    ]
    task_rows: list[tuple[Any, ...]] = []
    indicator_rows: list[tuple[Any, ...]] = []
    report_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    deadlines = [date(2026, m, 28) for m in range(1, 13)] + [date(2027, 6, 30)] * 12

    def tasks_of(unit: str, plan_id: str, parent_unit: str | None, level: str) -> None:
        for t in range(tasks):
            deadline = deadlines[t % len(deadlines)]
            task_rows.append(
                (
                    uid("task", unit, t),
                    plan_id,
                    unit,
                    f"T-{t + 1:02d}",
                    f"Nhiệm vụ {t + 1} của {unit}",
                    None,
                    unit,
                    "Chủ tịch UBND",
                    date(2026, 1, 1),
                    deadline,
                    "[]",
                    None,
                    100.0,
                    "%",
                    uid("task", parent_unit, t) if parent_unit else None,
                    1.0,
                    True,
                    1,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                )
            )
        for i in range(3):
            indicator_rows.append(
                (
                    uid("ind", unit, i),
                    plan_id,
                    unit,
                    f"CT{i + 1:02d}",
                    f"Chỉ tiêu {i + 1}",
                    "%",
                    50.0,
                    90.0,
                    2026,
                    ">=",
                    "mean" if level != "ward" else "none",
                    uid("ind", parent_unit, i) if parent_unit else None,
                    1.0,
                    True,
                    None,
                    None,
                )
            )

    tasks_of("vn", plans[0][0], None, "central")
    ward_units: list[str] = []
    for c in range(cities):
        city = f"vn.c{c:02d}"
        units.append((city, f"Tỉnh {c:02d}", "city", "vn", now))
        plan_id = uid("plan", city)
        plans.append(
            (plan_id, city, "city", f"Chương trình {city}", 1, plans[0][0], 2026, 2031, now)
        )
        tasks_of(city, plan_id, "vn", "city")
        for w in range(wards):
            ward = f"{city}.w{w:03d}"
            ward_units.append(ward)
            units.append((ward, f"Phường {c:02d}-{w:03d}", "ward", city, now))
            wplan = uid("plan", ward)
            plans.append((wplan, ward, "ward", f"Kế hoạch {ward}", 1, plan_id, 2026, 2031, now))
            tasks_of(ward, wplan, city, "ward")
    # A year of monthly reports, accepted, each with a line per task.
    by_unit: dict[str, list[int]] = {}
    for ward in ward_units:
        speed = rng.uniform(0.5, 1.2)
        standing = []
        for m, month in enumerate(MONTHS):
            period = parse_period(month)
            due = policy.due_on(period)
            late = rng.random() < 0.15
            sent = datetime.combine(
                due + timedelta(days=3 if late else -5), datetime.min.time(), UTC
            )
            report_id = uid("report", ward, month)
            report_rows.append(
                (
                    report_id,
                    ward,
                    "ward",
                    month,
                    1,
                    "accepted",
                    due,
                    policy.version,
                    f"drafter.{ward}",
                    sent,
                    sent,
                    f"head.{ward}",
                    sent,
                    late,
                    "approver",
                    sent,
                    None,
                    "[]",
                    None,
                    None,
                    None,
                )
            )
            for t in range(tasks):
                percent = min(100.0, round((m + 1) * speed * 9 + t % 5, 1))
                state = "done" if percent >= 100 else "in_progress"
                line_rows.append(
                    (
                        report_id,
                        uid("task", ward, t),
                        state,
                        percent,
                        percent if state == "done" else round(percent),
                        None,
                        "",
                        None,
                        period.end if state == "done" else None,
                        "[]",
                    )
                )
                if m == len(MONTHS) - 1:
                    standing.append(percent)
        by_unit[ward] = [int(p) for p in standing]
    await conn.copy_records_to_table(
        "unit_view", records=units, columns=["code", "name", "level", "parent", "changed_at"]
    )
    await conn.copy_records_to_table(
        "tracked_plan",
        records=plans,
        columns=[
            "plan_id",
            "unit",
            "unit_level",
            "title",
            "version",
            "parent_plan_id",
            "term_start",
            "term_end",
            "approved_at",
        ],
    )
    await conn.copy_records_to_table(
        "tracked_task",
        records=task_rows,
        columns=[
            "id",
            "plan_id",
            "unit",
            "code",
            "job",
            "task_group",
            "lead_unit",
            "responsible_person",
            "start",
            "deadline",
            "milestones",
            "product_description",
            "product_quantity",
            "product_unit",
            "parent_task_id",
            "weight",
            "active",
            "plan_version",
            "percent",
            "progress_state",
            "product_delivered",
            "reported_period",
            "completed_on",
            "overdue_notified_at",
            "escalated_at",
        ],
    )
    await conn.copy_records_to_table(
        "tracked_indicator",
        records=indicator_rows,
        columns=[
            "id",
            "plan_id",
            "unit",
            "code",
            "name",
            "measure",
            "baseline",
            "target",
            "year",
            "comparator",
            "rollup",
            "parent_indicator_id",
            "weight",
            "active",
            "actual",
            "actual_period",
        ],
    )
    await conn.copy_records_to_table(
        "progress_report",
        records=report_rows,
        columns=[
            "id",
            "unit",
            "unit_level",
            "period",
            "version",
            "status",
            "due_on",
            "policy_version",
            "created_by",
            "created_at",
            "updated_at",
            "submitted_by",
            "submitted_at",
            "late",
            "decided_by",
            "decided_at",
            "comment",
            "comments",
            "reopened_by",
            "reopen_reason",
            "idempotency_key",
        ],
    )
    loaded = time.perf_counter()
    await conn.copy_records_to_table(
        "report_task_line",
        records=line_rows,
        columns=[
            "report_id",
            "task_id",
            "state",
            "percent",
            "product_quantity",
            "product_document",
            "narrative",
            "blocked_reason",
            "completed_on",
            "evidence",
        ],
    )
    lines_seconds = time.perf_counter() - loaded
    # Each ward task's standing, as the sign-offs would have left it.
    last = MONTHS[-1]
    await conn.execute(
        """UPDATE tracked_task t SET percent = l.percent, progress_state = l.state,
                  product_delivered = l.product_quantity, reported_period = $1,
                  completed_on = l.completed_on
           FROM report_task_line l JOIN progress_report r ON r.id = l.report_id
           WHERE r.period = $1 AND l.task_id = t.id""",
        last,
    )
    await conn.execute("ANALYZE")
    await conn.close()
    return {
        "units": len(units),
        "tracked_tasks": len(task_rows),
        "reports": len(report_rows),
        "task_lines": len(line_rows),
        "load_seconds": round(time.perf_counter() - started, 1),
        "task_lines_per_second": round(len(line_rows) / lines_seconds),
    }


async def measure(runtime: ServiceRuntime, cities: int, wards: int, samples: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rng = random.Random(11)
    sample_wards = [
        f"vn.c{rng.randrange(cities):02d}.w{rng.randrange(wards):03d}" for _ in range(samples)
    ]
    sample_wards = list(dict.fromkeys(sample_wards))
    month = period_of("month", TODAY).key

    # 1. Submitting a 60-task report.
    opens, fills, signs, totals, visible = [], [], [], [], []
    for ward in sample_wards:
        drafter = Principal(username=f"drafter.{ward}", unit=ward, roles=["drafter"])
        head = Principal(username=f"head.{ward}", unit=ward, roles=["head"])
        t0 = time.perf_counter()
        async with runtime.sessionmaker() as session:
            opened = await open_report(runtime, session, drafter, ward, month, today=TODAY)
            await session.commit()
            report_id = opened.report.id
        t1 = time.perf_counter()
        async with runtime.sessionmaker() as session:
            from cascade_results.models import ProgressReport

            report = await session.get(ProgressReport, report_id, with_for_update=True)
            assert report is not None
            lines = [
                {
                    "task_code": f"T-{t + 1:02d}",
                    "state": "in_progress",
                    "percent": 99.0,
                    "product_quantity": 99.0,
                    "narrative": "Báo cáo tháng 12",
                }
                for t in range(60)
            ]
            await save_lines(session, drafter, report, lines, [], today=TODAY)
            await session.commit()
        t2 = time.perf_counter()
        async with runtime.sessionmaker() as session:
            report = await session.get(ProgressReport, report_id, with_for_update=True)
            assert report is not None
            await sign_off(runtime, session, head, report, today=TODAY)
            await session.commit()
        t3 = time.perf_counter()
        # 2. The national roll-up: central's task T-01 includes this ward's new figure.
        async with runtime.sessionmaker() as session:
            from cascade_results.models import TrackedTask

            top = await session.get(TrackedTask, uid("task", "vn", 0))
            assert top is not None
            tree = await task_rollup(session, top, TODAY)
            city = next(c for c in tree["children"] if c["unit"] == ward.rsplit(".", 1)[0])
            mine = next(w for w in city["children"] if w["unit"] == ward)
            assert mine["percent"] == 99.0, mine
        t4 = time.perf_counter()
        opens.append(t1 - t0)
        fills.append(t2 - t1)
        signs.append(t3 - t2)
        totals.append(t3 - t0)
        visible.append(t4 - t3)
    out["submit_60_task_report"] = {
        "open_prefilled": percentiles(opens),
        "fill_60_lines": percentiles(fills),
        "sign_off": percentiles(signs),
        "whole": percentiles(totals),
    }
    out["national_rollup_after_one_ward_changes"] = percentiles(visible)

    # 3. Dashboards and the explanation.
    policy = policy_from_dict(json.loads(POLICY_FILE.read_text(encoding="utf-8")))

    async def city_board() -> None:
        async with runtime.sessionmaker() as session:
            await _dashboard(session, runtime, "vn.c00", "2026-11", TODAY)  # type: ignore[arg-type]

    async def central_board() -> None:
        async with runtime.sessionmaker() as session:
            await _dashboard(session, runtime, "vn", "2026", TODAY)  # type: ignore[arg-type]

    async def explain() -> None:
        async with runtime.sessionmaker() as session:
            await evaluate_unit(
                session, policy, sample_wards[0], "ward", parse_period("2026-11"), TODAY
            )

    out["dashboard_city"] = await timed(city_board, max(3, samples // 4))
    out["dashboard_central"] = await timed(central_board, 3)
    out["explain_one_score"] = await timed(explain, samples)

    # 4. The overdue scan over every tracked task.
    t0 = time.perf_counter()
    sent = await scan_overdue_tasks(runtime, TODAY)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = await scan_overdue_tasks(runtime, TODAY)
    second = time.perf_counter() - t0
    out["overdue_scan"] = {
        "notices_sent": sent,
        "seconds": round(first, 2),
        "notices_per_second": round(sent / first) if first else None,
        "second_scan_sent": again,
        "second_scan_seconds": round(second, 3),
    }
    return out


def _row(what: str, figure: dict[str, float], target: str = "") -> str:
    return f"| {what} | {figure['median_ms']} | {figure['p99_ms']} | {figure['n']} | {target} |"


def report(
    path: Path,
    args: argparse.Namespace,
    loaded: dict[str, Any],
    figures: dict[str, Any],
    pg: dict[str, float],
) -> str:
    s = figures["submit_60_task_report"]
    scan = figures["overdue_scan"]
    lines = [
        "# Results at national scale",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({platform.machine()}, 2 cores), PostgreSQL on 127.0.0.1: "
        f"`python -m bench.results_bench --cities {args.cities} --wards {args.wards} "
        f"--samples {args.samples}`.",
        "",
        "## Population",
        "",
        f"{loaded['units']:,} units, {loaded['tracked_tasks']:,} tracked tasks, "
        f"{loaded['reports']:,} monthly reports (December 2025 to November 2026, accepted), "
        f"{loaded['task_lines']:,} task lines; loaded by COPY in {loaded['load_seconds']} s "
        f"({loaded['task_lines_per_second']:,} task lines/s).",
        "",
        "## Figures (through the service's own code, below HTTP)",
        "",
        "| what | median ms | p99 ms | n | target |",
        "| --- | ---: | ---: | ---: | --- |",
        _row("open the December report, pre-filled from November", s["open_prefilled"]),
        _row("fill in its 60 lines (all or nothing)", s["fill_60_lines"]),
        _row("the head's sign-off (checks, standing, event)", s["sign_off"]),
        _row("**submitting a 60-task report, whole**", s["whole"]),
        _row(
            "national roll-up showing that ward's change at central",
            figures["national_rollup_after_one_ward_changes"],
            "< 1,000",
        ),
        _row(f"dashboard of a city ({args.wards} wards)", figures["dashboard_city"], "p99 < 50"),
        _row(
            f"dashboard of central ({args.cities} provinces)",
            figures["dashboard_central"],
            "p99 < 50",
        ),
        _row("explain one ward's score", figures["explain_one_score"]),
        "",
        f"Overdue scan over all {loaded['tracked_tasks']:,} tracked tasks: "
        f"{scan['notices_sent']:,} overdue notices claimed and recorded in {scan['seconds']} s "
        f"({scan['notices_per_second']:,}/s; target: all in under 5 s); a second scan sent "
        f"{scan['second_scan_sent']} in {scan['second_scan_seconds']} s (each notice once).",
        "",
        "## This machine's PostgreSQL ceilings, same run",
        "",
        f"- one-row commit: {pg.get('postgres_commit_1_connection_per_s', 0):,.0f}/s on one "
        f"connection, {pg.get('postgres_commit_8_connections_per_s', 0):,.0f}/s on eight; "
        f"COPY: {pg.get('postgres_copy_rows_per_s', 0):,.0f} rows/s.",
        "",
    ]
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return text


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cities", type=int, default=34)
    parser.add_argument("--wards", type=int, default=97, help="wards per city")
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="3 cities x 20 wards")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--load-only", action="store_true", help="load, keep, measure nothing")
    parser.add_argument("--report", type=Path, default=HERE / "RESULTS-REPORT.md")
    args = parser.parse_args()
    if args.quick:
        args.cities, args.wards, args.samples = 3, 20, 10
    name = f"cascade_results_bench_{uuid.uuid4().hex[:6]}"
    url = await infra.create_database(name)
    dsn = f"postgresql://postgres@{infra.PG_HOST}:{infra.PG_PORT}/{name}"
    args.keep = args.keep or args.load_only
    if args.keep:
        print("database:", name, flush=True)
    try:
        await upgrade(SERVICE, url)
        loaded = await load(dsn, args.cities, args.wards, args.tasks)
        print("loaded:", loaded, flush=True)
        if args.load_only:
            return
        settings = Settings(database_url=url, workers=False)
        runtime = ServiceRuntime(SERVICE, settings, InProcessBus())
        try:
            figures = await measure(runtime, args.cities, args.wards, args.samples)
        finally:
            await runtime.engine.dispose()
        print(json.dumps(figures, indent=1), flush=True)
        pg = await ceilings.postgres(count=1000, bulk_rows=100_000)
        print(report(args.report, args, loaded, figures, pg))
    finally:
        if not args.keep:
            await infra.drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
