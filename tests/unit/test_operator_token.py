"""``cascade-admin token``: an operator's bearer token where there is no identity provider,
signed with CASCADE_JWT_SECRET exactly as the dev tokens are, and accepted by services that have
dev tokens off."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest
from cascade_shared.auth import Principal, TokenVerifier
from cascade_shared.chassis.app import create_app
from cascade_shared.chassis.cli import admin_main
from cascade_shared.chassis.registry import load_service
from cascade_shared.settings import Settings

from tests.cluster import BIN

SECRET = "operator-token-test-secret-of-at-least-32-bytes"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: no CASCADE_* of the shell running the tests."""
    for name in [n for n in os.environ if n.startswith("CASCADE_")]:
        monkeypatch.delenv(name)


def mint(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    admin_main(["token", *args])
    out = capsys.readouterr().out
    assert out.endswith("\n") and out.count("\n") == 1  # the token alone, for $(...)
    return out.strip()


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        admin_main(["token", *args])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def test_the_token_carries_what_a_dev_token_carries(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASCADE_JWT_SECRET", SECRET)
    monkeypatch.setenv("CASCADE_DEV_TOKENS", "false")
    token = mint(
        capsys, "ops.admin", "--unit", "vn", "--role", "admin", "--role", "auditor",
        "--name", "Operator", "--ttl", "600",
    )  # fmt: skip
    settings = Settings()
    assert TokenVerifier(settings).verify(token) == Principal(
        username="ops.admin", name="Operator", unit="vn", roles=["admin", "auditor"]
    )
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="cascade")
    assert claims["exp"] - claims["iat"] == 600
    assert claims["iss"] == settings.jwt_issuer
    dev = TokenVerifier(settings).issue(Principal(username="u", unit="vn", roles=["admin"]))
    dev_claims = jwt.decode(dev, SECRET, algorithms=["HS256"], audience="cascade")
    assert set(claims) == set(dev_claims)  # the very claims the dev-token endpoint issues


def test_the_lifetime_defaults_to_the_configured_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASCADE_JWT_SECRET", SECRET)
    monkeypatch.setenv("CASCADE_TOKEN_TTL_SECONDS", "120")
    monkeypatch.setenv("CASCADE_JWT_AUDIENCE", "cascade-staging")
    token = mint(capsys, "ops.admin", "--unit", "vn", "--role", "admin")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="cascade-staging")
    assert claims["exp"] - claims["iat"] == 120


def test_refused_when_tokens_come_from_an_identity_provider(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASCADE_JWT_SECRET", SECRET)
    monkeypatch.setenv("CASCADE_JWKS_URL", "https://idp.example.invalid/certs")
    err = refused(capsys, "ops.admin", "--unit", "vn", "--role", "admin")
    assert "CASCADE_JWKS_URL" in err and "identity provider" in err


def test_refused_without_a_secret(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "ops.admin", "--unit", "vn", "--role", "admin")
    assert "CASCADE_JWT_SECRET is not set" in err


@pytest.mark.parametrize(
    "args",
    [
        ["ops.admin", "--role", "admin"],  # no unit
        ["ops.admin", "--unit", "vn"],  # no role
        ["ops.admin", "--unit", "vn", "--role", "root"],  # no such role
        ["ops.admin", "--unit", "vn", "--role", "admin", "--ttl", "0"],
    ],
)
def test_what_the_token_grants_is_said_in_full(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASCADE_JWT_SECRET", SECRET)
    refused(capsys, *args)


def test_the_console_script_prints_the_token_alone() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    command = [str(BIN / "cascade-admin"), "token", "ops.admin", "--unit", "vn", "--role", "admin"]
    ok = subprocess.run(
        command, env={**env, "CASCADE_JWT_SECRET": SECRET}, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert TokenVerifier(Settings(jwt_secret=SECRET)).verify(ok.stdout.strip()).unit == "vn"


@pytest.fixture
async def plans_without_dev_tokens(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The plans service as distributed mode configures it without an identity provider: dev
    tokens off, the shared secret set, nothing seeded (the default outside embedded mode)."""
    settings = Settings(data_dir=tmp_path, dev_tokens=False, jwt_secret=SECRET)
    app = create_app([load_service("plans")], settings, migrate=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plans") as client:
            yield client


async def test_an_operator_builds_the_directory_with_it(
    plans_without_dev_tokens: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = plans_without_dev_tokens
    monkeypatch.setenv("CASCADE_JWT_SECRET", SECRET)
    admin = {
        "Authorization": f"Bearer {mint(capsys, 'ops.admin', '--unit', 'vn', '--role', 'admin')}"
    }
    plans = await client.get("/api/plans", headers=admin)
    assert plans.status_code == 200 and plans.json()["total"] == 0  # no demo seeded
    assert (await client.get("/api/directory/units", headers=admin)).json() == []
    unit = {"code": "vn", "name": "Trung ương", "level": "central"}
    made = await client.put("/api/directory/units/vn", json=unit, headers=admin)
    assert made.status_code == 200, made.text
    user = {"username": "drafter.vn", "name": "Drafter", "unit": "vn", "roles": ["drafter"]}
    made = await client.put("/api/directory/users/drafter.vn", json=user, headers=admin)
    assert made.status_code == 200, made.text
    # A token grants its roles, no more; the dev-token endpoint stays off.
    drafter = mint(capsys, "drafter.vn", "--unit", "vn", "--role", "drafter")
    refused_put = await client.put(
        "/api/directory/units/vn", json=unit, headers={"Authorization": f"Bearer {drafter}"}
    )
    assert refused_put.status_code == 403
    dev = await client.post("/api/auth/dev-token", json={"username": "drafter.vn"})
    assert dev.status_code == 404
    monkeypatch.setenv("CASCADE_JWT_SECRET", "some-other-secret-of-at-least-32-bytes")
    forged = mint(capsys, "ops.admin", "--unit", "vn", "--role", "admin")
    stranger = await client.get("/api/plans", headers={"Authorization": f"Bearer {forged}"})
    assert stranger.status_code == 401
