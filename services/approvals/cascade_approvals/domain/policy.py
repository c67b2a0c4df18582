"""Routing policy as data: which units and roles decide a plan, in which order, how many of them,
under which conditions, and how fast.

A policy is a versioned JSON document. It is loaded from ``policy.json`` at the first start and
can be replaced through the admin API; every case keeps the version it started under, so a new
policy applies to new cases only.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Level = Literal["central", "city", "ward"]
Mode = Literal["any", "all", "k_of_n"]
Resubmission = Literal["from_start", "from_returning_step"]

_OPS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


MAX_WORKING_DAYS = 365
"""The longest a step may take, be reminded before or escalated after (working days)."""
MAX_APPROVALS = 1000
"""The most approvals a k-of-n step may ask for."""


class Condition(BaseModel):
    """A fact of the submitted plan compared with a value, e.g. ``total_budget > 500``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    fact: str = Field(description="a fact of plan.submitted: task_count, total_budget, ...")
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float

    def holds(self, facts: Mapping[str, float]) -> bool:
        return _OPS[self.op](float(facts.get(self.fact, 0)), self.value)


class StepRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=100)
    unit: Literal["own", "parent", "central"]
    role: str = Field(max_length=50)
    mode: Mode = "any"
    k: int | None = Field(
        default=None, ge=1, le=MAX_APPROVALS, description="approvals needed in k_of_n mode"
    )
    deadline_days: int = Field(
        default=10, ge=0, le=MAX_WORKING_DAYS, description="working days to decide"
    )
    when: list[Condition] = Field(
        default_factory=list, description="the step applies only when every condition holds"
    )
    partial: bool = Field(
        default=False,
        description="the step may approve some task groups and return the others (a partial "
        "decision); approved groups freeze until the plan is in force",
    )

    @model_validator(mode="after")
    def _k_for_k_of_n(self) -> StepRule:
        if self.mode == "k_of_n" and self.k is None:
            raise ValueError("a k_of_n step needs k")
        if self.mode != "k_of_n" and self.k is not None:
            raise ValueError("k applies to k_of_n steps only")
        return self


class Chain(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[StepRule] = Field(min_length=1)
    resubmission: Resubmission = "from_start"


class Deadlines(BaseModel):
    """When undecided steps are chased (đôn đốc) and escalated."""

    model_config = ConfigDict(extra="forbid")
    remind_days_before: int = Field(
        default=1, ge=0, le=MAX_WORKING_DAYS, description="working days before due"
    )
    escalate_days_after: int = Field(
        default=0, ge=0, le=MAX_WORKING_DAYS, description="working days after due"
    )


class RevisionDeadlines(BaseModel):
    """How long a plan below has to follow its parent's approved revision (calendar days);
    the plans service asks for the revisions and chases them on these terms."""

    model_config = ConfigDict(extra="forbid")
    days: int = Field(default=30, ge=1, le=365, description="days to revise")
    remind_days_before: int = Field(
        default=5, ge=0, le=60, description="the unit is reminded this many days before"
    )
    escalate_days_after: int = Field(
        default=5,
        ge=0,
        le=60,
        description="the heads of the unit above are told this many days after",
    )


class CommentRules(BaseModel):
    """What the drafters of a returned plan must do with its comments before resubmitting."""

    model_config = ConfigDict(extra="forbid")
    resolve_before_resubmission: bool = Field(
        default=False,
        description="every comment a plan was returned with is resolved (answered) before the "
        "plan is submitted again; the plans service refuses the submission until then",
    )


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(min_length=1, max_length=50)
    description: str = ""
    chains: dict[Level, Chain]
    deadlines: Deadlines = Deadlines()
    revisions: RevisionDeadlines = RevisionDeadlines()
    comments: CommentRules = CommentRules()

    @model_validator(mode="before")
    @classmethod
    def _accept_bare_step_lists(cls, data: object) -> object:
        """``"ward": [step, ...]`` is shorthand for ``"ward": {"steps": [step, ...]}``."""
        if isinstance(data, dict) and isinstance(data.get("chains"), dict):
            data = {
                **data,
                "chains": {
                    level: {"steps": chain} if isinstance(chain, list) else chain
                    for level, chain in data["chains"].items()
                },
            }
        return data


@dataclass(frozen=True)
class StepPlan:
    step_no: int
    name: str
    unit: str
    role: str
    mode: Mode
    k: int | None
    deadline_days: int
    partial: bool = False


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


def steps_for(
    policy: Policy, level: Level, plan_unit: str, facts: Mapping[str, float] | None = None
) -> list[StepPlan]:
    """The steps a plan of ``plan_unit`` at ``level`` goes through under ``policy``; conditional
    steps are kept only when the plan's ``facts`` meet every condition."""
    chain = policy.chains.get(level)
    if chain is None:
        raise ValueError(f"the policy {policy.version} has no chain for {level} plans")
    facts = facts or {}
    rules = [r for r in chain.steps if all(c.holds(facts) for c in r.when)]
    return [
        StepPlan(
            step_no=i,
            name=r.name or f"{r.unit}-{r.role}",
            unit=resolve_unit(r.unit, plan_unit),
            role=r.role,
            mode=r.mode,
            k=r.k,
            deadline_days=r.deadline_days,
            partial=r.partial,
        )
        for i, r in enumerate(rules, start=1)
    ]


def required_approvals(mode: Mode, k: int | None, holders: int) -> int:
    """How many approvals a step needs: one (any), every holder of the role (all), or k."""
    if mode == "any":
        return 1
    if mode == "all":
        return max(holders, 1)
    return max(k or 1, 1)
