"""Approvals on the real PostgreSQL: two approvers deciding at the same moment, a retried request
racing its original, and the deadline scheduler running in two service instances at once."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cascade_approvals.service import SERVICE
from cascade_shared.auth import Principal
from cascade_shared.chassis.app import create_app
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import Envelope, utcnow
from cascade_shared.settings import Settings
from fastapi import FastAPI
from sqlalchemy import text

SECRET = "approvals-postgres-test-secret-of-32-bytes"
WARD = "vn.hue.huong-an"
USERS = [
    ("head.huong-an", WARD, ["head"]),
    ("approver.hue", "vn.hue", ["approver"]),
    ("approver2.hue", "vn.hue", ["approver"]),
]


def _event(type_: str, payload: dict[str, Any], actor: str = "seed") -> Envelope:
    return Envelope(type=type_, producer="plans", actor=actor, payload=payload)


def _submitted(plan_id: str, version: int = 1) -> Envelope:
    return _event(
        "plan.submitted",
        {
            "plan_id": plan_id,
            "version": version,
            "unit": WARD,
            "unit_level": "ward",
            "title": "Kế hoạch thực hiện Nghị quyết của phường Hương An",
            "drafter": "drafter.huong-an",
            "content_hash": "a" * 64,
            "submitted_by": "drafter.huong-an",
            "task_count": 1,
        },
        actor="drafter.huong-an",
    )


class Instance:
    """One approvals service instance (its own app and runtime) on the shared database."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://approvals"
        )

    @property
    def runtime(self) -> ServiceRuntime:
        return self.app.state.runtimes["approvals"]

    def headers(self, username: str) -> dict[str, str]:
        unit, roles = next((u, r) for n, u, r in USERS if n == username)
        token = self.app.state.token_verifier.issue(
            Principal(username=username, unit=unit, roles=roles)
        )
        return {"Authorization": f"Bearer {token}"}


async def _instances(
    stack: AsyncExitStack, url: str, count: int, *, workers: bool
) -> list[Instance]:
    out = []
    for i in range(count):
        settings = Settings(database_url=url, jwt_secret=SECRET, workers=workers)
        app = create_app([SERVICE], settings, migrate=(i == 0))
        await stack.enter_async_context(app.router.lifespan_context(app))
        instance = Instance(app)
        await stack.enter_async_context(instance.client)
        out.append(instance)
    for name, unit, roles in USERS:
        await out[0].runtime.handle(
            _event(
                "directory.user_changed",
                {"username": name, "name": name, "unit": unit, "roles": roles},
            )
        )
    return out


async def _case_at_city_step(instance: Instance, plan_id: str) -> str:
    await instance.runtime.handle(_submitted(plan_id))
    queue = (
        await instance.client.get("/api/approvals/queue", headers=instance.headers("head.huong-an"))
    ).json()
    case_id = next(i["case_id"] for i in queue["items"] if i["plan_id"] == plan_id)
    r = await instance.client.post(
        f"/api/approvals/cases/{case_id}/steps/1/decision",
        json={"decision": "approve"},
        headers=instance.headers("head.huong-an"),
    )
    assert r.status_code == 200, r.text
    return case_id


async def _outbox_types(runtime: ServiceRuntime, plan_id: str) -> list[str]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT event_type FROM outbox WHERE envelope->>'subject_id' = :p ORDER BY seq"),
            {"p": plan_id},
        )
        return [r[0] for r in rows]


async def test_two_approvers_deciding_at_once_exactly_one_counts(one: Instance) -> None:
    case_id = await _case_at_city_step(one, "plan-concurrent")
    url = f"/api/approvals/cases/{case_id}/steps/2/decision"
    first, second = await asyncio.gather(
        one.client.post(url, json={"decision": "approve"}, headers=one.headers("approver.hue")),
        one.client.post(
            url,
            json={"decision": "return", "comment": "Bổ sung chỉ tiêu"},
            headers=one.headers("approver2.hue"),
        ),
    )
    codes = sorted([first.status_code, second.status_code])
    assert codes == [200, 409], (first.text, second.text)
    loser = first if first.status_code == 409 else second
    winner = second if loser is first else first
    assert loser.headers["content-type"].startswith("application/problem+json")
    assert loser.json()["case"]["status"] == winner.json()["status"]
    case = (
        await one.client.get(f"/api/approvals/cases/{case_id}", headers=one.headers("approver.hue"))
    ).json()
    assert len(case["steps"][1]["decisions"]) == 1
    types = await _outbox_types(one.runtime, "plan-concurrent")
    assert types.count("approval.step_decided") == 2  # the head's, and exactly one of the city's
    assert types.count("approval.case_completed") == 1


async def test_a_retried_request_racing_its_original_returns_the_first_answer(
    one: Instance,
) -> None:
    case_id = await _case_at_city_step(one, "plan-retried")
    url = f"/api/approvals/cases/{case_id}/steps/2/decision"
    headers = {**one.headers("approver.hue"), "Idempotency-Key": "decision-7f3a"}
    answers = await asyncio.gather(
        *(one.client.post(url, json={"decision": "approve"}, headers=headers) for _ in range(4))
    )
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    types = await _outbox_types(one.runtime, "plan-retried")
    assert types.count("approval.case_completed") == 1
    assert types.count("approval.step_decided") == 2


async def test_an_overdue_step_is_chased_and_escalated_exactly_once_by_two_instances(
    approvals_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASCADE_APPROVALS_DEADLINE_POLL_SECONDS", "0.02")
    async with AsyncExitStack() as stack:
        a, b = await _instances(stack, approvals_db, 2, workers=True)
        await a.runtime.handle(_submitted("plan-overdue"))
        await b.runtime.handle(_submitted("plan-soon"))
        now = utcnow()
        async with a.runtime.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE approval_step SET due_at = :due FROM approval_case c "
                    "WHERE c.id = approval_step.case_id AND c.plan_id = :p "
                    "AND approval_step.status = 'active'"
                ),
                [
                    {"due": now - timedelta(days=3), "p": "plan-overdue"},
                    {"due": now + timedelta(hours=2), "p": "plan-soon"},
                ],
            )

        async def escalated() -> bool:
            return "approval.step_escalated" in await _outbox_types(a.runtime, "plan-overdue")

        deadline = asyncio.get_running_loop().time() + 20
        while not await escalated():
            assert asyncio.get_running_loop().time() < deadline, "never escalated"
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # ~50 more scans by each instance: nothing may fire again
        overdue = await _outbox_types(a.runtime, "plan-overdue")
        soon = await _outbox_types(a.runtime, "plan-soon")
    assert overdue.count("approval.step_overdue") == 1
    assert overdue.count("approval.step_escalated") == 1
    assert overdue.count("approval.step_reminded") == 0  # already past due: no reminder
    assert soon.count("approval.step_reminded") == 1
    assert soon.count("approval.step_overdue") == 0
    async with a.runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT s.escalated_to_unit, o.envelope->'payload'->>'escalated_to_unit' "
                    "FROM approval_step s JOIN approval_case c ON c.id = s.case_id "
                    "JOIN outbox o ON o.envelope->>'subject_id' = c.plan_id "
                    "AND o.event_type = 'approval.step_escalated' "
                    "WHERE c.plan_id = 'plan-overdue' AND s.escalated_at IS NOT NULL"
                )
            )
        ).one()
    assert row == ("vn.hue", "vn.hue")  # the ward head's step goes to the head of the city
