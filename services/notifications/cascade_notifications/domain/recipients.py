"""Who is told of an event: recipient rules, free of HTTP and SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CRITICAL_KINDS = frozenset(
    {
        "approval.step_reminded",
        "approval.step_overdue",
        "approval.step_escalated",
        "results.report_overdue",
        "results.task_overdue",
        "results.task_escalated",
        "plan.revision_request_overdue",
        "plan.revision_request_escalated",
    }
)
"""Deadline and escalation notices: they reach the in-app inbox whatever the preferences say."""

TO_CONCRETIZE = "plan.to_concretize"
"""The kind told to the units directly below a program that is now in force."""

PLAN_OUTCOMES = ("plan.approved", "plan.returned", "plan.rejected", "plan.withdrawn")
STEP_EVENTS = (
    "approval.step_assigned",
    "approval.step_carried_over",
    "approval.step_reminded",
    "approval.step_overdue",
)


def parent_unit(code: str) -> str | None:
    """The unit directly above ``code``: its code without the last dotted segment
    (``vn.hue.huong-an`` -> ``vn.hue``); None for the top unit."""
    above, dot, _ = code.rpartition(".")
    return above if dot and above else None


def _own_unit(payload: dict[str, Any]) -> str | None:
    return payload.get("unit") or None


def _unit_above(payload: dict[str, Any]) -> str | None:
    return parent_unit(payload["unit"]) if payload.get("unit") else None


def _escalated_to(payload: dict[str, Any]) -> str | None:
    return payload.get("escalated_to_unit") or _unit_above(payload)


RESULT_RULES: dict[str, tuple[Callable[[dict[str, Any]], str | None], tuple[str, ...]]] = {
    # A report sent up waits on the level above: its approvers decide, its heads see it come.
    "results.report_submitted": (_unit_above, ("approver", "head")),
    # The decision above, and the deadlines, go back to the people who write and sign it.
    "results.report_accepted": (_own_unit, ("drafter", "head")),
    "results.report_returned": (_own_unit, ("drafter", "head")),
    "results.report_reopened": (_own_unit, ("drafter", "head")),
    "results.report_due_soon": (_own_unit, ("drafter", "head")),
    "results.report_overdue": (_own_unit, ("drafter", "head")),
    # "The head of each unit must directly lead, inspect and urge": overdue tasks go to heads.
    "results.task_overdue": (_own_unit, ("head",)),
    "results.task_escalated": (_escalated_to, ("head",)),
    "results.evaluation_published": (_own_unit, ("head", "drafter")),
}
"""Per results event: which unit (picked from the payload) and which of its roles are told."""

RESULT_EVENTS = tuple(RESULT_RULES)

REVISION_RULES: dict[str, tuple[Callable[[dict[str, Any]], str | None], tuple[str, ...]]] = {
    # A parent plan's revision asks a plan below to follow: its drafters and head revise it.
    "plan.revision_requested": (_own_unit, ("drafter", "head")),
    "plan.revision_request_due_soon": (_own_unit, ("drafter", "head")),
    "plan.revision_request_overdue": (_own_unit, ("drafter", "head")),
    # Still late after the grace days: the heads of the unit above urge it.
    "plan.revision_request_escalated": (_escalated_to, ("head",)),
}
"""Per revision request event: which unit and which of its roles are told."""

REVISION_EVENTS = tuple(REVISION_RULES)

AUDIENCE_RULES = {**RESULT_RULES, **REVISION_RULES}
"""Every event told to the holders of some roles in one unit picked from its payload."""


def result_audience(event_type: str, payload: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """The unit whose holders of the roles are told of a results or revision request event
    (None: nobody)."""
    where, roles = AUDIENCE_RULES[event_type]
    return where(payload), roles


@dataclass(frozen=True)
class Person:
    username: str
    unit: str
    roles: tuple[str, ...]
    language: str = "vi"
    email: str | None = None
    name: str = ""


@dataclass(frozen=True)
class DelegationRule:
    delegator: str
    delegate: str
    unit: str
    starts_at: datetime
    ends_at: datetime
    active: bool = True

    def in_force(self, now: datetime) -> bool:
        return self.active and self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class Addressee:
    person: Person
    kind: str
    critical: bool


def holders(people: Iterable[Person], unit: str, role: str) -> list[Person]:
    """Everyone holding ``role`` in ``unit``."""
    return [p for p in people if p.unit == unit and role in p.roles]


def delegates_of(
    approvers: Sequence[Person], delegations: Iterable[DelegationRule], unit: str, now: datetime
) -> set[str]:
    """Usernames acting for ``approvers`` in ``unit`` at ``now``."""
    names = {p.username for p in approvers}
    return {
        d.delegate
        for d in delegations
        if d.delegator in names and d.in_force(now) and d.unit in (unit, "")
    }


def units_concerned(event_type: str, payload: dict[str, Any]) -> set[str]:
    """The units whose people the rule for ``event_type`` looks at (children come separately)."""
    if event_type in STEP_EVENTS:
        return {payload["unit"]}
    if event_type == "approval.step_escalated":
        return {payload["escalated_to_unit"]}
    if event_type in PLAN_OUTCOMES:
        return {payload["unit"]}
    if event_type in AUDIENCE_RULES:
        unit, _ = result_audience(event_type, payload)
        return {unit} if unit else set()
    return set()


def needs_children(event_type: str, payload: dict[str, Any]) -> bool:
    """A program in force above ward level: every unit directly below must now write its own."""
    return event_type == "plan.approved" and payload.get("unit_level") in ("city", "central")


def _writers_below(people: Sequence[Person], child_units: Sequence[str]) -> list[Person]:
    """The drafters and heads of the units below, unit by unit: they write the plans."""
    return [
        p
        for unit in child_units
        for p in people
        if p.unit == unit and ("drafter" in p.roles or "head" in p.roles)
    ]


def addressees(
    event_type: str,
    payload: dict[str, Any],
    people: Sequence[Person],
    *,
    delegations: Sequence[DelegationRule] = (),
    child_units: Sequence[str] = (),
    now: datetime,
) -> list[Addressee]:
    """Everyone told of one event, each once, with the kind of message they get.

    ``people`` must hold the people of :func:`units_concerned`, of ``child_units``, the plan's
    drafter and the delegates; the rule picks among them.
    """
    by_name = {p.username: p for p in people}
    chosen: dict[str, Addressee] = {}

    def add(person: Person | None, kind: str) -> None:
        if person is not None and person.username not in chosen:
            chosen[person.username] = Addressee(person, kind, kind in CRITICAL_KINDS)

    if event_type in STEP_EVENTS:
        approvers = holders(people, payload["unit"], payload["role"])
        for p in approvers:
            add(p, event_type)
        for name in sorted(delegates_of(approvers, delegations, payload["unit"], now)):
            add(by_name.get(name), event_type)
    elif event_type == "approval.step_escalated":
        role = payload.get("escalated_to_role") or "head"
        for p in holders(people, payload["escalated_to_unit"], role):
            add(p, event_type)
    elif event_type in PLAN_OUTCOMES:
        add(by_name.get(payload.get("drafter", "")), event_type)
        for p in holders(people, payload["unit"], "head"):
            add(p, event_type)
        if needs_children(event_type, payload):
            for p in _writers_below(people, child_units):
                add(p, TO_CONCRETIZE)
    elif event_type in AUDIENCE_RULES:
        audience_unit, roles = result_audience(event_type, payload)
        for role in roles:
            for p in holders(people, audience_unit, role) if audience_unit else ():
                add(p, event_type)
    return list(chosen.values())


def recipients_of_outcome(drafter: str, plan_unit: str, people: list[Person]) -> list[Person]:
    """A plan's outcome goes to its drafter and the head of its unit."""
    return [
        p for p in people if p.username == drafter or (p.unit == plan_unit and "head" in p.roles)
    ]


def recipients_of_step(unit: str, role: str, people: list[Person]) -> list[Person]:
    """A step waiting on a unit's role goes to everyone holding that role there."""
    return holders(people, unit, role)
