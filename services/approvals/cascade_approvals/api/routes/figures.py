"""Figures per unit: open and overdue steps, and how long decisions take."""

from __future__ import annotations

from statistics import median
from typing import Annotated, Any

from cascade_shared.envelope import as_utc, utcnow
from cascade_shared.params import UnitCode
from cascade_shared.units import unit_within
from fastapi import APIRouter, Query
from sqlmodel import col, or_, select

from cascade_approvals.api.deps import CurrentUser, SessionDep
from cascade_approvals.models import ApprovalStep
from cascade_approvals.schemas import UnitFigures

router = APIRouter(prefix="/api/approvals", tags=["figures"])

DECIDED = ("approved", "returned", "rejected")


@router.get("/figures", response_model=UnitFigures)
async def unit_figures(
    user: CurrentUser,
    session: SessionDep,
    unit: Annotated[UnitCode | None, Query(description="default: your unit")] = None,
) -> dict[str, Any]:
    """The steps decided by ``unit`` and the units below it: how many are open and overdue now,
    and the median time from assignment to decision, overall and per step of the policy."""
    unit = unit or user.unit
    user.require_sees(unit)
    rows = (
        await session.exec(
            select(ApprovalStep).where(
                or_(ApprovalStep.unit == unit, col(ApprovalStep.unit).startswith(unit + ".")),
                col(ApprovalStep.status).in_(["active", *DECIDED]),
            )
        )
    ).all()
    now = utcnow()
    hours: list[float] = []
    by_step: dict[str, dict[str, Any]] = {}
    open_steps = overdue = 0
    for s in rows:
        if not unit_within(s.unit, unit):
            continue
        entry = by_step.setdefault(s.name, {"open": 0, "overdue": 0, "decided": 0, "_h": []})
        if s.status == "active":
            open_steps += 1
            entry["open"] += 1
            if s.due_at and as_utc(s.due_at) < now:
                overdue += 1
                entry["overdue"] += 1
        elif s.assigned_at and s.decided_at:
            h = (as_utc(s.decided_at) - as_utc(s.assigned_at)).total_seconds() / 3600
            hours.append(h)
            entry["decided"] += 1
            entry["_h"].append(h)
    for entry in by_step.values():
        values = entry.pop("_h")
        entry["median_hours_to_decision"] = round(median(values), 3) if values else None
    return {
        "unit": unit,
        "open_steps": open_steps,
        "overdue_steps": overdue,
        "decided_steps": len(hours),
        "median_hours_to_decision": round(median(hours), 3) if hours else None,
        "by_step": by_step,
    }
