"""The catalogue of event types: names, payload schemas and who consumes what.

Event types are facts in the past tense, ``<aggregate>.<what happened>``, and double as the
RabbitMQ routing key. Payload models are read tolerantly (``extra="ignore"``); a breaking change
to a payload gets a new ``version`` and consumers handle each version they know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- directory (produced by plans) ------------------------------------------------------------
class UnitChanged(Payload):
    code: str
    name: str
    level: Literal["central", "city", "ward"]
    parent: str | None = None


class UserChanged(Payload):
    username: str
    name: str
    unit: str
    roles: list[str]
    email: str | None = None
    language: str = "vi"
    active: bool = True


# -- plans ------------------------------------------------------------------------------------
class PlanRef(Payload):
    plan_id: str
    version: int
    unit: str
    unit_level: Literal["central", "city", "ward"]
    title: str
    drafter: str


class PlanCreated(PlanRef):
    parent_plan_id: str | None = None


class PlanSubmitted(PlanRef):
    parent_plan_id: str | None = None
    content_hash: str
    submitted_by: str
    task_count: int = 0
    acknowledged_warnings: list[str] = []


class PlanDecided(PlanRef):
    """plan.approved / plan.returned / plan.rejected / plan.withdrawn."""

    case_id: str | None = None
    comment: str | None = None


# -- approvals --------------------------------------------------------------------------------
class CaseOpened(Payload):
    case_id: str
    plan_id: str
    plan_version: int
    plan_unit: str
    policy_version: str
    steps: list[dict[str, Any]]


class StepAssigned(Payload):
    case_id: str
    plan_id: str
    plan_version: int
    step_no: int
    unit: str
    role: str
    due_at: datetime | None = None
    plan_title: str | None = None


class StepDecided(Payload):
    case_id: str
    plan_id: str
    plan_version: int
    step_no: int
    unit: str
    role: str
    decision: Literal["approved", "returned", "rejected"]
    decided_by: str
    comment: str | None = None


class CaseCompleted(Payload):
    case_id: str
    plan_id: str
    plan_version: int
    outcome: Literal["approved", "returned", "rejected", "withdrawn"]
    decided_by: str | None = None
    comment: str | None = None


class EventSpec(BaseModel):
    type: str
    version: int
    payload: type[Payload]
    producer: str
    description: str


CATALOGUE: dict[str, EventSpec] = {
    spec.type: spec
    for spec in [
        EventSpec(
            type="directory.unit_changed",
            version=1,
            payload=UnitChanged,
            producer="plans",
            description="An org unit was created or changed.",
        ),
        EventSpec(
            type="directory.user_changed",
            version=1,
            payload=UserChanged,
            producer="plans",
            description="A user, their unit or roles changed.",
        ),
        EventSpec(
            type="plan.created",
            version=1,
            payload=PlanCreated,
            producer="plans",
            description="A drafter started a plan.",
        ),
        EventSpec(
            type="plan.submitted",
            version=1,
            payload=PlanSubmitted,
            producer="plans",
            description="A plan version was submitted for approval.",
        ),
        EventSpec(
            type="plan.approved",
            version=1,
            payload=PlanDecided,
            producer="plans",
            description="The last step approved: the plan is in force.",
        ),
        EventSpec(
            type="plan.returned",
            version=1,
            payload=PlanDecided,
            producer="plans",
            description="An approver returned the plan for revision.",
        ),
        EventSpec(
            type="plan.rejected",
            version=1,
            payload=PlanDecided,
            producer="plans",
            description="An approver rejected the plan (final).",
        ),
        EventSpec(
            type="plan.withdrawn",
            version=1,
            payload=PlanDecided,
            producer="plans",
            description="The submitter withdrew the plan.",
        ),
        EventSpec(
            type="approval.case_opened",
            version=1,
            payload=CaseOpened,
            producer="approvals",
            description="A case opened for a submitted version.",
        ),
        EventSpec(
            type="approval.step_assigned",
            version=1,
            payload=StepAssigned,
            producer="approvals",
            description="A step now waits on a unit's role.",
        ),
        EventSpec(
            type="approval.step_decided",
            version=1,
            payload=StepDecided,
            producer="approvals",
            description="An approver decided a step.",
        ),
        EventSpec(
            type="approval.case_completed",
            version=1,
            payload=CaseCompleted,
            producer="approvals",
            description="A case ended: approved, returned, ...",
        ),
    ]
}

# Which event types each consuming service's queue is bound to ("#" = every event).
SUBSCRIPTIONS: dict[str, list[str]] = {
    "plans": ["approval.case_completed"],
    "approvals": ["plan.submitted", "plan.withdrawn"],
    "notifications": [
        "directory.user_changed",
        "approval.step_assigned",
        "plan.approved",
        "plan.returned",
        "plan.rejected",
    ],
    "audit": ["#"],
}


def routing_key_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: ``*`` is exactly one word, ``#`` is zero or more words."""
    p_words, k_words = pattern.split("."), key.split(".")

    def match(i: int, j: int) -> bool:
        if i == len(p_words):
            return j == len(k_words)
        if p_words[i] == "#":
            return any(match(i + 1, jj) for jj in range(j, len(k_words) + 1))
        if j == len(k_words):
            return False
        return (p_words[i] == "*" or p_words[i] == k_words[j]) and match(i + 1, j + 1)

    return match(0, 0)
