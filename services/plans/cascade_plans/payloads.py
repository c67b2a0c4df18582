"""The fields the plans service's events carry, built in one place for the API, the event
handlers and the workers alike."""

from __future__ import annotations

from typing import Any

from cascade_plans.domain.plan import level_of
from cascade_plans.models import Plan


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
