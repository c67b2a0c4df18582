"""The catalogue of event types: names, payload schemas and who consumes what.

Event types are facts in the past tense, ``<aggregate>.<what happened>``, and double as the
RabbitMQ routing key. Each type has its own payload class, so an event is made from its payload
alone (``runtime.event(PlanReturned(...))``: the type and version come from this catalogue).
Payloads are read tolerantly (``model_validate`` ignores fields it does not know), but made
strictly: constructing one with a field its class does not declare is a ``TypeError``, so no
producer sends what the catalogue does not describe. A breaking change to a payload gets a new
``version`` and consumers handle each version they know.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def __init__(self, **data: Any) -> None:
        unknown = set(data) - set(type(self).model_fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {sorted(unknown)}")
        super().__init__(**data)

    # Marked as pydantic marks its own base __init__, so validation (``model_validate``, and a
    # nested payload read from a dict) does not call it and reading stays tolerant: only a
    # producer's ``Payload(...)`` is checked. tests/unit/test_typed_events.py holds both.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def wire(self) -> dict[str, Any]:
        """The payload as an event carries it: JSON values, the fields the producer set."""
        return self.model_dump(mode="json", exclude_unset=True)


# -- directory (produced by plans) ------------------------------------------------------------
class UnitChanged(Payload):
    code: str
    name: str
    level: Literal["central", "city", "ward"]
    parent: str | None = None
    kind: Literal["unit", "body"] = "unit"
    """``unit``: a Party committee that makes plans (events before bodies existed are units);
    ``body``: an outside body (a department, an office, the Fatherland Front, the police, ...)
    registered under the unit it belongs to, which may lead or cooperate on a task but makes no
    plan, reports no results and is never counted among the units below its parent."""


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
    previous_plan_id: str | None = None
    """Set when the plan continues the plan of the term before (kế thừa)."""


class PlanRevisionStarted(PlanRef):
    """plan.revision_started / plan.revision_discarded: ``version`` is the revision's,
    ``in_force_version`` the approved version that stays in force beside it."""

    in_force_version: int
    parent_plan_id: str | None = None
    reason: str | None = None


class PlanRevisionDiscarded(PlanRevisionStarted):
    """plan.revision_discarded: the revision was dropped; the version in force stays."""


class ParentTaskChange(Payload):
    """One task of a revised parent plan: changed in what the units below concretize (job,
    product, deadline, lead unit: ``fields`` from → to) or removed."""

    task_id: str
    code: str
    kind: Literal["changed", "removed"]
    fields: dict[str, dict[str, Any]] = {}


class PlanRevisionRequested(PlanRef):
    """plan.revision_requested and its deadline notices (plan.revision_request_due_soon,
    plan.revision_request_overdue to the plan's unit; plan.revision_request_escalated to the
    unit above, ``escalated_to_unit``). The plan is the one asked to revise."""

    request_id: str
    parent_plan_id: str
    parent_title: str
    parent_unit: str
    parent_version: int
    from_version: int
    changes: list[ParentTaskChange] = []
    due_on: date
    escalated_to_unit: str | None = None


class RevisionRequestDueSoon(PlanRevisionRequested):
    """The date of a revision request is near."""


class RevisionRequestOverdue(PlanRevisionRequested):
    """A revision request is past its date."""


class RevisionRequestEscalated(PlanRevisionRequested):
    """A revision request past its date, told to the unit above."""


class TaskGroupRef(Payload):
    """A task group of a submitted version. ``approved_in_version`` is set on a group an
    approver approved in a partial decision on an earlier version: it is frozen, and not under
    review again."""

    id: str
    code: str
    title: str = ""
    approved_in_version: int | None = None


class PlanSubmitted(PlanRef):
    parent_plan_id: str | None = None
    content_hash: str
    submitted_by: str
    task_count: int = 0
    acknowledged_warnings: list[str] = []
    task_groups: list[TaskGroupRef] = []
    facts: dict[str, float] = {}
    """What conditional approval steps look at (e.g. ``budget_total``), as plans computes it."""


class ReviewComment(Payload):
    """An approver's comment, optionally anchored to one task (by its stable id)."""

    comment_id: str | None = None
    task_id: str | None = None
    task_code: str | None = None
    text: str
    author: str | None = None
    status: Literal["open", "resolved", "remark"] = "open"
    """``open`` until answered (``resolved``); a ``remark`` made while approving needs no
    answer."""


class GroupsDecided(Payload):
    """On a return, the task groups it settled: those that stand approved (frozen until the plan
    is in force, by this partial decision or an earlier one) and those that go back to the
    drafter. A partial decision has both; an approval or a rejection neither."""

    approved_groups: list[TaskGroupRef] = []
    returned_groups: list[TaskGroupRef] = []


class PlanDecided(PlanRef, GroupsDecided):
    """plan.approved / plan.returned / plan.rejected / plan.withdrawn."""

    case_id: str | None = None
    comment: str | None = None
    comments: list[ReviewComment] = []
    parent_plan_id: str | None = None
    decided_by: str | None = None


class PlanReturned(PlanDecided):
    """plan.returned"""


class PlanRejected(PlanDecided):
    """plan.rejected"""


class PlanWithdrawn(PlanDecided):
    """plan.withdrawn"""


class ApprovedTask(Payload):
    """A task of a plan in force, as results tracks it (its id is stable across versions)."""

    id: str
    code: str
    job: str = ""
    task_group: str | None = None
    lead_unit: str | None = None
    responsible_person: str | None = None
    start: date | None = None
    deadline: date | None = None
    milestones: list[dict[str, Any]] = []
    product_description: str | None = None
    product_quantity: float | None = None
    product_unit: str | None = None
    parent_task_id: str | None = None
    cooperating_units: list[str] = []
    kind: str = "task"
    """``task``, or ``key_project`` (a key project, with its ``budget`` in billion VND)."""
    budget: float | None = None
    carried_from_task_id: str | None = None
    """The task of the plan of the term before that this one continues."""


class ApprovedIndicator(Payload):
    id: str
    code: str
    name: str
    unit: str
    baseline: float | None = None
    target: float
    year: int
    comparator: str = ">="


class PlanApproved(PlanDecided):
    """plan.approved: also carries what the plan now puts in force, so results can track it
    without calling back (older events without them track nothing new)."""

    term_start: int | None = None
    term_end: int | None = None
    tasks: list[ApprovedTask] = []
    indicators: list[ApprovedIndicator] = []


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
    plan_unit: str | None = None


class StepDecided(GroupsDecided):
    case_id: str
    plan_id: str
    plan_version: int
    step_no: int
    unit: str
    role: str
    decision: Literal["approved", "returned", "rejected"]
    decided_by: str
    on_behalf_of: str | None = None
    """The absent approver a delegate decided for; None when they decided themselves."""
    content_hash: str | None = None
    """The content hash of the plan version the approver looked at."""
    comment: str | None = None
    comments: list[ReviewComment] = []


class StepRef(Payload):
    """An approval step of a case: whose plan, which step, which unit and role decide it."""

    case_id: str
    plan_id: str
    plan_version: int
    plan_title: str | None = None
    plan_unit: str | None = None
    step_no: int
    unit: str
    role: str


class StepCarriedOver(StepRef):
    """approval.step_carried_over: a resubmission resumed after this step (the policy resumes
    at the step that returned the plan), so the approval given at ``approved_in_version``
    stands for the new version; the step's people are told why they are not asked again."""

    approved_in_version: int | None = None
    approved_by: str | None = None
    returned_at_step: int | None = None


class StepDeadline(StepRef):
    """approval.step_reminded (before it falls due), approval.step_overdue (after)."""

    due_at: datetime


class StepReminded(StepDeadline):
    """approval.step_reminded: before the step falls due."""


class StepOverdue(StepDeadline):
    """approval.step_overdue: after it fell due."""


class StepEscalated(StepDeadline):
    """An overdue step escalated to the head of the unit above the deciding unit."""

    escalated_to_unit: str
    escalated_to_role: str = "head"


class RevisionDeadlines(Payload):
    """How long a plan below has to follow its parent's approved revision, in calendar days:
    ``days`` to revise, reminded ``remind_days_before`` that date, escalated to the heads of
    the unit above ``escalate_days_after`` it."""

    days: int = 30
    remind_days_before: int = 5
    escalate_days_after: int = 5


class CommentRules(Payload):
    """What a returned plan's drafters must do with the comments it came back with:
    ``resolve_before_resubmission`` - answer (resolve) every one before submitting again."""

    resolve_before_resubmission: bool = False


class PolicyInstalled(Payload):
    """approval.policy_installed: a routing policy version new cases start under, and the part
    of it other services apply (the deadlines of revision requests, and the rule on returned
    comments, which plans keeps)."""

    version: str
    installed_by: str
    revisions: RevisionDeadlines = RevisionDeadlines()
    comments: CommentRules = CommentRules()


class CommentResolved(Payload):
    """approval.comment_resolved: a review comment was answered (by the plan's drafters or
    head, or by its author), with how it was addressed."""

    comment_id: str
    case_id: str
    plan_id: str
    plan_version: int
    task_code: str | None = None
    resolved_by: str
    resolution: str | None = None


class DelegationChanged(Payload):
    """approval.delegation_granted / approval.delegation_revoked."""

    delegation_id: str
    unit: str
    delegator: str
    delegate: str
    starts_at: datetime
    ends_at: datetime
    active: bool = True


class DelegationGranted(DelegationChanged):
    """approval.delegation_granted"""


class DelegationRevoked(DelegationChanged):
    """approval.delegation_revoked"""


class CaseCompleted(GroupsDecided):
    case_id: str
    plan_id: str
    plan_version: int
    outcome: Literal["approved", "returned", "rejected", "withdrawn"]
    decided_by: str | None = None
    on_behalf_of: str | None = None
    comment: str | None = None
    comments: list[ReviewComment] = []
    returned_at_step: int | None = None


# -- notifications ----------------------------------------------------------------------------
class AnnouncementPublished(Payload):
    announcement_id: str
    unit: str
    title: str
    recipients: int = 0


# -- results ----------------------------------------------------------------------------------
class ReportRef(Payload):
    """results.report_submitted / report_accepted / report_returned / report_reopened."""

    report_id: str
    unit: str
    unit_level: Literal["central", "city", "ward"]
    period: str
    """``2026-03`` (a month), ``2026-Q1`` (a quarter) or ``2026`` (a year)."""
    version: int
    due_on: date
    late: bool = False
    submitted_by: str | None = None
    decided_by: str | None = None
    comment: str | None = None
    comments: list[dict[str, Any]] = []
    reason: str | None = None


class ReportSubmitted(ReportRef):
    """results.report_submitted"""


class ReportAccepted(ReportRef):
    """results.report_accepted"""


class ReportReturned(ReportRef):
    """results.report_returned"""


class ReportReopened(ReportRef):
    """results.report_reopened"""


class ReportDue(Payload):
    """results.report_due_soon (before the due date) / results.report_overdue (after it)."""

    unit: str
    unit_level: Literal["central", "city", "ward"]
    period: str
    due_on: date


class ReportDueSoon(ReportDue):
    """results.report_due_soon"""


class ReportOverdue(ReportDue):
    """results.report_overdue"""


class TaskOverdue(Payload):
    """results.task_overdue (told to the plan's unit) / results.task_escalated (to the unit
    above, ``escalated_to_unit``)."""

    task_id: str
    task_code: str
    job: str
    plan_id: str
    plan_title: str
    unit: str
    lead_unit: str | None = None
    deadline: date
    days_overdue: int = 0
    escalated_to_unit: str | None = None


class TaskEscalated(TaskOverdue):
    """results.task_escalated"""


class EvaluationPublished(Payload):
    evaluation_id: str
    unit: str
    period: str
    score: float
    formula_version: str
    published_by: str


# -- audit ------------------------------------------------------------------------------------
class CheckpointSealed(Payload):
    checkpoint_id: str
    first_seq: int
    last_seq: int
    merkle_root: str
    previous_checkpoint: str | None = None
    signature: str
    key_id: str


class EventSpec(BaseModel):
    type: str
    version: int
    payload: builtins.type[Payload]  # builtins: inside this class, ``type`` is the field
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
            description="A directory entry was created or changed: an org unit, or an "
            "outside body (`kind` body) that makes no plan.",
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
            type="plan.revision_started",
            version=1,
            payload=PlanRevisionStarted,
            producer="plans",
            description="A drafter started revising a plan in force; the approved version "
            "stays in force until the revision is approved.",
        ),
        EventSpec(
            type="plan.revision_discarded",
            version=1,
            payload=PlanRevisionDiscarded,
            producer="plans",
            description="A drafter dropped a revision; the working copy is the version in "
            "force again.",
        ),
        EventSpec(
            type="plan.revision_requested",
            version=1,
            payload=PlanRevisionRequested,
            producer="plans",
            description="A parent plan's approved revision changed or removed tasks this plan "
            "concretizes: its unit is asked to revise it by a date.",
        ),
        EventSpec(
            type="plan.revision_request_due_soon",
            version=1,
            payload=RevisionRequestDueSoon,
            producer="plans",
            description="A requested revision is due within the reminder days.",
        ),
        EventSpec(
            type="plan.revision_request_overdue",
            version=1,
            payload=RevisionRequestOverdue,
            producer="plans",
            description="A requested revision is past its date, told to the plan's unit.",
        ),
        EventSpec(
            type="plan.revision_request_escalated",
            version=1,
            payload=RevisionRequestEscalated,
            producer="plans",
            description="A requested revision still late after the grace days, told to the "
            "heads of the unit above.",
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
            payload=PlanApproved,
            producer="plans",
            description="The last step approved: the plan is in force.",
        ),
        EventSpec(
            type="plan.returned",
            version=1,
            payload=PlanReturned,
            producer="plans",
            description="An approver returned the plan for revision: as a whole, or in part "
            "(some task groups approved and frozen, the others returned).",
        ),
        EventSpec(
            type="plan.rejected",
            version=1,
            payload=PlanRejected,
            producer="plans",
            description="An approver rejected the plan (final).",
        ),
        EventSpec(
            type="plan.withdrawn",
            version=1,
            payload=PlanWithdrawn,
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
            type="approval.step_reminded",
            version=1,
            payload=StepReminded,
            producer="approvals",
            description="A step falls due soon and is still undecided.",
        ),
        EventSpec(
            type="approval.step_overdue",
            version=1,
            payload=StepOverdue,
            producer="approvals",
            description="A step passed its deadline undecided.",
        ),
        EventSpec(
            type="approval.step_escalated",
            version=1,
            payload=StepEscalated,
            producer="approvals",
            description="An overdue step was escalated to the head of the unit above.",
        ),
        EventSpec(
            type="approval.delegation_granted",
            version=1,
            payload=DelegationGranted,
            producer="approvals",
            description="An approver handed their decisions to a colleague for a period.",
        ),
        EventSpec(
            type="approval.step_carried_over",
            version=1,
            payload=StepCarriedOver,
            producer="approvals",
            description="A resubmitted version resumed after this step: its earlier approval "
            "stands, and its people are told why they are not asked again.",
        ),
        EventSpec(
            type="approval.policy_installed",
            version=1,
            payload=PolicyInstalled,
            producer="approvals",
            description="A routing policy version was installed (at the first start, or by a "
            "central administrator); plans takes the revision requests' deadlines from it.",
        ),
        EventSpec(
            type="approval.delegation_revoked",
            version=1,
            payload=DelegationRevoked,
            producer="approvals",
            description="A delegation was ended early.",
        ),
        EventSpec(
            type="approval.comment_resolved",
            version=1,
            payload=CommentResolved,
            producer="approvals",
            description="A review comment was answered, with how it was addressed.",
        ),
        EventSpec(
            type="approval.case_completed",
            version=1,
            payload=CaseCompleted,
            producer="approvals",
            description="A case ended: approved, returned, ...",
        ),
        EventSpec(
            type="notification.announced",
            version=1,
            payload=AnnouncementPublished,
            producer="notifications",
            description="A unit announced a message to everyone in its subtree.",
        ),
        EventSpec(
            type="results.report_submitted",
            version=1,
            payload=ReportSubmitted,
            producer="results",
            description="A unit's head signed off its progress report and sent it up.",
        ),
        EventSpec(
            type="results.report_accepted",
            version=1,
            payload=ReportAccepted,
            producer="results",
            description="The level above accepted a progress report; its figures count.",
        ),
        EventSpec(
            type="results.report_returned",
            version=1,
            payload=ReportReturned,
            producer="results",
            description="The level above returned a progress report with comments.",
        ),
        EventSpec(
            type="results.report_reopened",
            version=1,
            payload=ReportReopened,
            producer="results",
            description="The level above reopened a locked period for a correction.",
        ),
        EventSpec(
            type="results.report_due_soon",
            version=1,
            payload=ReportDueSoon,
            producer="results",
            description="A unit's report for a period falls due soon and is not yet sent.",
        ),
        EventSpec(
            type="results.report_overdue",
            version=1,
            payload=ReportOverdue,
            producer="results",
            description="A unit has not sent its report by the due date (chased).",
        ),
        EventSpec(
            type="results.task_overdue",
            version=1,
            payload=TaskOverdue,
            producer="results",
            description="A tracked task passed its deadline undone.",
        ),
        EventSpec(
            type="results.task_escalated",
            version=1,
            payload=TaskEscalated,
            producer="results",
            description="A task still overdue after the grace days, told to the unit above.",
        ),
        EventSpec(
            type="results.evaluation_published",
            version=1,
            payload=EvaluationPublished,
            producer="results",
            description="A unit's evaluation score for a period was published.",
        ),
        EventSpec(
            type="audit.checkpoint_sealed",
            version=1,
            payload=CheckpointSealed,
            producer="audit",
            description="The audit store sealed and signed a checkpoint of its records.",
        ),
    ]
}

SPEC_OF_PAYLOAD: dict[builtins.type[Payload], EventSpec] = {
    spec.payload: spec for spec in CATALOGUE.values()
}


def spec_of(payload: Payload) -> EventSpec:
    """The catalogue's entry for a payload (its type, version and producer)."""
    try:
        return SPEC_OF_PAYLOAD[type(payload)]
    except KeyError:
        raise TypeError(
            f"{type(payload).__name__} is not the payload of a catalogued event"
        ) from None


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
