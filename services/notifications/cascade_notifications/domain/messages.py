"""Who is told of an event, and what they are told (Vietnamese by default, English on request)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OUTCOME_TITLES = {
    "vi": {
        "plan.approved": "Kế hoạch đã được phê duyệt: {title}",
        "plan.returned": "Kế hoạch bị trả lại để chỉnh sửa: {title}",
        "plan.rejected": "Kế hoạch không được phê duyệt: {title}",
        "approval.step_assigned": "Kế hoạch chờ Đồng chí phê duyệt: {title}",
    },
    "en": {
        "plan.approved": "Plan approved: {title}",
        "plan.returned": "Plan returned for revision: {title}",
        "plan.rejected": "Plan rejected: {title}",
        "approval.step_assigned": "A plan awaits your decision: {title}",
    },
}

BODIES = {
    "vi": {
        "plan.approved": "Phiên bản {version} của kế hoạch đã được phê duyệt và có hiệu lực.",
        "plan.returned": "Phiên bản {version} bị trả lại. Ý kiến: {comment}",
        "plan.rejected": "Phiên bản {version} không được phê duyệt. Lý do: {comment}",
        "approval.step_assigned": "Bước {step_no} của hồ sơ chờ quyết định, hạn {due_at}.",
    },
    "en": {
        "plan.approved": "Version {version} of the plan was approved and is in force.",
        "plan.returned": "Version {version} was returned. Comments: {comment}",
        "plan.rejected": "Version {version} was rejected. Reason: {comment}",
        "approval.step_assigned": "Step {step_no} awaits your decision, due {due_at}.",
    },
}


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str


def render(event_type: str, payload: dict[str, Any], language: str) -> Message:
    lang = language if language in OUTCOME_TITLES else "vi"
    values = {
        "title": payload.get("title") or payload.get("plan_title") or "",
        "version": payload.get("version") or payload.get("plan_version") or "",
        "comment": payload.get("comment") or "",
        "step_no": payload.get("step_no", ""),
        "due_at": (payload.get("due_at") or "")[:10],
    }
    return Message(
        kind=event_type,
        title=OUTCOME_TITLES[lang][event_type].format(**values),
        body=BODIES[lang][event_type].format(**values),
    )


@dataclass(frozen=True)
class Person:
    username: str
    unit: str
    roles: tuple[str, ...]
    language: str = "vi"


def recipients_of_outcome(drafter: str, plan_unit: str, people: list[Person]) -> list[Person]:
    """A plan's outcome goes to its drafter and the head of its unit."""
    return [
        p for p in people if p.username == drafter or (p.unit == plan_unit and "head" in p.roles)
    ]


def recipients_of_step(unit: str, role: str, people: list[Person]) -> list[Person]:
    """A step waiting on a unit's role goes to everyone holding that role there."""
    return [p for p in people if p.unit == unit and role in p.roles]
