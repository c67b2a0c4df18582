"""A plan's review thread: comments, optionally anchored to tasks, that carry over from version
to version with an open or resolved state."""

from __future__ import annotations

from typing import Annotated, Any

from cascade_shared.envelope import utcnow
from cascade_shared.events import CommentResolved
from cascade_shared.params import Id
from cascade_shared.problems import conflict, forbidden, not_found
from fastapi import APIRouter, Query, status
from sqlmodel import col, select

from cascade_approvals.api.deps import CurrentUser, Runtime, SessionDep
from cascade_approvals.api.routes.cases import may_read, readable_case
from cascade_approvals.cases import comment_mandate
from cascade_approvals.models import ApprovalCase, ReviewComment
from cascade_approvals.schemas import CommentIn, CommentPublic, ResolveIn
from cascade_approvals.store import names_of, steps_of

router = APIRouter(prefix="/api/approvals", tags=["review threads"])


@router.get("/plans/{plan_id}/comments", response_model=list[CommentPublic])
async def plan_comments(
    plan_id: Id,
    user: CurrentUser,
    session: SessionDep,
    state: Annotated[str | None, Query(alias="status", pattern="^(open|resolved|remark)$")] = None,
) -> list[Any]:
    """Every comment on the plan across its versions, oldest first."""
    case = (
        await session.exec(select(ApprovalCase).where(ApprovalCase.plan_id == plan_id).limit(1))
    ).first()
    if case is None:
        raise not_found("plan under review", plan_id)
    if not await may_read(session, user, case, await steps_of(session, case.id)):
        raise forbidden(f"plan {plan_id} is outside your unit {user.unit}")
    query = (
        select(ReviewComment)
        .where(ReviewComment.plan_id == plan_id)
        .order_by(col(ReviewComment.created_at))
    )
    if state:
        query = query.where(ReviewComment.status == state)
    comments = (await session.exec(query)).all()
    names = await names_of(session, {c.author for c in comments})
    return [{**c.model_dump(), "author_name": names.get(c.author)} for c in comments]


@router.post(
    "/cases/{case_id}/comments",
    response_model=CommentPublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_comment(
    case_id: Id, body: CommentIn, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    """Add to the thread: the drafters and heads of the plan's unit, and whoever decides one of
    the case's steps (by their own role there, or as the delegate of a holder of it)."""
    case, steps = await readable_case(session, user, case_id)
    mandate = await comment_mandate(session, user, case, steps)
    if mandate is None:
        raise forbidden(
            f"the drafters and heads of {case.plan_unit} and the deciders of the case's steps "
            "comment on it"
        )
    comment = ReviewComment(
        plan_id=case.plan_id,
        case_id=case.id,
        plan_version=case.plan_version,
        task_id=body.task_id,
        task_code=body.task_code,
        text=body.text,
        author=user.username,
        on_behalf_of=mandate.on_behalf_of,
    )
    session.add(comment)
    await session.commit()
    return comment.model_dump()


@router.post("/comments/{comment_id}/resolve", response_model=CommentPublic)
async def resolve_comment(
    comment_id: Id, body: ResolveIn, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Mark a comment answered: by the plan's unit's drafter or head, or by its author."""
    comment = await session.get(ReviewComment, comment_id)
    if comment is None:
        raise not_found("comment", comment_id)
    case = await session.get(ApprovalCase, comment.case_id)
    assert case is not None
    answers = user.unit == case.plan_unit and user.has_role("drafter", "head")
    if not (answers or comment.author == user.username):
        raise forbidden("the plan's drafter or head, or the comment's author, resolves it")
    if comment.status == "resolved":
        raise conflict("the comment is already resolved", comment=comment.model_dump(mode="json"))
    if comment.status == "remark":
        raise conflict(
            "a remark made while approving needs no answer",
            comment=comment.model_dump(mode="json"),
        )
    comment.status = "resolved"
    comment.resolved_by = user.username
    comment.resolved_at = utcnow()
    comment.resolution = body.resolution
    session.add(comment)
    runtime.emit(
        session,
        CommentResolved(
            comment_id=comment.id,
            case_id=case.id,
            plan_id=case.plan_id,
            plan_version=comment.plan_version,
            task_code=comment.task_code,
            resolved_by=user.username,
            resolution=comment.resolution,
        ),
        actor=user.username,
        org_unit=case.plan_unit,
        subject_id=case.plan_id,
    )
    await session.commit()
    return comment.model_dump()
