"""Your notification preferences: channels per kind of event, and the daily digest."""

from __future__ import annotations

from typing import Annotated, Any

from cascade_shared.params import RequestBody, Text
from cascade_shared.problems import invalid
from fastapi import APIRouter, Path, Response
from pydantic import BaseModel
from sqlmodel import col, select

from cascade_notifications.api.deps import CurrentUser, SessionDep
from cascade_notifications.domain.preferences import ANY_KIND
from cascade_notifications.domain.recipients import CRITICAL_KINDS
from cascade_notifications.models import Preference

router = APIRouter(prefix="/api/notifications/preferences", tags=["notifications"])

KINDS = (
    ANY_KIND,
    "approval.step_assigned",
    "approval.step_reminded",
    "approval.step_overdue",
    "approval.step_escalated",
    "plan.approved",
    "plan.returned",
    "plan.rejected",
    "plan.withdrawn",
    "plan.to_concretize",
    "plan.revision_requested",
    "plan.revision_request_due_soon",
    "plan.revision_request_overdue",
    "plan.revision_request_escalated",
    "results.report_submitted",
    "results.report_accepted",
    "results.report_returned",
    "results.report_reopened",
    "results.report_due_soon",
    "results.report_overdue",
    "results.task_overdue",
    "results.task_escalated",
    "results.evaluation_published",
    "notification.announced",
)
"""Every kind a rule may name. An announcement always reaches the in-app inbox; its rule's
``email`` asks for it by e-mail, always folded into the daily digest."""


Kind = Annotated[Text, Path(max_length=50, description="a kind of notification, or *")]


class PreferenceIn(RequestBody):
    inapp: bool = True
    email: bool = True
    digest: bool = False


class PreferenceOut(PreferenceIn):
    kind: str
    critical: bool = False
    """Critical kinds reach the in-app inbox whatever ``inapp`` says."""


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise invalid(
            "path.kind",
            f"one of {', '.join(KINDS)}",
            f"kind: {kind!r} is not a kind of notification",
        )


@router.get("", response_model=list[PreferenceOut])
async def my_preferences(user: CurrentUser, session: SessionDep) -> list[dict[str, Any]]:
    """Your rules, one per kind you set (``*`` for every kind); unset kinds use in-app and
    e-mail, one message at a time."""
    rows = (
        await session.exec(
            select(Preference)
            .where(Preference.username == user.username)
            .order_by(col(Preference.kind))
        )
    ).all()
    return [{**r.model_dump(), "critical": r.kind in CRITICAL_KINDS} for r in rows]


class KindOut(BaseModel):
    kind: str
    critical: bool


@router.get("/kinds", response_model=list[KindOut])
async def kinds(user: CurrentUser) -> list[dict[str, Any]]:
    """Every kind a rule may name; critical kinds always reach the in-app inbox."""
    return [{"kind": k, "critical": k in CRITICAL_KINDS} for k in KINDS]


@router.put("/{kind}", response_model=PreferenceOut)
async def set_preference(
    kind: Kind, body: PreferenceIn, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    """Choose the channels for one kind of notification (``*``: every kind without its own)."""
    _check_kind(kind)
    row = await session.get(Preference, (user.username, kind)) or Preference(
        username=user.username, kind=kind
    )
    row.inapp, row.email, row.digest = body.inapp, body.email, body.digest
    session.add(row)
    await session.commit()
    return {**row.model_dump(), "critical": kind in CRITICAL_KINDS}


@router.delete("/{kind}", status_code=204)
async def reset_preference(kind: Kind, user: CurrentUser, session: SessionDep) -> Response:
    """Forget your rule for one kind."""
    _check_kind(kind)
    row = await session.get(Preference, (user.username, kind))
    if row is not None:
        await session.delete(row)
        await session.commit()
    return Response(status_code=204)
