"""Request and response bodies of the plans API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from cascade_shared.params import RequestBody, refuse_null
from pydantic import BaseModel, ConfigDict, Field, field_validator


class MilestoneIn(RequestBody):
    period: str = Field(pattern=r"^\d{4}-(Q[1-4]|0[1-9]|1[0-2])$", examples=["2026-Q3"])
    description: str = ""


class TaskIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=50)
    task_group: str | None = Field(
        default=None, max_length=50, description="code of the task group"
    )
    job: str = Field(default="", max_length=2000)
    lead_unit: str | None = Field(default=None, max_length=200)
    cooperating_units: list[Annotated[str, Field(max_length=200)]] = []
    responsible_person: str | None = Field(default=None, max_length=200)
    start: date | None = None
    deadline: date | None = None
    milestones: list[MilestoneIn] = []
    product_description: str | None = Field(default=None, max_length=1000)
    product_quantity: float | None = None
    product_unit: str | None = Field(default=None, max_length=50)
    parent_task_id: str | None = Field(default=None, max_length=36)
    kind: Literal["task", "key_project"] = Field(
        default="task", description="task, or key project (đề án, dự án, công trình trọng điểm)"
    )
    budget: float | None = Field(default=None, ge=0, description="estimated cost, billion VND")


class TaskPatch(RequestBody):
    model_config = ConfigDict(extra="forbid")
    task_group: str | None = Field(default=None, max_length=50)
    job: str | None = Field(default=None, max_length=2000)
    lead_unit: str | None = Field(default=None, max_length=200)
    cooperating_units: list[Annotated[str, Field(max_length=200)]] | None = None
    responsible_person: str | None = Field(default=None, max_length=200)
    start: date | None = None
    deadline: date | None = None
    milestones: list[MilestoneIn] | None = None
    product_description: str | None = Field(default=None, max_length=1000)
    product_quantity: float | None = None
    product_unit: str | None = Field(default=None, max_length=50)
    kind: Literal["task", "key_project"] | None = None
    budget: float | None = Field(default=None, ge=0)

    _always_set = field_validator("job", "cooperating_units", "kind", mode="before")(refuse_null)


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
        description="why the parent's task group does not apply to this unit",
    )


class TaskGroupPatch(RequestBody):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=500)
    not_applicable_reason: str | None = Field(default=None, max_length=1000)

    _always_set = field_validator("title", mode="before")(refuse_null)


class SubmitRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")
    acknowledge_warnings: bool = Field(
        default=False, description="the drafter has read the warnings (e.g. mechanical copying)"
    )


class PlanFromParent(RequestBody):
    model_config = ConfigDict(extra="forbid")
    parent_plan_id: str = Field(max_length=36)
    title: str = Field(min_length=3, max_length=500)
    placeholder_tasks: bool = Field(
        default=True,
        description="one placeholder task per parent task, linked, to make local and measurable",
    )


class UnitCoverage(BaseModel):
    unit: str
    name: str
    plan_id: str | None
    status: str
    version: int | None
    covered_groups: list[str]
    not_applicable_groups: list[str]


class CoverageReport(BaseModel):
    plan_id: str
    task_groups: list[str]
    units: list[UnitCoverage]


class UnitIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)*$", max_length=200)
    name: str = Field(min_length=1, max_length=200)
    level: Literal["central", "city", "ward"]


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


class TaskPublic(TaskIn):
    model_config = ConfigDict(extra="ignore")
    id: str


class TaskGroupPublic(BaseModel):
    id: str
    code: str
    title: str
    parent_task_group_id: str | None = None
    not_applicable_reason: str | None = None


class IndicatorPublic(IndicatorIn):
    id: str


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
    drafter: str
    note: str | None = None
    created_at: datetime
    updated_at: datetime


class PlanPublic(PlanSummary):
    task_groups: list[TaskGroupPublic]
    indicators: list[IndicatorPublic]
    tasks: list[TaskPublic]


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
