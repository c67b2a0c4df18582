"""Request and response bodies of the plans API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from cascade_shared.params import RequestBody, refuse_null
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cascade_plans.domain.plan import unit_problem

MAX_COOPERATING_UNITS = 30
MAX_MILESTONES = 72
"""A milestone a month over a six-year term."""

TaskKind = Literal["task", "scheme", "project", "key_project"]
"""What an action plan lists: a task (nhiệm vụ), a scheme (đề án), a project (dự án), a key
project (dự án, công trình trọng điểm)."""


def one_unit(value: str | None) -> str | None:
    """A lead unit: exactly one directory code (``vn.hue.so-y-te``), never a list or a name.
    Whether the code is in the directory is the route's business (it needs the database)."""
    if value is None:
        return None
    problem = unit_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value.strip()


def unit_list(value: list[str] | None) -> list[str] | None:
    """Cooperating units: directory codes, each once."""
    if value is None:
        return None
    out: list[str] = []
    for unit in value:
        code = one_unit(unit) or ""
        if code in out:
            raise ValueError(f"{code} is listed twice")
        out.append(code)
    return out


def not_blank(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("must not be blank")
    return value


def reason_not_blank(value: str | None) -> str | None:
    """A not-applicable reason, when set, says why (null clears it)."""
    if value is not None and not value.strip():
        raise ValueError(
            "a task group marked not applicable needs the reason why; send null to clear it"
        )
    return value


class MilestoneIn(RequestBody):
    period: str = Field(pattern=r"^\d{4}-(Q[1-4]|0[1-9]|1[0-2])$", examples=["2026-Q3"])
    description: str = Field(default="", max_length=500)


class TaskIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=50)
    task_group: str | None = Field(
        default=None, max_length=50, description="code of the task group"
    )
    job: str = Field(default="", max_length=2000)
    lead_unit: str | None = Field(
        default=None,
        max_length=200,
        description="the code of exactly one directory entry, a unit or an outside body "
        "(1 xuyên suốt); shown by its name",
        examples=["vn.hue.so-y-te"],
    )
    cooperating_units: list[Annotated[str, Field(max_length=200)]] = Field(
        default=[],
        max_length=MAX_COOPERATING_UNITS,
        description="codes of directory entries, each once, not the lead unit",
    )
    responsible_person: str | None = Field(default=None, max_length=200)
    start: date | None = None
    deadline: date | None = None
    milestones: list[MilestoneIn] = Field(default=[], max_length=MAX_MILESTONES)
    product_description: str | None = Field(default=None, max_length=1000)
    product_quantity: float | None = Field(default=None, gt=0)
    product_unit: str | None = Field(default=None, max_length=50)
    parent_task_id: str | None = Field(default=None, max_length=36)
    kind: TaskKind = Field(
        default="task",
        description="task (nhiệm vụ), scheme (đề án), project (dự án), or key project "
        "(dự án, công trình trọng điểm)",
    )
    budget: float | None = Field(default=None, ge=0, description="estimated cost, billion VND")

    _one_lead = field_validator("lead_unit")(one_unit)
    _units = field_validator("cooperating_units")(unit_list)

    @model_validator(mode="after")
    def _lead_does_not_cooperate(self) -> TaskIn:
        if self.lead_unit is not None and self.lead_unit in self.cooperating_units:
            raise ValueError("the lead unit cannot also be a cooperating unit")
        return self


class TaskPatch(RequestBody):
    model_config = ConfigDict(extra="forbid")
    task_group: str | None = Field(default=None, max_length=50)
    job: str | None = Field(default=None, max_length=2000)
    lead_unit: str | None = Field(default=None, max_length=200)
    cooperating_units: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=MAX_COOPERATING_UNITS
    )
    responsible_person: str | None = Field(default=None, max_length=200)
    start: date | None = None
    deadline: date | None = None
    milestones: list[MilestoneIn] | None = Field(default=None, max_length=MAX_MILESTONES)
    product_description: str | None = Field(default=None, max_length=1000)
    product_quantity: float | None = Field(default=None, gt=0)
    product_unit: str | None = Field(default=None, max_length=50)
    kind: TaskKind | None = None
    budget: float | None = Field(default=None, ge=0)

    _always_set = field_validator("job", "cooperating_units", "kind", mode="before")(refuse_null)
    _one_lead = field_validator("lead_unit")(one_unit)
    _units = field_validator("cooperating_units")(unit_list)


class TaskGroupIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=50)
    title: str = Field(min_length=1, max_length=500)
    parent_task_group: str | None = Field(
        default=None,
        max_length=50,
        description="code of the parent plan's task group this one covers "
        "(default: the parent's group with the same code)",
    )
    not_applicable_reason: str | None = Field(
        default=None,
        max_length=1000,
        description="why the parent's task group does not apply to this unit (not blank)",
    )

    _title = field_validator("title")(not_blank)
    _reason = field_validator("not_applicable_reason")(reason_not_blank)


class TaskGroupPatch(RequestBody):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=500)
    not_applicable_reason: str | None = Field(
        default=None,
        max_length=1000,
        description="why the parent's task group does not apply to this unit (not blank); "
        "null clears it",
    )

    _always_set = field_validator("title", mode="before")(refuse_null)
    _title = field_validator("title")(not_blank)
    _reason = field_validator("not_applicable_reason")(reason_not_blank)


class SubmitRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")
    acknowledge_warnings: bool = Field(
        default=False, description="the drafter has read the warnings (e.g. mechanical copying)"
    )


class ReviseRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="why the plan in force is being revised (shown to the approvers)",
    )


class PlanFromParent(RequestBody):
    model_config = ConfigDict(extra="forbid")
    parent_plan_id: str = Field(max_length=36)
    title: str = Field(min_length=3, max_length=500)
    placeholder_tasks: bool = Field(
        default=True,
        description="one placeholder task per parent task, linked, to make local and measurable",
    )


class NextTermRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=3, max_length=500)
    term_start: int = Field(ge=2000, le=2100, description="after this plan's term ends")
    term_end: int = Field(ge=2000, le=2100)
    parent_plan_id: str | None = Field(
        default=None,
        max_length=36,
        description="the next term's program of the unit above, in force, that the new plan "
        "concretizes (its task groups are linked by code)",
    )
    resolution: str | None = Field(
        default=None, max_length=500, description="default: the parent program's"
    )

    _title = field_validator("title")(not_blank)


class UnitCoverage(BaseModel):
    unit: str
    name: str
    plan_id: str | None
    status: str
    version: int | None
    covered_groups: list[str]
    not_applicable_groups: list[str]
    in_force_version: int | None = None
    revision_due: date | None = None
    """Set when the unit is asked to revise its plan after this plan's revision: by when."""


class RevisionRequestPublic(BaseModel):
    id: str
    plan_id: str
    parent_plan_id: str
    parent_version: int
    from_version: int
    changes: list[dict[str, Any]]
    due: date
    status: str
    created_at: datetime
    reminded_at: datetime | None = None
    overdue_at: datetime | None = None
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by_version: int | None = None


class CoverageReport(BaseModel):
    plan_id: str
    task_groups: list[str]
    units: list[UnitCoverage]


class UnitIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)*$", max_length=200)
    name: str = Field(min_length=1, max_length=200)
    level: Literal["central", "city", "ward"]
    kind: Literal["unit", "body"] = Field(
        default="unit",
        description="unit: a Party committee that makes plans; body: an outside body "
        "(department, office, Fatherland Front, police, ...) registered under the unit it "
        "belongs to, at that unit's level, which may lead or cooperate on tasks but makes no "
        "plan and has no users",
    )

    _name = field_validator("name")(not_blank)


class UserIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[a-z0-9._-]+$", max_length=100)
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(max_length=200)
    roles: list[Literal["drafter", "head", "approver", "auditor", "admin"]]
    email: str | None = Field(default=None, max_length=200)
    language: Literal["vi", "en"] = "vi"


class IndicatorIn(RequestBody):
    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=500)
    unit: str = Field(min_length=1, max_length=50)
    baseline: float | None = None
    target: float
    year: int = Field(ge=2000, le=2100)
    comparator: str = Field(default=">=", pattern=r"^(>=|<=|=|>|<)$")

    _text = field_validator("name", "unit")(not_blank)


class PlanCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=3, max_length=500)
    parent_plan_id: str | None = Field(
        default=None,
        max_length=36,
        description="the plan of the level above that this plan concretizes",
    )
    resolution: str | None = Field(default=None, max_length=500)
    term_start: int | None = Field(default=None, ge=2000, le=2100)
    term_end: int | None = Field(default=None, ge=2000, le=2100)
    task_groups: list[TaskGroupIn] = []
    indicators: list[IndicatorIn] = []
    tasks: list[TaskIn] = []


class MilestonePublic(BaseModel):
    period: str
    description: str = ""


class TaskPublic(BaseModel):
    """A task as stored. Not the input model: what older rules let in is still shown."""

    model_config = ConfigDict(extra="ignore")
    id: str
    code: str
    task_group: str | None = None
    job: str = ""
    lead_unit: str | None = Field(default=None, description="the code of one directory entry")
    cooperating_units: list[str] = []
    responsible_person: str | None = None
    start: date | None = None
    deadline: date | None = None
    milestones: list[MilestonePublic] = []
    product_description: str | None = None
    product_quantity: float | None = None
    product_unit: str | None = None
    parent_task_id: str | None = None
    kind: TaskKind = "task"
    budget: float | None = None
    carried_from_task_id: str | None = Field(
        default=None, description="the unfinished task of the term before that this continues"
    )


class TaskGroupPublic(BaseModel):
    id: str
    code: str
    title: str
    parent_task_group_id: str | None = None
    not_applicable_reason: str | None = None
    approved_in_version: int | None = Field(
        default=None,
        description="the version in which an approver approved this group and returned "
        "others (a partial decision): it is frozen until the plan is decided as a whole",
    )
    approved_by: str | None = None


class IndicatorPublic(BaseModel):
    id: str
    code: str
    name: str
    unit: str
    baseline: float | None = None
    target: float
    year: int
    comparator: str = ">="


class PlanSummary(BaseModel):
    id: str
    unit: str
    title: str
    resolution: str
    term_start: int
    term_end: int
    parent_plan_id: str | None
    status: str
    version: int
    in_force_version: int | None = None
    """The approved version in force; beside it, ``status`` and ``version`` describe the
    working copy (a revision, when the plan is in force and not ``approved``)."""
    drafter: str
    note: str | None = None
    previous_plan_id: str | None = None
    """The plan of the term before, which this one continues (kế thừa)."""
    created_at: datetime
    updated_at: datetime


class PlanActions(BaseModel):
    """What the caller may do with the plan now (the rules of its status, for the drafters of
    its own unit)."""

    edit: bool = False
    submit: bool = False
    withdraw: bool = False
    revise: bool = False
    discard_revision: bool = False


class PlanPublic(PlanSummary):
    task_groups: list[TaskGroupPublic]
    indicators: list[IndicatorPublic]
    tasks: list[TaskPublic]
    allowed: PlanActions | None = None
    """On ``GET /api/plans/{id}``: what the caller may do with it now."""


class PlanPage(BaseModel):
    items: list[PlanSummary]
    total: int
    limit: int
    offset: int


class PlanVersionPublic(BaseModel):
    plan_id: str
    version: int
    content_hash: str
    submitted_by: str
    submitted_at: datetime
    outcome: str | None
    content: dict[str, Any]


class UnitPublic(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None
    kind: str = "unit"


class UserPublic(BaseModel):
    username: str
    name: str
    unit: str
    roles: list[str]
    email: str | None
    language: str


class DevTokenRequest(RequestBody):
    username: str = Field(max_length=100)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic
