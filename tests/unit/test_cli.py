"""The `cascade` command against a mock of the HTTP API: what it sends, what it prints, how it
exits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cascade_plans import cli
from typer.testing import CliRunner

TOKEN = "tok-123"
PROBLEM = "application/problem+json"


class Api:
    """An httpx.MockTransport that records each request and answers with ``handler``."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.handler(request)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Api]:
    def install(handler: Callable[[httpx.Request], httpx.Response]) -> Api:
        recorder = Api(handler)
        real = cli.make_client
        monkeypatch.setattr(
            cli,
            "make_client",
            lambda base_url, token: real(base_url, token, transport=httpx.MockTransport(recorder)),
        )
        return recorder

    monkeypatch.delenv("CASCADE_URL", raising=False)
    monkeypatch.delenv("CASCADE_TOKEN", raising=False)
    return install


def run(*args: str) -> object:
    return CliRunner().invoke(
        cli.app, ["--base-url", "http://cascade.test", "--token", TOKEN, *args]
    )


def test_token_posts_the_username_and_prints_the_token(api: Callable[..., Api]) -> None:
    recorder = api(lambda r: httpx.Response(200, json={"access_token": "jwt.abc", "expires_in": 1}))
    result = CliRunner().invoke(cli.app, ["--base-url", "http://cascade.test", "token", "drafter"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "jwt.abc"
    request = recorder.requests[0]
    assert (request.method, str(request.url)) == ("POST", "http://cascade.test/api/auth/dev-token")
    assert json.loads(request.content) == {"username": "drafter"}
    assert "authorization" not in request.headers


def test_environment_gives_the_url_and_token(
    api: Callable[..., Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = api(lambda r: httpx.Response(200, json={"items": [], "total": 0}))
    monkeypatch.setenv("CASCADE_URL", "http://elsewhere.test:9000")
    monkeypatch.setenv("CASCADE_TOKEN", "from-env")
    result = CliRunner().invoke(cli.app, ["plans"])
    assert result.exit_code == 0, result.output
    assert "No plans." in result.stdout
    assert str(recorder.requests[0].url) == "http://elsewhere.test:9000/api/plans"
    assert recorder.requests[0].headers["authorization"] == "Bearer from-env"


def test_plans_passes_filters_and_prints_a_table(api: Callable[..., Api]) -> None:
    recorder = api(
        lambda r: httpx.Response(
            200,
            json={
                "total": 1,
                "limit": 50,
                "offset": 0,
                "items": [
                    {
                        "id": "p-1",
                        "unit": "vn.hue.huong-an",
                        "status": "draft",
                        "version": 1,
                        "term_start": 2026,
                        "term_end": 2031,
                        "title": "Kế hoạch phường Hương An",
                    }
                ],
            },
        )
    )
    result = run("plans", "--unit", "vn.hue.huong-an", "--status", "draft")
    assert result.exit_code == 0, result.output
    request = recorder.requests[0]
    assert request.url.path == "/api/plans"
    assert dict(request.url.params) == {"unit": "vn.hue.huong-an", "status": "draft"}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    header, _, row = result.stdout.splitlines()[:3]
    assert header.split() == ["ID", "UNIT", "STATUS", "VERSION", "TERM", "TITLE"]
    assert row.split()[:5] == ["p-1", "vn.hue.huong-an", "draft", "1", "2026-2031"]
    assert "Kế hoạch phường Hương An" in row


def test_import_uploads_the_file_and_prints_the_counts(
    api: Callable[..., Api], tmp_path: Path
) -> None:
    sheet = tmp_path / "ke-hoach.csv"
    sheet.write_bytes("Mã nhiệm vụ\nT1\n".encode("utf-8-sig"))
    recorder = api(lambda r: httpx.Response(200, json={"tasks": 12, "indicators": 3}))
    result = run("import", "p-1", str(sheet))
    assert result.exit_code == 0, result.output
    assert "Imported 12 task(s) and 3 indicator(s)" in result.stdout
    request = recorder.requests[0]
    assert (request.method, request.url.path) == ("POST", "/api/plans/p-1/import")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"].startswith("multipart/form-data")
    body = request.content
    assert b'name="file"; filename="ke-hoach.csv"' in body
    assert "Mã nhiệm vụ\nT1".encode() in body


def test_import_prints_each_row_error_and_exits_1(api: Callable[..., Api], tmp_path: Path) -> None:
    sheet = tmp_path / "ke-hoach.xlsx"
    sheet.write_bytes(b"PK")
    api(
        lambda r: httpx.Response(
            422,
            headers={"content-type": PROBLEM},
            json={
                "type": "https://cascade/problems/import",
                "title": "The file cannot be imported",
                "status": 422,
                "detail": "2 error(s); nothing was imported",
                "errors": [
                    {
                        "sheet": "Nhiệm vụ",
                        "row": 4,
                        "column": "Thời hạn hoàn thành",
                        "reason": "'31/02/2026' is not a date of the calendar",
                        "field": "x",
                    },
                    {"field": "file", "reason": "too many rows"},
                ],
            },
        )
    )
    result = run("import", "p-1", str(sheet))
    assert result.exit_code == 1
    assert result.stdout == ""
    err = result.stderr
    assert "Error 422: The file cannot be imported — 2 error(s); nothing was imported" in err
    assert (
        "Nhiệm vụ, row 4, column Thời hạn hoàn thành: '31/02/2026' is not a date of the calendar"
    ) in err
    assert "file: too many rows" in err


def test_submit_sends_the_acknowledgement_and_prints_version_and_hash(
    api: Callable[..., Api],
) -> None:
    recorder = api(
        lambda r: httpx.Response(
            200,
            json={
                "plan_id": "p-1",
                "version": 2,
                "content_hash": "ab" * 32,
                "submitted_by": "d",
                "submitted_at": "2026-03-01T00:00:00Z",
                "outcome": None,
                "content": {},
            },
        )
    )
    result = run("submit", "p-1", "--acknowledge-warnings")
    assert result.exit_code == 0, result.output
    assert f"version 2, content hash {'ab' * 32}" in result.stdout
    request = recorder.requests[0]
    assert (request.method, request.url.path) == ("POST", "/api/plans/p-1/submit")
    assert json.loads(request.content) == {"acknowledge_warnings": True}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_submit_prints_each_five_clear_error_and_exits_1(api: Callable[..., Api]) -> None:
    recorder = api(
        lambda r: httpx.Response(
            422,
            headers={"content-type": PROBLEM},
            json={
                "title": "The plan cannot be submitted",
                "status": 422,
                "detail": "2 error(s); 1 task(s) are not 5-clear",
                "errors": [
                    {
                        "field": "tasks.T3.person",
                        "task": "T3",
                        "element": "person",
                        "element_vi": "rõ người",
                        "reason": "name the responsible official",
                    },
                    {
                        "field": "task_groups.NV4",
                        "reason": "the parent's task group NV4 is not covered",
                    },
                ],
                "warnings": [],
            },
        )
    )
    result = run("submit", "p-1")
    assert result.exit_code == 1
    assert json.loads(recorder.requests[0].content) == {"acknowledge_warnings": False}
    err = result.stderr
    assert "Error 422: The plan cannot be submitted" in err
    assert "task T3 [rõ người]: name the responsible official" in err
    assert "task_groups.NV4: the parent's task group NV4 is not covered" in err


def test_submit_shows_warnings_and_how_to_acknowledge_them(api: Callable[..., Api]) -> None:
    api(
        lambda r: httpx.Response(
            422,
            headers={"content-type": PROBLEM},
            json={
                "title": "Warnings need your acknowledgement",
                "status": 422,
                "errors": [],
                "warnings": [
                    {
                        "field": "tasks.T1.job",
                        "task": "T1",
                        "element": "job",
                        "reason": "copied word for word from the parent task",
                    }
                ],
            },
        )
    )
    result = run("submit", "p-1")
    assert result.exit_code == 1
    assert "task T1 [job]: copied word for word from the parent task" in result.stderr
    assert "--acknowledge-warnings" in result.stderr


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "docx"])
def test_export_writes_the_bytes(api: Callable[..., Api], tmp_path: Path, fmt: str) -> None:
    recorder = api(lambda r: httpx.Response(200, content=b"\x00bytes-of-" + fmt.encode()))
    out = tmp_path / f"plan.{fmt}"
    result = run("export", "p-1", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == b"\x00bytes-of-" + fmt.encode()
    request = recorder.requests[0]
    assert request.url.path == "/api/plans/p-1/export"
    assert dict(request.url.params) == {"format": fmt}


def test_any_other_failure_prints_title_and_detail(api: Callable[..., Api], tmp_path: Path) -> None:
    api(
        lambda r: httpx.Response(
            409,
            headers={"content-type": PROBLEM},
            json={"title": "Conflict", "status": 409, "detail": "only an approved plan is printed"},
        )
    )
    out = tmp_path / "plan.docx"
    result = run("export", "p-1", "--format", "docx", "-o", str(out))
    assert result.exit_code == 1
    assert "Error 409: Conflict — only an approved plan is printed" in result.stderr
    assert not out.exists()


def test_an_unreachable_server_is_a_clear_error(api: Callable[..., Api]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    api(refuse)
    result = run("plans")
    assert result.exit_code == 1
    assert "Cannot reach Cascade at http://cascade.test" in result.stderr
