"""Routing policy as data: which units and roles decide a plan, in which order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["central", "city", "ward"]


class StepRule(BaseModel):
    unit: Literal["own", "parent", "central"]
    role: str
    deadline_days: int = Field(default=10, ge=1)


class Policy(BaseModel):
    version: str
    description: str = ""
    chains: dict[Level, list[StepRule]]


@dataclass(frozen=True)
class StepPlan:
    step_no: int
    unit: str
    role: str
    deadline_days: int


def load_policy(path: Path) -> Policy:
    return Policy.model_validate(json.loads(path.read_text(encoding="utf-8")))


def resolve_unit(rule_unit: str, plan_unit: str) -> str:
    if rule_unit == "own":
        return plan_unit
    if rule_unit == "parent":
        if "." not in plan_unit:
            raise ValueError(f"{plan_unit} has no parent unit")
        return plan_unit.rsplit(".", 1)[0]
    return plan_unit.split(".", 1)[0]  # central: the root of the hierarchy


def steps_for(policy: Policy, level: Level, plan_unit: str) -> list[StepPlan]:
    """The steps a plan of ``plan_unit`` at ``level`` goes through under ``policy``."""
    rules = policy.chains.get(level)
    if not rules:
        raise ValueError(f"the policy {policy.version} has no chain for {level} plans")
    return [
        StepPlan(
            step_no=i,
            unit=resolve_unit(r.unit, plan_unit),
            role=r.role,
            deadline_days=r.deadline_days,
        )
        for i, r in enumerate(rules, start=1)
    ]
