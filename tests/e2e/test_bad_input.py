"""Bad input against a real ``cascade-embedded`` process: schemathesis generates requests for
every operation of the OpenAPI document and none may cause a server error; oversized bodies,
malformed JSON, wrong content types, unknown ids, expired and forged tokens each get the right
4xx as problem+json."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.processes import embedded

PROBLEM = "application/problem+json"


class Embedded:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base = base
        self.tokens = tokens

    def auth(self, username: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    tmp = tmp_path_factory.mktemp("bad-input")
    with embedded(
        tmp, CASCADE_LOG_LEVEL="WARNING", CASCADE_MAX_BODY_BYTES=str(1024 * 1024)
    ) as running:
        tokens = {}
        for name in ("admin", "drafter.huong-an"):
            r = httpx.post(
                f"{running.base}/api/auth/dev-token", json={"username": name}, timeout=10
            )
            r.raise_for_status()
            tokens[name] = r.json()["access_token"]
        yield Embedded(running.base, tokens)
        tracebacks = running.log_text().count("Traceback")
    assert not tracebacks, f"the server logged {tracebacks} traceback(s)"


def test_no_generated_request_causes_a_server_error(system: Embedded) -> None:
    """Every operation of the OpenAPI document, with requests generated from its schema (valid
    and not), as the central administrator: 4xx problem details, never a 5xx."""
    schema = schemathesis.openapi.from_url(f"{system.base}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=int(os.environ.get("CASCADE_FUZZ_EXAMPLES", "5")),
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            headers = {**(case.headers or {}), **system.auth()}
            response = case.call(base_url=system.base, headers=headers, timeout=30)
            content_type = response.headers.get("content-type") or [""]
            if isinstance(content_type, list):
                content_type = content_type[0]
            if response.status_code >= 500 or (
                response.status_code >= 400 and not content_type.startswith(PROBLEM)
            ):
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        check()
    assert operations > 40
    assert not failures, "\n".join(failures[:20])


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["title"]
    return body


def test_oversized_bodies_are_refused(system: Embedded) -> None:
    big = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = httpx.post(
        f"{system.base}/api/plans",
        content=big,
        headers={**system.auth("drafter.huong-an"), "Content-Type": "application/json"},
        timeout=30,
    )
    assert _problem(r, 413)["errors"][0]["field"] == "body"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
        yield b'{"title": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    r = httpx.post(
        f"{system.base}/api/plans",
        content=chunks(),
        headers={**system.auth("drafter.huong-an"), "Content-Type": "application/json"},
        timeout=30,
    )
    _problem(r, 413)


def test_malformed_json_names_the_body(system: Embedded) -> None:
    r = httpx.post(
        f"{system.base}/api/plans",
        content='{"title": "Kế hoạch", '.encode(),
        headers={**system.auth("drafter.huong-an"), "Content-Type": "application/json"},
        timeout=10,
    )
    body = _problem(r, 422)
    assert body["errors"] and "body" in body["errors"][0]["field"]


def test_a_wrong_content_type_is_refused(system: Embedded) -> None:
    r = httpx.post(
        f"{system.base}/api/plans",
        content=b"title=Ke+hoach",
        headers={
            **system.auth("drafter.huong-an"),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=10,
    )
    assert _problem(r, 415)["errors"][0]["field"] == "Content-Type"


def test_unknown_ids_are_404(system: Embedded) -> None:
    auth = system.auth()
    for path in (
        "/api/plans/00000000-0000-0000-0000-000000000000",
        "/api/approvals/cases/00000000-0000-0000-0000-000000000000",
        "/api/plans/00000000-0000-0000-0000-000000000000/versions/1",
    ):
        _problem(httpx.get(f"{system.base}{path}", headers=auth, timeout=10), 404)


def test_expired_and_forged_tokens_are_401(system: Embedded) -> None:
    claims = jwt.decode(system.tokens["admin"], options={"verify_signature": False})
    forged = jwt.encode({**claims, "roles": ["admin"]}, "not-the-secret-" * 4, algorithm="HS256")
    expired = jwt.encode(
        {**claims, "exp": int(time.time()) - 60}, "not-the-secret-" * 4, algorithm="HS256"
    )
    for token in (forged, expired, "not.a.jwt"):
        r = httpx.get(
            f"{system.base}/api/approvals/queue",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        _problem(r, 401)
    _problem(httpx.get(f"{system.base}/api/approvals/queue", timeout=10), 401)


def test_docs_and_schema_stay_reachable(system: Embedded, tmp_path: Path) -> None:
    r = httpx.get(f"{system.base}/openapi.json", timeout=10)
    assert r.status_code == 200 and len(r.json()["paths"]) > 40


def test_a_time_without_a_zone_is_refused_naming_the_field(system: Embedded) -> None:
    r = httpx.get(
        f"{system.base}/api/audit/records",
        params={"since": "2026-03-01T08:00:00"},
        headers=system.auth(),
        timeout=10,
    )
    assert _problem(r, 422)["errors"][0]["field"] == "query.since"
    r = httpx.get(
        f"{system.base}/api/audit/records",
        params={"since": "2026-03-01T08:00:00+07:00"},
        headers=system.auth(),
        timeout=10,
    )
    assert r.status_code == 200, r.text
