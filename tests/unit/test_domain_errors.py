"""The domain and the stores refuse in their own words (cascade_shared.errors); the API's edge
answers each refusal as problem+json with the status of its kind."""

from __future__ import annotations

import httpx
import pytest
from cascade_shared.errors import Conflict, DomainError, NotAllowed, NotFound
from cascade_shared.problems import install_problem_handlers
from fastapi import FastAPI


class NotEditable(Conflict):
    """A kind a service defines: answered as its parent kind is."""


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (NotFound("plan", "p-1"), 404, "not-found"),
        (NotAllowed("a drafter of another unit"), 403, "forbidden"),
        (
            NotEditable("a submitted plan cannot be edited", plan_status="submitted"),
            409,
            "conflict",
        ),
        (DomainError("no reason given"), 400, "refused"),
    ],
)
async def test_a_refusal_is_answered_as_problem_json(
    error: DomainError, status: int, kind: str
) -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/api/thing")
    async def thing() -> None:
        raise error

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/api/thing")
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"].endswith(f"/problems/{kind}") and body["detail"] == error.detail
    assert body["instance"] == "/api/thing"
    for name, value in error.facts.items():
        assert body[name] == value
