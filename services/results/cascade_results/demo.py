"""The demo's history (make run only, ``CASCADE_DEMO_HISTORY``): four Huế wards whose plans were
approved in June 2026 have reported month by month since July, some on time, some late, one not
at all lately; some tasks are done, some overdue, some indicators behind target. So the city's
dashboard, the statuses, the roll-up and the explained scores show something real at first
sight. Illustrative figures, not official data.

Seeded once, when the wards' plans are tracked and no report exists yet, through the same tables
and events as real reports (the actor is ``seed``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, time
from typing import Any, cast

from cascade_shared.chassis.service import ServiceRuntime
from sqlmodel import col, func, select

from cascade_results.domain.periods import parse_period
from cascade_results.domain.report import ProgressState
from cascade_results.models import (
    ProgressReport,
    ReportIndicatorLine,
    ReportTaskLine,
    TrackedIndicator,
    TrackedPlan,
    TrackedTask,
)
from cascade_results.reports import report_event
from cascade_results.store import current_policy, refresh_standing

log = logging.getLogger(__name__)

APPROVED_ON = date(2026, 6, 15)
CODES = {
    "vn.hue.phu-xuan": "PX",
    "vn.hue.huong-an": "HA",
    "vn.hue.phong-phu": "PP",
    "vn.hue.vinh-loc": "VL",
}
"""The demo plans' task codes (``HA-1`` ... ``HA-4``), so the history lands on them alone."""
CITY = "vn.hue"
ROLLUP = {"HUE-CT02": "sum", "HUE-CT05": "mean"}
PERIODS = ("2026-07", "2026-08", "2026-09", "2026-10")

Line = tuple[str, float] | tuple[str, float, str]
"""(state, percent) or (state, percent, completed on / blocked reason)."""

# Per ward: per period, (submitted on, status) or None (not reported); per task number, its
# lines; per indicator, its actual values.
P, D, N, B = "in_progress", "done", "not_started", "blocked"
HISTORY: dict[str, dict[str, Any]] = {
    "vn.hue.phu-xuan": {
        "reports": [
            ("2026-08-10", "accepted"),
            ("2026-09-10", "accepted"),
            ("2026-10-09", "accepted"),
            ("2026-11-10", "accepted"),
        ],
        "tasks": {
            1: [(P, 50), (P, 80), (D, 100, "2026-09-25"), None],
            2: [(P, 10), (P, 30), (P, 50), (P, 70)],
            3: [
                (P, 60),
                (P, 80),
                (P, 95),
                (D, 100, "2026-10-20"),
            ],
            4: [(P, 60), (P, 70), (P, 80), (P, 85)],
        },
        "indicators": {"HUE-CT02": [9, 4, 0, 0], "HUE-CT05": [96.5, 97, 97.8, 98.4]},
    },
    "vn.hue.huong-an": {
        "reports": [
            ("2026-08-14", "accepted"),
            ("2026-09-18", "accepted"),
            ("2026-10-23", "accepted"),
            ("2026-11-17", "submitted"),
        ],
        "tasks": {
            1: [
                (P, 30),
                (P, 55),
                (P, 80),
                (D, 100, "2026-10-12"),
            ],
            2: [(N, 0), (P, 20), (P, 40), (P, 60)],
            3: [(P, 40), (P, 60), (P, 75), (P, 90)],
            4: [(P, 50), (P, 55), (P, 65), (P, 70)],
        },
        "indicators": {"HUE-CT02": [8, 6, 3, 0], "HUE-CT05": [95.5, 96, 96.2, 97]},
    },
    "vn.hue.phong-phu": {
        "reports": [
            ("2026-08-25", "accepted"),
            ("2026-09-28", "accepted"),
            None,
            ("2026-11-24", "submitted"),
        ],
        "tasks": {
            1: [(P, 10), (P, 25), None, (P, 45)],
            2: [(N, 0), (N, 0), None, (P, 10)],
            3: [
                (P, 20),
                (B, 20, "Chưa tổ chức được hội nghị kiểm điểm do thiếu địa điểm"),
                None,
                (P, 50),
            ],
            4: [(P, 40), (P, 45), None, (P, 50)],
        },
        "indicators": {"HUE-CT02": [8, 7, None, 6], "HUE-CT05": [94, 94.5, None, 95]},
    },
    "vn.hue.vinh-loc": {
        "reports": [("2026-08-12", "accepted"), ("2026-09-19", "returned"), None, None],
        "tasks": {
            1: [(P, 20), (P, 30), None, None],
            2: [(N, 0), (P, 10), None, None],
            3: [(P, 30), (P, 50), None, None],
            4: [(P, 60), (P, 62), None, None],
        },
        "indicators": {"HUE-CT02": [6, 5, None, None], "HUE-CT05": [95, 95.2, None, None]},
    },
}
DEMO_TASK_CODES = [f"{code}-{n}" for unit, code in CODES.items() for n in HISTORY[unit]["tasks"]]
RETURN_COMMENT = "Bổ sung số liệu sản phẩm và minh chứng cho nhiệm vụ xử lý điểm tập kết rác"


def _at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(9, 30), tzinfo=UTC)


async def seed_history(runtime: ServiceRuntime) -> bool:
    """Seed the history if the wards' plans are tracked and nothing was reported yet."""
    async with runtime.sessionmaker() as session, session.begin():
        if (await session.exec(select(func.count()).select_from(ProgressReport))).one():
            return True  # already there (or real reports exist): nothing to do
        demo_tasks = (
            await session.exec(
                select(TrackedTask).where(
                    col(TrackedTask.code).in_(
                        [
                            f"{code}-{n}"
                            for unit, code in CODES.items()
                            for n in HISTORY[unit]["tasks"]
                        ]
                    ),
                    col(TrackedTask.unit).in_(list(HISTORY)),
                )
            )
        ).all()
        plan_ids = {t.plan_id for t in demo_tasks}
        plans = (
            await session.exec(select(TrackedPlan).where(col(TrackedPlan.plan_id).in_(plan_ids)))
        ).all()
        city_indicators = (
            await session.exec(select(TrackedIndicator).where(TrackedIndicator.unit == CITY))
        ).all()
        if len(demo_tasks) < len(DEMO_TASK_CODES):
            return False  # the demo plans are not all tracked yet
        if not city_indicators:
            return False
        policy = await current_policy(session)
        by_code = {i.code: i for i in city_indicators}
        for code, rule in ROLLUP.items():
            if code in by_code:
                by_code[code].rollup = rule
                session.add(by_code[code])
        for plan in plans:
            plan.approved_at = _at(APPROVED_ON.isoformat())
            session.add(plan)
        for unit, history in HISTORY.items():
            await _seed_unit(runtime, session, policy, unit, history, by_code)
    log.info("seeded the demo history of %d wards", len(HISTORY))
    return True


async def _seed_unit(
    runtime: ServiceRuntime,
    session: Any,
    policy: Any,
    unit: str,
    history: dict[str, Any],
    city_indicators: dict[str, TrackedIndicator],
) -> None:
    short = unit.rsplit(".", 1)[1]
    codes = {f"{CODES[unit]}-{n}": n for n in history["tasks"]}
    tasks = {
        codes[t.code]: t
        for t in (
            await session.exec(
                select(TrackedTask).where(
                    TrackedTask.unit == unit, col(TrackedTask.code).in_(list(codes))
                )
            )
        ).all()
    }
    indicators = {
        i.code: i
        for i in (
            await session.exec(select(TrackedIndicator).where(TrackedIndicator.unit == unit))
        ).all()
    }
    for indicator in indicators.values():
        parent = city_indicators.get(indicator.code)
        if parent is not None and indicator.parent_indicator_id is None:
            indicator.parent_indicator_id = parent.id
            session.add(indicator)
    for n, period_key in enumerate(PERIODS):
        sent = history["reports"][n]
        if sent is None:
            continue
        submitted_on, status = sent
        period = parse_period(period_key)
        due = policy.due_on(period)
        report = ProgressReport(
            unit=unit,
            unit_level="ward",
            period=period_key,
            due_on=due,
            policy_version=policy.version,
            created_by=f"drafter.{short}",
            created_at=_at(submitted_on),
            updated_at=_at(submitted_on),
            status=status,
            submitted_by=f"head.{short}",
            submitted_at=_at(submitted_on),
            late=date.fromisoformat(submitted_on) > due,
        )
        if status in ("accepted", "returned"):
            report.decided_by = "approver.hue"
            report.decided_at = _at(submitted_on)
            report.comment = RETURN_COMMENT if status == "returned" else None
        session.add(report)
        await session.flush()
        for number, lines in history["tasks"].items():
            line = (
                lines[n]
                if lines[n] is not None
                else next((x for x in reversed(lines[:n]) if x is not None), ("not_started", 0))
            )
            task = tasks[number]
            state, percent, *extra = line
            row = ReportTaskLine(
                report_id=report.id,
                task_id=task.id,
                state=cast("ProgressState", state),  # the demo's own history, one of the four
                percent=percent,
            )
            if state == "done":
                row.completed_on = date.fromisoformat(extra[0])
                row.product_quantity = task.product_quantity
                row.narrative = "Hoàn thành, có biên bản nghiệm thu"
            elif state == "blocked":
                row.blocked_reason = extra[0]
            elif task.product_quantity:
                row.product_quantity = round(task.product_quantity * percent / 100)
                row.narrative = f"Đạt {percent:g}% khối lượng"
            session.add(row)
        for code, values in history["indicators"].items():
            if code in indicators and values[n] is not None:
                session.add(
                    ReportIndicatorLine(
                        report_id=report.id, indicator_id=indicators[code].id, actual=values[n]
                    )
                )
        kinds = ["submitted"] + ([status] if status != "submitted" else [])
        for kind in kinds:
            runtime.emit(
                session,
                report_event(report, kind),
                actor="seed",
                org_unit=unit,
                subject_id=report.id,
            )
    await session.flush()
    await refresh_standing(session, unit)


async def demo_history(runtime: ServiceRuntime) -> None:
    """Wait for the demo wards' plans to be tracked, then seed their history once."""
    if not runtime.settings.demo_history:
        return
    for _ in range(600):
        try:
            if await seed_history(runtime):
                return
        except Exception:
            log.exception("seeding the demo history failed; trying again")
        await asyncio.sleep(0.5)
    log.warning("the demo wards' plans never arrived: no demo history seeded")
