"""Guards found in review: the deadline scan never starves a reminder, delegation times keep
their offset in embedded mode, a withdrawal and a final decision cannot both close a case, a
delegation ends when its delegator leaves the unit, and only those concerned comment."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from cascade_approvals import cases, workers
from cascade_approvals.workers import scan_deadlines
from cascade_shared.envelope import utcnow
from sqlalchemy import text

from tests.integration.test_approvals_postgres import (
    WARD,
    Instance,
    _case_at_city_step,
    _event,
    _instances,
    _outbox_types,
    _submitted,
)
from tests.story import create_draft, decide, eventually, fixed_and_submitted, queue_item, token

ICT = timezone(timedelta(hours=7))  # Indochina Time, the offset a Huế user's browser sends


async def _submitted_plan(client: httpx.AsyncClient, title: str) -> str:
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, title)
    await fixed_and_submitted(client, drafter, plan_id)
    return plan_id


async def _delegated(
    client: httpx.AsyncClient, who: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    async def granted() -> Any:
        # The directory reaches approvals as events; right after start it may still be coming.
        r = await client.post("/api/approvals/delegations", json=body, headers=who)
        assert r.status_code in (201, 422), r.text
        return r.json() if r.status_code == 201 else None

    return dict(await eventually(granted))


def _instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- 1. the deadline scan ---------------------------------------------------------------------
async def test_reminded_steps_not_yet_due_do_not_crowd_out_a_step_awaiting_its_reminder(
    approvals_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "SCAN_BATCH", 5)  # stands for 200: more reminded steps than fit
    async with AsyncExitStack() as stack:
        a, b = await _instances(stack, approvals_db, 2, workers=False)
        for i in range(7):
            await a.runtime.handle(_submitted(f"plan-reminded-{i}"))
        for plan_id in ("plan-to-remind", "plan-to-remind-too"):
            await a.runtime.handle(_submitted(plan_id))
        now = utcnow()
        async with a.runtime.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE approval_step SET due_at = :due, reminded_at = :reminded "
                    "FROM approval_case c WHERE c.id = approval_step.case_id "
                    "AND c.plan_id LIKE 'plan-reminded-%' AND approval_step.status = 'active'"
                ),
                {"due": now + timedelta(hours=1), "reminded": now - timedelta(hours=20)},
            )
            await conn.execute(
                text(
                    "UPDATE approval_step SET due_at = :due FROM approval_case c "
                    "WHERE c.id = approval_step.case_id AND c.plan_id = 'plan-to-remind' "
                    "AND approval_step.status = 'active'"
                ),
                {"due": now + timedelta(hours=3)},
            )

        # The seven reminded steps come first by deadline, but the scan skips them.
        assert await scan_deadlines(a.runtime, now) == 1
        assert await scan_deadlines(a.runtime, now + timedelta(minutes=1)) == 0
        reminded = await _outbox_types(a.runtime, "plan-to-remind")
        assert reminded.count("approval.step_reminded") == 1
        for i in range(7):
            assert "approval.step_reminded" not in await _outbox_types(
                a.runtime, f"plan-reminded-{i}"
            )

        # Two instances scanning at the same moment still send each reminder once.
        async with a.runtime.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE approval_step SET due_at = :due FROM approval_case c "
                    "WHERE c.id = approval_step.case_id AND c.plan_id = 'plan-to-remind-too' "
                    "AND approval_step.status = 'active'"
                ),
                {"due": now + timedelta(hours=4)},
            )
        later = now + timedelta(minutes=2)
        sent = await asyncio.gather(
            scan_deadlines(a.runtime, later), scan_deadlines(b.runtime, later)
        )
        assert sum(sent) == 1
        too = await _outbox_types(a.runtime, "plan-to-remind-too")
        assert too.count("approval.step_reminded") == 1

        # Once all are past due, each is overdue and escalated in one pass, however many.
        assert await scan_deadlines(a.runtime, now + timedelta(hours=5)) == 18


# -- 2. times with an offset in embedded mode ---------------------------------------------------
async def test_a_delegation_entered_at_plus_seven_is_active_at_the_right_utc_instant(
    client: httpx.AsyncClient,
) -> None:
    city = await token(client, "approver.hue")
    stand_in = await token(client, "drafter.hue")
    now = datetime.now(UTC)
    starts = (now - timedelta(hours=1)).astimezone(ICT)
    ends = (now + timedelta(hours=2)).astimezone(ICT)
    granted = await _delegated(
        client,
        city,
        {"delegate": "drafter.hue", "starts_at": starts.isoformat(), "ends_at": ends.isoformat()},
    )
    listed = (await client.get("/api/approvals/delegations", headers=stand_in)).json()
    row = next(d for d in listed if d["id"] == granted["id"])
    assert _instant(row["starts_at"]) == starts
    assert _instant(row["ends_at"]) == ends

    # Active now (it began an hour ago, 7 hours of wall clock earlier in Huế's time).
    plan_id = await _submitted_plan(client, "Kế hoạch phường Hương An (múi giờ)")
    head = await token(client, "head.huong-an")
    assert (await decide(client, head, await queue_item(client, head, plan_id))).status_code == 200
    item = await queue_item(client, stand_in, plan_id)
    assert item["on_behalf_of"] == "approver.hue"
    r = await client.post(
        f"/api/approvals/cases/{item['case_id']}/comments",
        json={"text": "Đề nghị bổ sung tiến độ theo quý"},
        headers=stand_in,
    )
    assert r.status_code == 201, r.text
    assert r.json()["on_behalf_of"] == "approver.hue"


# -- 3. a withdrawal racing the final decision --------------------------------------------------
def _withdrawn(plan_id: str) -> Any:
    return _event(
        "plan.withdrawn",
        {
            "plan_id": plan_id,
            "version": 1,
            "unit": WARD,
            "unit_level": "ward",
            "title": "Kế hoạch thực hiện Nghị quyết của phường Hương An",
            "drafter": "drafter.huong-an",
            "decided_by": "drafter.huong-an",
        },
        actor="drafter.huong-an",
    )


def _slow_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between the handler finding the case open and closing it."""
    real = cases.close_case

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.3)
        return await real(*args, **kwargs)

    monkeypatch.setattr(cases, "close_case", slow)


async def _case_status(instance: Instance, plan_id: str, version: int = 1) -> str:
    async with instance.runtime.engine.connect() as conn:
        return str(
            (
                await conn.execute(
                    text(
                        "SELECT status FROM approval_case WHERE plan_id = :p AND plan_version = :v"
                    ),
                    {"p": plan_id, "v": version},
                )
            ).scalar_one()
        )


async def test_a_withdrawal_racing_the_final_approval_completes_the_case_exactly_once(
    one: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = [f"plan-withdraw-race-{i}" for i in range(6)]
    cases = [await _case_at_city_step(one, p) for p in plans]
    _slow_steps(monkeypatch)

    async def approve(case_id: str, delay: float) -> httpx.Response:
        await asyncio.sleep(delay)
        return await one.client.post(
            f"/api/approvals/cases/{case_id}/steps/2/decision",
            json={"decision": "approve"},
            headers=one.headers("approver.hue"),
        )

    async def withdraw(plan_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await one.runtime.handle(_withdrawn(plan_id))

    for n, (plan_id, case_id) in enumerate(zip(plans, cases, strict=True)):
        # the withdrawal first and the decision inside its window, then the other way round
        first, second = (0.0, 0.05 * (n % 3)) if n < 3 else (0.05 * (n % 3), 0.0)
        answer, _ = await asyncio.gather(approve(case_id, second), withdraw(plan_id, first))
        assert answer.status_code in (200, 409), answer.text
        types = await _outbox_types(one.runtime, plan_id)
        assert types.count("approval.case_completed") == 1, (n, types)
        status = await _case_status(one, plan_id)
        assert status == ("approved" if answer.status_code == 200 else "withdrawn"), (n, status)


async def test_a_resubmission_racing_the_final_approval_does_not_reopen_a_decided_case(
    one: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = await _case_at_city_step(one, "plan-supersede-race")
    _slow_steps(monkeypatch)
    answer, _ = await asyncio.gather(
        one.client.post(
            f"/api/approvals/cases/{case_id}/steps/2/decision",
            json={"decision": "approve"},
            headers=one.headers("approver.hue"),
        ),
        one.runtime.handle(_submitted("plan-supersede-race", version=2)),
    )
    types = await _outbox_types(one.runtime, "plan-supersede-race")
    status = await _case_status(one, "plan-supersede-race")
    if answer.status_code == 200:
        assert status == "approved" and types.count("approval.case_completed") == 1, types
    else:
        assert answer.status_code == 409, answer.text
        assert status == "superseded" and types.count("approval.case_completed") == 0, types


# -- 4. a delegation ends with the delegator's move ---------------------------------------------
async def test_a_delegation_ends_when_the_delegator_moves_to_another_unit(
    client: httpx.AsyncClient,
) -> None:
    head = await token(client, "head.huong-an")
    drafter = await token(client, "drafter.huong-an")
    ends = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    await _delegated(client, head, {"delegate": "drafter.huong-an", "ends_at": ends})
    plan_id = await _submitted_plan(client, "Kế hoạch phường Hương An (chuyển công tác)")
    item = await queue_item(client, drafter, plan_id)
    assert item["on_behalf_of"] == "head.huong-an" and item["unit"] == WARD

    admin = await token(client, "admin")
    users = (await client.get("/api/directory/users", params={"unit": WARD}, headers=admin)).json()
    account = next(u for u in users if u["username"] == "head.huong-an")
    body = {k: account[k] for k in ("username", "name", "roles", "email", "language")}
    r = await client.put(
        "/api/directory/users/head.huong-an",
        json={**body, "unit": "vn.hue.phu-xuan"},
        headers=admin,
    )
    assert r.status_code == 200, r.text

    async def gone() -> bool:
        q = (await client.get("/api/approvals/queue", headers=drafter)).json()
        return all(i["unit"] != WARD or i["role"] != "head" for i in q["items"])

    await eventually(gone, timeout=10)
    r = await decide(client, drafter, item)
    assert r.status_code == 403, r.text


# -- 5. who comments ----------------------------------------------------------------------------
async def test_only_the_plan_unit_and_the_deciders_of_its_steps_comment(
    client: httpx.AsyncClient,
) -> None:
    plan_id = await _submitted_plan(client, "Kế hoạch phường Hương An (góp ý)")
    head = await token(client, "head.huong-an")
    item = await queue_item(client, head, plan_id)
    url = f"/api/approvals/cases/{item['case_id']}/comments"
    for username in ("drafter.hue", "approver.vn"):
        r = await client.post(url, json={"text": "Góp ý"}, headers=await token(client, username))
        assert r.status_code == 403, (username, r.text)
    for username in ("head.huong-an", "approver.hue"):
        r = await client.post(url, json={"text": "Góp ý"}, headers=await token(client, username))
        assert r.status_code == 201, (username, r.text)
        assert r.json()["author"] == username and r.json()["on_behalf_of"] is None
