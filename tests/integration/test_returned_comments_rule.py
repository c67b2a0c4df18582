"""The routing policy may ask every comment a plan was returned with to be answered before the
plan is submitted again: plans refuses the resubmission (and its check lists the comments) until
each is resolved, whatever order the return and the resolutions reach it in. Without the rule,
a returned plan is resubmitted as before."""

from __future__ import annotations

from typing import Any

import httpx
from cascade_plans.models import ReturnedComment
from cascade_shared.db import table_of
from cascade_shared.envelope import Envelope
from cascade_shared.events import CaseCompleted, CommentResolved, ReviewComment
from sqlalchemy import select

from tests.story import (
    create_draft,
    eventually,
    fixed_and_submitted,
    queue_item,
    token,
)


async def install_comment_rule(client: httpx.AsyncClient, version: str) -> None:
    admin = await token(client, "admin")
    policy = (await client.get("/api/approvals/policy", headers=admin)).json()
    new = {**policy, "version": version, "comments": {"resolve_before_resubmission": True}}
    r = await client.put("/api/approvals/policy", json=new, headers=admin)
    assert r.status_code == 200, r.text


async def returned_by_the_head(
    client: httpx.AsyncClient, ward: str
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A ward's plan, submitted and returned by its head with a general comment and one on its
    first task."""
    drafter = await token(client, f"drafter.{ward}")
    plan_id = await create_draft(client, drafter, "Kế hoạch (góp ý phải được giải quyết)")
    await fixed_and_submitted(client, drafter, plan_id)
    task = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()["tasks"][0]
    head = await token(client, f"head.{ward}")
    item = await queue_item(client, head, plan_id)
    r = await client.post(
        f"/api/approvals/cases/{item['case_id']}/steps/{item['step_no']}/decision",
        json={
            "decision": "return",
            "comment": "Bổ sung người chịu trách nhiệm cụ thể",
            "comments": [
                {
                    "task_id": task["id"],
                    "task_code": task["code"],
                    "text": "Nêu rõ tuyến đường nào được chỉnh trang",
                }
            ],
        },
        headers=head,
    )
    assert r.status_code == 200, r.text

    async def returned() -> bool:
        plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
        return bool(plan["status"] == "returned")

    await eventually(returned)
    return plan_id, drafter, task


async def open_comments(
    client: httpx.AsyncClient, drafter: dict[str, str], plan_id: str
) -> list[dict[str, Any]]:
    r = await client.get(
        f"/api/approvals/plans/{plan_id}/comments", params={"status": "open"}, headers=drafter
    )
    assert r.status_code == 200, r.text
    return list(r.json())


async def unanswered(client: httpx.AsyncClient, drafter: dict[str, str], plan_id: str) -> Any:
    r = await client.post(f"/api/plans/{plan_id}/check", headers=drafter)
    assert r.status_code == 200, r.text
    return [e for e in r.json()["errors"] if e.get("code") == "unanswered-comment"]


async def test_a_returned_plan_waits_for_every_comment_to_be_answered(
    client: httpx.AsyncClient,
) -> None:
    await install_comment_rule(client, "2026.9")
    plan_id, drafter, task = await returned_by_the_head(client, "huong-an")

    async def both_listed() -> Any:
        found = await unanswered(client, drafter, plan_id)
        return found if len(found) == 2 else None

    found = await eventually(both_listed)
    fields = sorted(e["field"] for e in found)
    assert f"tasks.{task['code']}.comment" in fields, fields
    assert any("tuyến đường" in e["reason_vi"] for e in found)
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == set(fields)

    # Answered one by one: the submission waits for the last.
    comments = await open_comments(client, drafter, plan_id)
    assert len(comments) == 2
    for n, comment in enumerate(comments):
        r = await client.post(
            f"/api/approvals/comments/{comment['id']}/resolve",
            json={"resolution": "Đã tiếp thu và bổ sung"},
            headers=drafter,
        )
        assert r.status_code == 200, r.text

        async def left(n: int = n) -> bool:
            return len(await unanswered(client, drafter, plan_id)) == 1 - n

        await eventually(left)
        if n == 0:
            r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
            assert r.status_code == 422, r.text
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2


async def test_an_answer_that_arrives_before_the_return_still_counts(
    client: httpx.AsyncClient,
) -> None:
    """Plans may learn of an answer before the return it answers (two events, delivered in
    either order): the comment stays answered, and only the other one is listed."""
    await install_comment_rule(client, "2026.9")
    drafter = await token(client, "drafter.phu-xuan")
    plan_id = await create_draft(client, drafter, "Kế hoạch (góp ý đến trước)")
    submitted = await fixed_and_submitted(client, drafter, plan_id)
    app: Any = client._transport.app  # type: ignore[attr-defined]
    plans = app.state.runtimes["plans"]

    def event(type_: str, payload: dict[str, Any]) -> Envelope:
        return Envelope(
            type=type_,
            producer="approvals",
            actor="head.phu-xuan",
            org_unit="vn.hue.phu-xuan",
            subject_id=plan_id,
            payload=payload,
        )

    version = submitted["version"]
    await plans.handle(
        event(
            "approval.comment_resolved",
            CommentResolved(
                comment_id="c-answered-early",
                case_id="case-x",
                plan_id=plan_id,
                plan_version=version,
                resolved_by="drafter.phu-xuan",
            ).wire(),
        )
    )
    comments = [
        ReviewComment(comment_id=c, text=f"Góp ý {c}", author="head.phu-xuan")
        for c in ("c-answered-early", "c-still-open")
    ]
    await plans.handle(
        event(
            "approval.case_completed",
            CaseCompleted(
                case_id="case-x",
                plan_id=plan_id,
                plan_version=version,
                outcome="returned",
                decided_by="head.phu-xuan",
                comments=comments,
            ).wire(),
        )
    )

    async def listed() -> Any:  # once plans has the policy's rule too
        return await unanswered(client, drafter, plan_id)

    found = await eventually(listed)
    assert [e["subject"] for e in found] == ["c-still-open"]
    async with plans.sessionmaker() as session:
        rows = (
            await session.execute(
                select(table_of(ReturnedComment)).where(
                    table_of(ReturnedComment).c.plan_id == plan_id
                )
            )
        ).all()
    assert {(r.comment_id, r.status) for r in rows} == {
        ("c-answered-early", "resolved"),
        ("c-still-open", "open"),
    }


async def test_without_the_rule_a_returned_plan_is_resubmitted_as_before(
    client: httpx.AsyncClient,
) -> None:
    plan_id, drafter, _ = await returned_by_the_head(client, "vinh-loc")
    assert await unanswered(client, drafter, plan_id) == []
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200, r.text
