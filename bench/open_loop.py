"""The approval story under an open loop: new stories start on a fixed schedule whatever the
system does, so queueing shows up as latency and backlog instead of being absorbed by slower
clients.

Each story is one synthetic ward's plan: submit → the ward head's sign-off → the city's
decision → the drafter told. The bots learn of their work by push, not by polling: one webhook
subscription of Huế (``approval.step_assigned``, ``plan.approved``) calls a receiver in this
process, which hands each call to the bot waiting for it. So the client-side figures are the
system's own latencies, webhook delivery included; the server-side figures come from the events'
own times in the audit trail.

At each offered rate (stories per second, for ``duration`` seconds) it reports:

- completed stories per second, and whether the rate was **sustained**: every story of the
  window finished within the grace period after it, and the backlog (messages in the service
  queues, events in the outboxes, sampled every second from RabbitMQ's management API and each
  service's ``/metrics``) was not growing at the end of the window;
- the median and p99 of the whole story (client side, and server side from ``plan.submitted`` to
  ``plan.approved``) and of each hop through the bus;
- the CPU seconds per story of each process: every service, PostgreSQL (all its processes),
  RabbitMQ, and this load generator itself;
- how late the generator started stories against their schedule (a loaded generator would
  understate the offered rate: it is reported so it can be checked).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bench import load

SECRET = "open-loop-bench-secret"
TICK = os.sysconf("SC_CLK_TCK")
GRACE_S = 60.0
"""How long after its window a rate's stories may take to finish and still count as sustained."""


# -- CPU time of processes -------------------------------------------------------------------
def _ticks(pid: int) -> int:
    """User + system CPU ticks of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _pids_named(*names: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm in names:
                pids.append(int(entry.name))
    return pids


@dataclass
class CpuMeter:
    """CPU seconds used by each named group of processes since :meth:`start`.

    PostgreSQL and RabbitMQ are groups of processes that come and go (a backend per
    connection): each process counts from when it was first seen, or from its start when it
    appeared during the window. A process that ended within the window is not counted (its
    time is no longer in ``/proc``), so those two figures are lower bounds."""

    services: dict[str, int]
    """Service name → pid (one process per service; the embedded system is one)."""
    _start: dict[str, dict[int, int]] = field(default_factory=dict)
    _own: float = 0.0

    def _groups(self) -> dict[str, dict[int, int]]:
        groups = {name: {pid: _ticks(pid)} for name, pid in self.services.items()}
        groups["postgresql"] = {p: _ticks(p) for p in _pids_named("postgres")}
        groups["rabbitmq"] = {p: _ticks(p) for p in _pids_named("beam.smp")}
        return groups

    def start(self) -> None:
        self._start = self._groups()
        t = os.times()
        self._own = t.user + t.system

    def since_start(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, now in self._groups().items():
            before = self._start.get(name, {})
            ticks = sum(max(t - before.get(pid, 0), 0) for pid, t in now.items())
            out[name] = ticks / TICK
        t = os.times()
        out["load generator"] = t.user + t.system - self._own
        return out


# -- push: the webhook receiver --------------------------------------------------------------
class Push:
    """Receives Huế's webhook calls and wakes the bot waiting for each: ``(event type, plan id,
    step number)``. A repeat of a call (the same event) is answered and ignored."""

    def __init__(self) -> None:
        self._waiting: dict[
            tuple[str, str, int | None], asyncio.Future[tuple[float, dict[str, Any]]]
        ] = {}
        self._seen: set[str] = set()
        self.calls = 0

    def _future(
        self, key: tuple[str, str, int | None]
    ) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        if key not in self._waiting:
            self._waiting[key] = asyncio.get_running_loop().create_future()
        return self._waiting[key]

    async def wait(
        self, event_type: str, plan_id: str, step_no: int | None = None, timeout: float = 300.0
    ) -> tuple[float, dict[str, Any]]:
        """When (``time.perf_counter()``) the event reached this process, and its payload."""
        key = (event_type, plan_id, step_no)
        try:
            return await asyncio.wait_for(self._future(key), timeout)
        finally:
            self._waiting.pop(key, None)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        arrived = time.perf_counter()
        self.calls += 1
        envelope = json.loads(body)
        if envelope["id"] not in self._seen:
            self._seen.add(envelope["id"])
            payload = envelope["payload"]
            step = payload.get("step_no") if envelope["type"] == "approval.step_assigned" else None
            future = self._future((envelope["type"], str(payload.get("plan_id")), step))
            if not future.done():
                future.set_result((arrived, payload))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def serve_push(push: Push) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    """The receiver on a socket that listens at once (calls wait in its backlog until uvicorn
    accepts them)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    config = uvicorn.Config(push, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    return server, task, f"http://127.0.0.1:{port}/hook"


# -- the backlog -----------------------------------------------------------------------------
_PENDING = re.compile(r'^cascade_outbox_pending\{service="([^"]+)"\}\s+([0-9.e+]+)$', re.M)


async def outbox_pending(client: httpx.AsyncClient, metrics_urls: list[str]) -> int:
    total = 0
    for url in metrics_urls:
        try:
            text = (await client.get(url, timeout=5)).text
        except httpx.HTTPError:
            continue
        total += int(sum(float(v) for _, v in _PENDING.findall(text)))
    return total


def queue_depth_probe(namespace: str | None) -> Callable[[httpx.AsyncClient], Awaitable[int]]:
    """Messages waiting in the namespace's service queues (RabbitMQ's management API)."""

    async def depth(client: httpx.AsyncClient) -> int:
        if namespace is None:
            return 0
        try:
            r = await client.get(
                "http://127.0.0.1:15672/api/queues/%2F",
                params={"columns": "name,messages"},
                auth=("guest", "guest"),
                timeout=5,
            )
            queues = r.json()
        except (httpx.HTTPError, ValueError):
            return 0
        return sum(
            int(q.get("messages") or 0)
            for q in queues
            if q["name"].startswith(f"{namespace}.") and not q["name"].endswith(".dead")
        )

    return depth


# -- the stories -----------------------------------------------------------------------------
@dataclass
class Prepared:
    ward: str
    plan_id: str
    drafter: dict[str, str]
    head: dict[str, str]


async def prepare(client: httpx.AsyncClient, count: int, first: int) -> list[Prepared]:
    """``count`` synthetic wards with a draft each, ready to submit (made before any window)."""
    codes = await load.make_wards(client, count, first=first)
    city = await load.token(client, "approver.hue")
    program, groups = await load.hue_program(client, city)
    gate = asyncio.Semaphore(8)

    async def one(n: int, ward: str) -> Prepared:
        async with gate:
            suffix = ward.rsplit(".", 1)[1]
            drafter = await load.token(client, f"drafter.{suffix}")
            head = await load.token(client, f"head.{suffix}")
            plan_id = await load.draft(client, drafter, ward, program, groups, n)
            return Prepared(ward, plan_id, drafter, head)

    return list(await asyncio.gather(*(one(first + i, w) for i, w in enumerate(codes))))


@dataclass
class Window:
    rate: float
    duration: float
    lags: list[float] = field(default_factory=list)
    whole: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    plan_ids: list[str] = field(default_factory=list)
    backlog: list[tuple[float, int, int]] = field(default_factory=list)
    """(seconds into the window, queued messages, outbox events) every second."""
    cpu: dict[str, float] = field(default_factory=dict)
    drained_s: float = 0.0
    server: dict[str, list[float]] = field(default_factory=dict)
    """Server-side latencies (seconds) from the audit trail, by stage."""


async def story(
    client: httpx.AsyncClient, p: Prepared, city: dict[str, str], push: Push, w: Window
) -> None:
    t0 = time.perf_counter()
    r = await client.post(
        f"/api/plans/{p.plan_id}/submit", json={"acknowledge_warnings": True}, headers=p.drafter
    )
    r.raise_for_status()
    version = r.json()["version"]
    for step_no, who in ((1, p.head), (2, city)):
        _, assigned = await push.wait("approval.step_assigned", p.plan_id, step_no)
        r = await client.post(
            f"/api/approvals/cases/{assigned['case_id']}/steps/{step_no}/decision",
            json={"decision": "approve", "plan_version": version},
            headers=who,
        )
        r.raise_for_status()
    told, _ = await push.wait("plan.approved", p.plan_id)
    w.whole.append(told - t0)
    w.plan_ids.append(p.plan_id)


async def run_window(
    client: httpx.AsyncClient,
    stories: list[Prepared],
    w: Window,
    push: Push,
    meter: CpuMeter,
    backlog: Callable[[], Awaitable[tuple[int, int]]],
) -> None:
    """Start ``len(stories)`` stories at ``w.rate`` per second, on schedule; wait for them (at
    most the grace period after the window); sample the backlog throughout."""
    city = await load.token(client, "approver.hue")
    meter.start()
    begin = time.perf_counter()
    running: list[asyncio.Task[None]] = []
    stop_sampling = asyncio.Event()

    async def sample() -> None:
        while not stop_sampling.is_set():
            queued, outbox = await backlog()
            w.backlog.append((time.perf_counter() - begin, queued, outbox))
            try:
                await asyncio.wait_for(stop_sampling.wait(), 1.0)
            except TimeoutError:
                pass

    sampler = asyncio.create_task(sample())

    async def guarded(p: Prepared) -> None:
        try:
            await story(client, p, city, push, w)
        except Exception as exc:  # counted and reported, never hidden
            w.failures.append(f"{p.ward}: {exc!r}")

    for i, p in enumerate(stories):
        due = begin + i / w.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        w.lags.append(max(time.perf_counter() - due, 0.0))
        running.append(asyncio.create_task(guarded(p)))
    _, pending = await asyncio.wait(running, timeout=w.duration + GRACE_S)
    for task in pending:
        task.cancel()
        w.failures.append("not finished within the grace period")
    w.drained_s = time.perf_counter() - begin
    w.cpu = meter.since_start()
    stop_sampling.set()
    await sampler


EVENTS_PER_STORY = 9
"""created, submitted, case opened, 2 x assigned, 2 x decided, completed, approved."""


LATENCY_GROWTH = 4.0
"""A window whose whole-story p99 is more than this many times the lowest rate's (and more
than a second above it) was queueing somewhere, even where no queue or outbox shows it
(requests waiting for a process or a connection)."""


def sustained(w: Window, baseline_p99: float | None = None) -> bool:
    """Every story finished, the backlog in the last third of the window was no larger than in
    its first third or than one second's worth of the offered events (it did not keep
    growing), and the whole story's p99 stayed within :data:`LATENCY_GROWTH` times
    ``baseline_p99`` (the lowest rate's)."""
    if w.failures or len(w.whole) < round(w.rate * w.duration):
        return False
    if baseline_p99 is not None and w.whole:
        p99 = load.percentile(w.whole, 99)
        if p99 > max(LATENCY_GROWTH * baseline_p99, baseline_p99 + 1.0):
            return False
    inside = [b for b in w.backlog if b[0] <= w.duration]
    if len(inside) < 3:
        return True
    third = max(len(inside) // 3, 1)
    early = max(q + o for _, q, o in inside[:third])
    late = max(q + o for _, q, o in inside[-third:])
    return late <= max(early, w.rate * EVENTS_PER_STORY)


def baseline(windows: list[Window]) -> float | None:
    """The whole-story p99 at the lowest offered rate: what an unloaded story costs."""
    first = min(windows, key=lambda w: w.rate, default=None)
    return load.percentile(first.whole, 99) if first is not None and first.whole else None


def _ms(values: list[float], p: float) -> float:
    return load.percentile(values, p) * 1000 if values else float("nan")


async def run(
    client: httpx.AsyncClient,
    rates: list[float],
    duration: float,
    services: dict[str, int],
    metrics_urls: list[str],
    namespace: str | None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The open-loop run against a started system; ``services`` are the pids to meter."""
    push = Push()
    server, server_task, hook_url = await serve_push(push)
    admin = await load.token(client, "admin")
    r = await client.post(
        "/api/notifications/webhooks",
        json={
            "url": hook_url,
            "unit": load.HUE,
            "secret": SECRET,
            "event_types": ["approval.step_assigned", "plan.approved"],
        },
        headers=admin,
    )
    r.raise_for_status()
    counts = [round(rate * duration) for rate in rates]
    log(f"  preparing {sum(counts)} drafts ...")
    prepared = await prepare(client, sum(counts), first=0)
    depth = queue_depth_probe(namespace)
    meter = CpuMeter(services)

    async def backlog() -> tuple[int, int]:
        async with httpx.AsyncClient() as probe:
            return await depth(probe), await outbox_pending(probe, metrics_urls)

    windows: list[Window] = []
    offset = 0
    try:
        for rate, count in zip(rates, counts, strict=True):
            w = Window(rate, duration)
            log(f"  {rate:g} stories/s for {duration:g} s ...")
            await run_window(client, prepared[offset : offset + count], w, push, meter, backlog)
            offset += count
            timings = load.Timings()
            await load.server_hops(client, w.plan_ids, timings, whole=True)
            windows.append(w)
            w.server = dict(timings.stages)
            ok = sustained(w, baseline(windows))
            log(
                f"    {len(w.whole)}/{count} done, sustained: {ok}, whole story p50 "
                f"{_ms(w.whole, 50):.0f} ms p99 {_ms(w.whole, 99):.0f} ms, max backlog "
                f"{max((q + o for _, q, o in w.backlog), default=0)}"
            )
            if not ok and len(w.whole) < 0.5 * count:
                log("    far past saturation: the higher rates are not run")
                break
    finally:
        server.should_exit = True
        await server_task
    return {"windows": windows, "webhook_calls": push.calls}


def render(result: dict[str, Any], ceilings: dict[str, float], mode: str) -> list[str]:
    """The open-loop tables of one mode, as Markdown lines."""
    windows: list[Window] = result["windows"]
    if not windows:
        return [f"No open-loop window ran in {mode} mode.", ""]
    base = baseline(windows)
    best = max((w.rate for w in windows if sustained(w, base)), default=None)
    lines = [
        f"Highest sustained rate in {mode} mode: **"
        + (f"{best:g} stories/s" if best is not None else "none of those offered")
        + "**.",
        "",
        "| offered /s | completed /s | sustained | whole story p50 / p99 ms (client) | "
        "whole story p50 / p99 ms (server) | hop plans→approvals p50 / p99 ms | "
        "hop approvals→plans p50 / p99 ms | max backlog (queued + outbox) | start lag p99 ms |",
        "| ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for w in windows:
        server = w.server
        whole_server = server.get("whole story: plan.submitted -> plan.approved", [])
        hop1 = server.get(load.HOPS[0][2], [])
        hop2 = server.get(load.HOPS[2][2], [])
        completed = len(w.whole) / w.drained_s if w.drained_s else 0.0
        lines.append(
            f"| {w.rate:g} | {completed:.1f} | {'yes' if sustained(w, base) else 'no'} | "
            f"{_ms(w.whole, 50):.0f} / {_ms(w.whole, 99):.0f} | "
            f"{_ms(whole_server, 50):.0f} / {_ms(whole_server, 99):.0f} | "
            f"{_ms(hop1, 50):.0f} / {_ms(hop1, 99):.0f} | "
            f"{_ms(hop2, 50):.0f} / {_ms(hop2, 99):.0f} | "
            f"{max((q + o for _, q, o in w.backlog), default=0)} | {_ms(w.lags, 99):.0f} |"
        )
    names = list(windows[0].cpu)
    lines += [
        "",
        "CPU milliseconds per completed story, by process (all of a window's CPU, from its "
        "first story's start to its last one's end, over its completed stories):",
        "",
        "| offered /s | " + " | ".join(names) + " | total |",
        "| ---: | " + " | ".join("---:" for _ in names) + " | ---: |",
    ]
    for w in windows:
        n = max(len(w.whole), 1)
        per = [w.cpu.get(k, 0.0) * 1000 / n for k in names]
        lines.append(
            f"| {w.rate:g} | " + " | ".join(f"{x:.1f}" for x in per) + f" | {sum(per):.1f} |"
        )
    pg = ceilings.get("postgres_commit_8_connections_per_s")
    mq = ceilings.get("rabbitmq_publish_confirm_in_flight_per_s")
    if best is not None and pg and mq:
        events = best * EVENTS_PER_STORY
        lines += [
            "",
            f"At {best:g} stories/s the system carries about {events:g} domain events/s: "
            f"{events / mq:.1%} of RabbitMQ's confirmed-publish ceiling and "
            f"{events / pg:.1%} of PostgreSQL's commit ceiling measured in the same run.",
        ]
    lines += [
        "",
        "PostgreSQL's and RabbitMQ's figures are lower bounds: a process of theirs that ended "
        "within the window (a connection a pool opened and closed at a peak) is no longer in "
        "`/proc` to be counted.",
        "",
    ]
    return lines


def parse_rates(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]
