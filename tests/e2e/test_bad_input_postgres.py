"""Bad input against the distributed mode: each service its own process on its own PostgreSQL
database, all on RabbitMQ. PostgreSQL refuses what SQLite keeps - integers beyond INTEGER or
BIGINT, a NUL character in text, text longer than its column, a time outside the years 1 to
9999 once in UTC - so every input is bounded at the edge (``cascade_shared.params``).

Schemathesis generates requests for every operation of each service's own OpenAPI document
(valid and not), with a fixed seed, and none may cause a server error; every 4xx is
problem+json and the servers log no traceback. Then one test for each case the fuzzing found,
each a 422 problem naming the parameter."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
import schemathesis
from cascade_shared.chassis.registry import subscriptions

from tests import infra
from tests.cluster import SERVICES, Cluster
from tests.e2e.test_bad_input import fuzz

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

PROBLEM = "application/problem+json"
SECRET = "distributed-test-secret-of-at-least-32-bytes"  # what tests.cluster gives each service
EXAMPLES = int(os.environ.get("CASCADE_PG_FUZZ_EXAMPLES", "50"))
"""Requests generated per operation, valid ones and as many that break its schema (half as many
again for the operations on something that exists): 50 take the whole module about four minutes
on two cores."""
PAST_BIGINT = "9223372036854775808"  # 2**63, as a caller writes it
PAST_INTEGER = "2147483648"  # 2**31


class Distributed:
    """The running services, each on its own port (as the gateway routes them), and per service
    the ids of things that exist, to pin path parameters to."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.pins: dict[str, dict[str, Any]] = {}

    def base(self, service: str) -> str:
        return f"http://127.0.0.1:{self.cluster.ports[service]}"

    def url(self, path: str) -> str:
        prefix = path.split("/")[2]
        return self.base({"auth": "plans", "directory": "plans"}.get(prefix, prefix)) + path

    def auth(self, username: str = "admin") -> dict[str, str]:
        """A central token holding every role, so requests reach as deep into each service as
        any caller's could (the services share the test cluster's signing secret)."""
        now = int(time.time())
        claims = {
            "sub": username,
            "name": username,
            "unit": "vn",
            "roles": ["drafter", "head", "approver", "auditor", "admin"],
            "aud": "cascade",
            "iss": "cascade-dev",
            "iat": now,
            "exp": now + 3600,
        }
        return {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}

    def make_things_to_pin(self) -> None:
        """A draft plan with a task group and a task, a webhook subscription (to a closed local
        port; its sender is off anyway) and an announcement."""

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            r = httpx.post(self.url(path), json=body, headers=self.auth(), timeout=30)
            assert r.status_code < 300, r.text
            return dict(r.json())

        plan = post(
            "/api/plans",
            {
                "title": "Kế hoạch để thử",
                "term_start": 2026,
                "term_end": 2030,
                "task_groups": [{"code": "G1", "title": "Nhóm một"}],
                "tasks": [{"code": "T1", "task_group": "G1", "job": "Chỉnh trang"}],
            },
        )
        subscription = post("/api/notifications/webhooks", {"url": "http://127.0.0.1:9/hook"})
        announcement = post("/api/notifications/announcements", {"title": "Họp", "body": "8 giờ"})
        policy = httpx.get(self.url("/api/approvals/policy"), headers=self.auth(), timeout=30)
        ids = {"plan_id": plan["id"], "task_id": plan["tasks"][0]["id"]}
        self.pins = {
            "plans": {**ids, "code": "G1"},
            "approvals": {**ids, "version": policy.json()["version"]},
            "notifications": {
                "subscription_id": subscription["id"],
                "announcement_id": announcement["id"],
                "kind": "*",
            },
            "results": {**ids, "unit": "vn.hue", "period": time.strftime("%Y-%m")},
            "audit": {**ids, "seq": 1},
        }


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Distributed]:
    """The five services in distributed mode, on databases and a namespace of their own."""
    infra.require_server("PostgreSQL", infra.PG_HOST, infra.PG_PORT)
    infra.require_server("RabbitMQ", infra.AMQP_HOST, infra.AMQP_PORT)
    logs = tmp_path_factory.mktemp("bad-input-postgres")
    namespace = f"t{infra.RUN_ID}{uuid.uuid4().hex[:6]}"
    names = {s: f"cascade_t_{infra.RUN_ID}_fuzz_{s}_{uuid.uuid4().hex[:6]}" for s in SERVICES}

    async def start(cluster: Cluster) -> None:
        await cluster.migrate()
        for service in SERVICES:
            # The webhook and e-mail senders stay off: the fuzzing subscribes generated URLs,
            # and nothing may call out to them.
            quiet = {"CASCADE_WORKERS": "false"} if service == "notifications" else {}
            cluster.start(service, CASCADE_LOG_LEVEL="WARNING", **quiet)
        for service in SERVICES:
            await cluster.wait_healthy(service)

    try:
        databases = {s: asyncio.run(infra.create_database(n)) for s, n in names.items()}
        cluster = Cluster(namespace, databases, logs)
        try:
            asyncio.run(start(cluster))
            system = Distributed(cluster)
            system.make_things_to_pin()
            yield system
        finally:
            cluster.stop_all()
        tracebacks = {
            s: n
            for s in SERVICES
            if (n := (logs / f"{s}.log").read_text(errors="replace").count("Traceback"))
        }
        assert not tracebacks, f"the servers logged tracebacks (logs in {logs}): {tracebacks}"
    finally:
        for name in names.values():
            asyncio.run(infra.drop_database(name))
        asyncio.run(infra.delete_namespace(namespace, [*subscriptions(), "contract"]))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("service", SERVICES)
def test_no_generated_request_causes_a_server_error(system: Distributed, service: str) -> None:
    """Every operation of the service's OpenAPI document, as a central user holding every role:
    4xx problem details, never a 5xx. Then again the operations on something that exists (a
    plan, its task, a subscription...), with its id and everything else generated."""
    base = system.base(service)
    schema = schemathesis.openapi.from_url(f"{base}/api/{service}/openapi.json")
    operations, failures = fuzz(schema, base, system.auth(), EXAMPLES)
    assert operations > 10
    pinned, more = fuzz(schema, base, system.auth(), EXAMPLES // 2, system.pins[service])
    assert pinned > 0
    failures += more
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(failures[:30])


# -- each case the fuzzing found, refused naming its parameter ----------------------------------


def refused(response: httpx.Response, field: str) -> dict[str, Any]:
    """A 422 problem whose errors name ``field``."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == 422 and body["title"]
    assert field in [e["field"] for e in body["errors"]], body
    return body


def get(system: Distributed, path: str, **params: str) -> httpx.Response:
    return httpx.get(system.url(path), params=params, headers=system.auth(), timeout=30)


@pytest.mark.parametrize("service", SERVICES)
def test_an_after_seq_beyond_bigint_is_refused(system: Distributed, service: str) -> None:
    path = f"/api/{service}/outbox/published"
    refused(get(system, path, after_seq=PAST_BIGINT), "query.after_seq")
    assert get(system, path, after_seq=str(2**63 - 1)).status_code == 200


def test_a_checkpoint_number_beyond_its_column_is_refused(system: Distributed) -> None:
    refused(get(system, "/api/audit/checkpoints", after=PAST_BIGINT), "query.after")
    refused(get(system, "/api/audit/checkpoints", after=PAST_INTEGER), "query.after")
    assert get(system, "/api/audit/checkpoints", after=str(2**31 - 1)).status_code == 200


def test_record_ids_beyond_bigint_are_refused(system: Distributed) -> None:
    refused(get(system, f"/api/audit/records/{PAST_BIGINT}/proof"), "path.seq")
    refused(get(system, f"/api/audit/records/-{PAST_BIGINT}1/proof"), "path.seq")
    assert get(system, f"/api/audit/records/{2**63 - 1}/proof").status_code == 404
    refused(get(system, "/api/audit/verify", from_seq=PAST_BIGINT), "query.from_seq")
    refused(get(system, "/api/audit/verify", to_seq=PAST_BIGINT), "query.to_seq")


def test_a_term_beyond_its_column_is_refused(system: Distributed) -> None:
    refused(get(system, "/api/plans", term_start=PAST_BIGINT), "query.term_start")
    refused(get(system, "/api/plans", term_start=PAST_INTEGER), "query.term_start")
    assert get(system, "/api/plans", term_start="2026").status_code == 200


def test_other_numbers_beyond_their_columns_are_refused(system: Distributed) -> None:
    plan = "00000000-0000-0000-0000-000000000000"
    refused(get(system, f"/api/plans/{plan}/versions/{PAST_INTEGER}"), "path.version")
    refused(get(system, f"/api/plans/{plan}/diff", from_version=PAST_BIGINT), "query.from_version")
    refused(get(system, "/api/plans", offset=PAST_BIGINT), "query.offset")
    r = httpx.post(
        system.url(f"/api/approvals/cases/{plan}/steps/{PAST_INTEGER}/decision"),
        json={"decision": "approve"},
        headers=system.auth(),
        timeout=30,
    )
    refused(r, "path.step_no")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/audit/records", "plan_id"),
        ("/api/audit/records", "actor"),
        ("/api/audit/records", "unit"),
        ("/api/audit/records/export.csv", "actor"),
        ("/api/approvals/cases", "plan_id"),
        ("/api/approvals/queue", "unit"),
        ("/api/plans", "parent_plan_id"),
        ("/api/directory/units", "q"),
    ],
)
def test_a_nul_character_in_a_text_filter_is_refused(
    system: Distributed, path: str, name: str
) -> None:
    refused(get(system, path, **{name: "vn\x00x"}), f"query.{name}")


def test_a_nul_character_in_a_path_is_refused(system: Distributed) -> None:
    body = refused(get(system, "/api/plans/a%00b"), "path")
    assert "NUL" in body["detail"]


def test_a_time_whose_offset_overflows_the_date_is_refused(system: Distributed) -> None:
    for path in ("/api/audit/records", "/api/audit/verify", "/api/plans/outbox/published"):
        refused(get(system, path, since="0001-01-01T00:00:00+14:00"), "query.since")
        refused(get(system, path, until="9999-12-31T23:00:00-05:00"), "query.until")
    refused(
        get(system, "/api/audit/records/export.csv", since="0001-01-01T00:00:00+14:00"),
        "query.since",
    )
    assert get(system, "/api/audit/records", since="0001-01-01T00:00:00-01:00").status_code == 200
    r = httpx.post(
        system.url("/api/approvals/delegations"),
        json={"delegate": "head.huong-an", "ends_at": "0001-01-01T00:00:00+14:00"},
        headers=system.auth(),
        timeout=30,
    )
    refused(r, "body.ends_at")


def test_a_webhook_url_longer_than_its_column_is_refused(system: Distributed) -> None:
    url = "https://receiver.example.gov.vn/" + "a" * 1000
    r = httpx.post(
        system.url("/api/notifications/webhooks"),
        json={"url": url},
        headers=system.auth(),
        timeout=30,
    )
    refused(r, "body.url")
    r = httpx.post(
        system.url("/api/notifications/webhooks"),
        json={"url": url[:900]},
        headers=system.auth(),
        timeout=30,
    )
    assert r.status_code == 201, r.text


def test_a_nul_character_in_a_body_is_refused_naming_the_field(system: Distributed) -> None:
    auth = system.auth()
    r = httpx.post(
        system.url("/api/notifications/announcements"),
        json={"title": "Thông báo\x00", "body": "Họp giao ban"},
        headers=auth,
        timeout=30,
    )
    refused(r, "body.title")
    r = httpx.post(system.url("/api/auth/dev-token"), json={"username": "admin\x00"}, timeout=30)
    refused(r, "body.username")
    r = httpx.post(
        system.url("/api/plans"),
        json={
            "title": "Kế hoạch",
            "term_start": 2026,
            "term_end": 2030,
            "tasks": [{"code": "T-01", "cooperating_units": ["vn.hue", "vn\x00"]}],
        },
        headers=auth,
        timeout=30,
    )
    refused(r, "body.tasks.0.cooperating_units")
    r = httpx.put(
        system.url("/api/approvals/policy"),
        json={"version": "v\x00", "chains": {}},
        headers=auth,
        timeout=30,
    )
    refused(r, "version")


def test_text_longer_than_its_column_is_refused(system: Distributed) -> None:
    r = httpx.post(
        system.url("/api/plans"),
        json={
            "title": "Kế hoạch",
            "term_start": 2026,
            "term_end": 2030,
            "tasks": [{"code": "T-01", "job": "x" * 2001}],
        },
        headers=system.auth(),
        timeout=30,
    )
    refused(r, "body.tasks.0.job")
    refused(get(system, "/api/plans/" + "p" * 37), "path.plan_id")


def test_codes_repeated_within_a_new_plan_are_refused(system: Distributed) -> None:
    indicator = {"code": "CT-01", "name": "Tỷ lệ", "unit": "%", "target": 90, "year": 2030}
    r = httpx.post(
        system.url("/api/plans"),
        json={
            "title": "Kế hoạch",
            "term_start": 2026,
            "term_end": 2030,
            "indicators": [indicator, indicator],
        },
        headers=system.auth(),
        timeout=30,
    )
    refused(r, "indicators.1.code")


def draft_plan(system: Distributed) -> dict[str, Any]:
    r = httpx.post(
        system.url("/api/plans"),
        json={
            "title": "Kế hoạch để thử",
            "term_start": 2026,
            "term_end": 2030,
            "task_groups": [{"code": "G1", "title": "Nhóm một"}],
            "tasks": [{"code": "T1", "task_group": "G1", "job": "Chỉnh trang"}],
        },
        headers=system.auth(),
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_change_may_not_null_what_always_has_a_value(system: Distributed) -> None:
    plan = draft_plan(system)
    task = f"/api/plans/{plan['id']}/tasks/{plan['tasks'][0]['id']}"
    for field in ("job", "kind", "cooperating_units"):
        r = httpx.patch(system.url(task), json={field: None}, headers=system.auth(), timeout=30)
        refused(r, f"body.{field}")
    r = httpx.patch(system.url(task), json={"lead_unit": None}, headers=system.auth(), timeout=30)
    assert r.status_code == 200, r.text  # a field that may be empty still may
    group = f"/api/plans/{plan['id']}/task-groups/G1"
    refused(
        httpx.patch(system.url(group), json={"title": None}, headers=system.auth()), "body.title"
    )


def test_an_import_refuses_cells_the_database_cannot_hold(system: Distributed) -> None:
    plan = draft_plan(system)
    rows = "Mã nhiệm vụ,Nội dung nhiệm vụ\nT2," + "x" * 2001 + "\nT3,a\x00b\n"
    r = httpx.post(
        system.url(f"/api/plans/{plan['id']}/import"),
        files={"file": ("nhiem-vu.csv", rows.encode(), "text/csv")},
        headers=system.auth(),
        timeout=30,
    )
    body = refused(r, "Nhiệm vụ!2:Nội dung nhiệm vụ")
    assert "Nhiệm vụ!3:Nội dung nhiệm vụ" in [e["field"] for e in body["errors"]]


def test_an_export_leaves_out_what_a_spreadsheet_cannot_hold(system: Distributed) -> None:
    plan = draft_plan(system)
    task = f"/api/plans/{plan['id']}/tasks/{plan['tasks'][0]['id']}"
    r = httpx.patch(
        system.url(task), json={"job": "Chỉnh\x1a trang\x03"}, headers=system.auth(), timeout=30
    )
    assert r.status_code == 200, r.text
    r = httpx.get(system.url(f"/api/plans/{plan['id']}/export"), headers=system.auth(), timeout=30)
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"PK")  # an XLSX workbook
