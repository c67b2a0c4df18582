"""Load generator: many wards and approvers at once, through submit -> ward head's sign-off ->
city decision -> the drafter's notification, against a running Cascade (embedded or
distributed). Every client is a bot that acts as soon as it sees its work, so the figures are
the system's own latencies plus a polling interval of at most ``POLL`` seconds (a
gentle 250 ms: a storm of polls would measure the polls).

Per plan it records: the submit call, the hop from submit until the ward head's queue shows the
step (plans -> bus -> approvals), each decision call, the hop from the city's decision until the
drafter's inbox holds the news (approvals -> plans -> notifications), and the whole story from
submit to notification.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

POLL = 0.25
HUE = "vn.hue"


@dataclass
class Timings:
    stages: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, stage: str, seconds: float) -> None:
        self.stages.setdefault(stage, []).append(seconds)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median_ms": statistics.median(values) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
    }


async def token(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await client.post("/api/auth/dev-token", json={"username": username})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def until(probe: Any, timeout: float = 120.0) -> Any:
    deadline = time.perf_counter() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.perf_counter() > deadline:
            raise TimeoutError("gave up waiting")
        await asyncio.sleep(POLL)


async def make_wards(client: httpx.AsyncClient, count: int, first: int = 0) -> list[str]:
    """Synthetic wards under Huế, each with a drafter and a head (through the directory API),
    numbered from ``first``."""
    admin = await token(client, "admin")
    wards = []
    for i in range(first, first + count):
        code = f"{HUE}.bench-{i:03d}"
        r = await client.put(
            f"/api/directory/units/{code}",
            json={"code": code, "name": f"Phường thử tải {i:03d}", "level": "ward"},
            headers=admin,
        )
        r.raise_for_status()
        for role in ("drafter", "head"):
            name = f"{role}.bench-{i:03d}"
            r = await client.put(
                f"/api/directory/users/{name}",
                json={"username": name, "name": name, "unit": code, "roles": [role]},
                headers=admin,
            )
            r.raise_for_status()
        wards.append(code)
    return wards


async def hue_program(client: httpx.AsyncClient, who: dict[str, str]) -> tuple[str, list[str]]:
    r = await client.get("/api/plans", params={"unit": HUE, "status": "approved"}, headers=who)
    r.raise_for_status()
    program = r.json()["items"][0]["id"]
    detail = (await client.get(f"/api/plans/{program}", headers=who)).json()
    return program, [g["code"] for g in detail["task_groups"]]


def five_clear_task(ward: str, group: str, n: int) -> dict[str, Any]:
    return {
        "code": f"T-{n:03d}",
        "task_group": group,
        "job": f"Xóa {n % 20 + 5} điểm tập kết rác tự phát và chỉnh trang tuyến đường trên địa bàn",
        "lead_unit": ward,
        "responsible_person": "Phó Chủ tịch UBND phường",
        "start": "2026-03-01",
        "deadline": "2026-12-31",
        "milestones": [{"period": "2026-Q3", "description": "hoàn thành một nửa"}],
        "product_description": "điểm tập kết rác được xóa bỏ",
        "product_quantity": n % 20 + 5,
        "product_unit": "điểm",
    }


async def queue_item(
    client: httpx.AsyncClient, who: dict[str, str], plan_id: str
) -> dict[str, Any]:
    async def probe() -> Any:
        r = await client.get("/api/approvals/queue", headers=who)
        r.raise_for_status()
        return next((i for i in r.json()["items"] if i["plan_id"] == plan_id), None)

    return dict(await until(probe))


async def draft(
    client: httpx.AsyncClient,
    drafter: dict[str, str],
    ward: str,
    program: str,
    groups: list[str],
    n: int,
) -> str:
    """The ward's draft under Huế's program, with one "5 clear" task and the other groups not
    applicable: ready to submit."""
    r = await client.post(
        "/api/plans/from-parent",
        json={
            "parent_plan_id": program,
            "title": f"Kế hoạch thực hiện Nghị quyết - {ward}",
            "placeholder_tasks": False,
        },
        headers=drafter,
    )
    r.raise_for_status()
    plan_id = r.json()["id"]
    r = await client.post(
        f"/api/plans/{plan_id}/tasks", json=five_clear_task(ward, groups[0], n), headers=drafter
    )
    r.raise_for_status()
    for group in groups[1:]:
        r = await client.patch(
            f"/api/plans/{plan_id}/task-groups/{group}",
            json={"not_applicable_reason": "Nội dung do thành phố trực tiếp thực hiện"},
            headers=drafter,
        )
        r.raise_for_status()
    return plan_id


async def one_ward(
    client: httpx.AsyncClient,
    n: int,
    ward: str,
    program: str,
    groups: list[str],
    city: dict[str, str],
    timings: Timings,
) -> str:
    suffix = ward.rsplit(".", 1)[1]
    drafter = await token(client, f"drafter.{suffix}")
    head = await token(client, f"head.{suffix}")
    plan_id = await draft(client, drafter, ward, program, groups, n)

    t_submit = time.perf_counter()
    r = await client.post(
        f"/api/plans/{plan_id}/submit", json={"acknowledge_warnings": True}, headers=drafter
    )
    r.raise_for_status()
    timings.add("submit call", time.perf_counter() - t_submit)

    item = await queue_item(client, head, plan_id)
    timings.add("submit -> ward head's queue (plans -> approvals)", time.perf_counter() - t_submit)
    t = time.perf_counter()
    r = await client.post(
        f"/api/approvals/cases/{item['case_id']}/steps/1/decision",
        json={"decision": "approve", "content_hash": item["content_hash"]},
        headers=head,
    )
    r.raise_for_status()
    timings.add("decision call", time.perf_counter() - t)

    t = time.perf_counter()
    item = await queue_item(client, city, plan_id)
    timings.add("sign-off -> city's queue (approvals)", time.perf_counter() - t)
    t_decide = time.perf_counter()
    r = await client.post(
        f"/api/approvals/cases/{item['case_id']}/steps/2/decision",
        json={"decision": "approve", "content_hash": item["content_hash"]},
        headers=city,
    )
    r.raise_for_status()
    timings.add("decision call", time.perf_counter() - t_decide)

    async def told() -> bool:
        r = await client.get("/api/notifications/inbox", headers=drafter)
        r.raise_for_status()
        return any(
            n["plan_id"] == plan_id and n["event_type"] == "plan.approved"
            for n in r.json()["items"]
        )

    await until(told)
    now = time.perf_counter()
    timings.add(
        "city decision -> drafter's inbox (approvals -> plans -> notifications)",
        now - t_decide,
    )
    timings.add("whole story: submit -> drafter told", now - t_submit)
    return plan_id


HOPS = [
    ("plan.submitted", "approval.case_opened", "hop: plans -> approvals (relay, bus, consumer)"),
    (
        "approval.step_decided",
        "approval.step_assigned",
        "hop: a decision -> the next step assigned (same transaction)",
    ),
    ("approval.case_completed", "plan.approved", "hop: approvals -> plans (relay, bus, consumer)"),
]


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def server_hops(
    client: httpx.AsyncClient, plan_ids: list[str], timings: Timings, *, whole: bool = False
) -> None:
    """Hop latencies from the events' own times in the audit trail (no polling in them), and
    each event's way into the audit store; with ``whole``, the whole story from
    ``plan.submitted`` to ``plan.approved`` too."""
    auditor = await token(client, "auditor.hue")
    for plan_id in plan_ids:
        r = await client.get(f"/api/audit/plans/{plan_id}/events", headers=auditor)
        if r.status_code != 200:
            continue
        rows = r.json()
        for first, then, label in HOPS:
            a = next((x for x in rows if x["event_type"] == first), None)
            b = next(
                (
                    x
                    for x in rows
                    if x["event_type"] == then
                    and a
                    and _when(x["occurred_at"]) >= _when(a["occurred_at"])
                ),
                None,
            )
            if a and b:
                timings.add(
                    label, (_when(b["occurred_at"]) - _when(a["occurred_at"])).total_seconds()
                )
        if whole:
            submitted = next((x for x in rows if x["event_type"] == "plan.submitted"), None)
            approved = next((x for x in rows if x["event_type"] == "plan.approved"), None)
            if submitted and approved:
                timings.add(
                    "whole story: plan.submitted -> plan.approved",
                    (
                        _when(approved["occurred_at"]) - _when(submitted["occurred_at"])
                    ).total_seconds(),
                )
        for row in rows:
            timings.add(
                "an event -> the audit store (relay, bus, audit's chain)",
                (_when(row["recorded_at"]) - _when(row["occurred_at"])).total_seconds(),
            )


async def run(client: httpx.AsyncClient, wards: int, concurrency: int) -> dict[str, Any]:
    codes = await make_wards(client, wards)
    city = await token(client, "approver.hue")
    program, groups = await hue_program(client, city)
    timings = Timings()
    gate = asyncio.Semaphore(concurrency)

    plan_ids: list[str] = []

    async def guarded(n: int, ward: str) -> None:
        async with gate:
            try:
                plan_ids.append(await one_ward(client, n, ward, program, groups, city, timings))
            except Exception as exc:  # counted and reported, never hidden
                timings.failures.append(f"{ward}: {exc!r}")

    t0 = time.perf_counter()
    await asyncio.gather(*(guarded(n, w) for n, w in enumerate(codes)))
    elapsed = time.perf_counter() - t0
    await asyncio.sleep(1)
    await server_hops(client, plan_ids, timings)
    done = wards - len(timings.failures)
    return {
        "wards": wards,
        "concurrency": concurrency,
        "elapsed_s": elapsed,
        "plans_per_s": done / elapsed,
        "stories_completed": done,
        "failures": timings.failures,
        "stages": {k: summary(v) for k, v in timings.stages.items()},
    }
