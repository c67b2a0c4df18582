"""Bad input against a real ``cascade-embedded`` process: schemathesis generates requests for
every operation of the OpenAPI document (valid and not) and none may cause a server error;
oversized bodies, malformed JSON, wrong content types, unknown ids, expired and forged tokens
each get the right 4xx as problem+json. ``test_bad_input_postgres.py`` does the same against
the distributed mode on PostgreSQL, which refuses more than SQLite does."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

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
    # Without the background workers: the fuzzing subscribes webhooks to generated URLs, and
    # no sender may call out to them.
    with embedded(
        tmp,
        CASCADE_LOG_LEVEL="WARNING",
        CASCADE_MAX_BODY_BYTES=str(1024 * 1024),
        CASCADE_WORKERS="false",
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


def fuzz(
    schema: Any,
    base: str,
    headers: dict[str, str],
    examples: int,
    pinned: dict[str, Any] | None = None,
) -> tuple[int, list[str]]:
    """Requests generated from every operation of ``schema`` (valid ones, and as many that
    break it), with a fixed seed, sent to ``base`` with ``headers``: how many operations there
    were, and each answer that was a 5xx, a 4xx that is not problem+json, or no answer at all.
    A stream of server-sent events is judged by its status and headers, without waiting for
    its end.

    With ``pinned`` (path parameter -> the id of something that exists), only the operations
    with such a parameter, and with it fixed: generated bodies and queries then reach the
    code behind the "not found" of a generated id."""
    failures: list[str] = []
    operations = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            path_parameters = (
                {p.name: pinned[p.name] for p in operation.path_parameters if p.name in pinned}
                if pinned is not None
                else None
            )
            if pinned is not None and not path_parameters:
                continue
            operations += 1
            strategy = st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path_parameters),
                operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=path_parameters),
            )

            @given(case=strategy)
            @settings(
                max_examples=2 * examples,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def check(case: Any) -> None:
                request = case.as_transport_kwargs(
                    base_url=base, headers={**(case.headers or {}), **headers}
                )
                try:
                    with session.request(**request, stream=True, timeout=30) as response:
                        status = response.status_code
                        content_type = response.headers.get("content-type", "")
                        streamed = content_type.startswith("text/event-stream")
                        text = "" if streamed else response.text
                except requests.RequestException as exc:
                    status, content_type, text = 0, "", f"no answer: {exc}"
                if (
                    status >= 500
                    or status == 0
                    or (status >= 400 and not content_type.startswith(PROBLEM))
                ):
                    failures.append(
                        f"{case.method} {case.formatted_path} query={case.query!r} "
                        f"body={str(case.body)[:200]!r} -> {status}: {text[:300]}"
                    )

            check()
    return operations, failures


def test_no_generated_request_causes_a_server_error(system: Embedded) -> None:
    """Every operation of the OpenAPI document, with requests generated from its schema (valid
    and not), as the central administrator: 4xx problem details, never a 5xx."""
    schema = schemathesis.openapi.from_url(f"{system.base}/openapi.json")
    examples = int(os.environ.get("CASCADE_FUZZ_EXAMPLES", "5"))
    operations, failures = fuzz(schema, system.base, system.auth(), examples)
    assert operations > 40
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(failures[:20])


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
