"""The fields the plans service's events carry, built in one place for the API, the event
handlers and the workers alike."""

from __future__ import annotations

from typing import Any, Literal, cast

from cascade_shared.events import (
    PlanApproved,
    PlanDecided,
    PlanRejected,
    PlanReturned,
    UnitChanged,
    UserChanged,
)

from cascade_plans.domain.plan import level_of
from cascade_plans.models import AppUser, OrgUnit, Plan

Level = Literal["central", "city", "ward"]
Kind = Literal["unit", "body"]

PLAN_OUTCOMES: dict[str, type[PlanDecided]] = {
    "approved": PlanApproved,
    "returned": PlanReturned,
    "rejected": PlanRejected,
}
"""An approval case's outcome -> the payload class of the plan's event."""


def unit_changed(entry: OrgUnit) -> UnitChanged:
    return UnitChanged(
        code=entry.code,
        name=entry.name,
        level=cast("Level", entry.level),
        parent=entry.parent,
        kind=cast("Kind", entry.kind),
    )


def user_changed(user: AppUser, *, active: bool = True) -> UserChanged:
    return UserChanged(
        username=user.username,
        name=user.name,
        unit=user.unit,
        roles=list(user.roles),
        email=user.email,
        language=user.language,
        active=active,
    )


def plan_ref(plan: Plan) -> dict[str, Any]:
    """The fields every plan.* event carries."""
    return {
        "plan_id": plan.id,
        "version": plan.version,
        "unit": plan.unit,
        "unit_level": level_of(plan.unit),
        "title": plan.title,
        "drafter": plan.drafter,
    }
