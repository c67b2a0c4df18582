from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cascade_shared.chassis.registry import subscriptions

from tests import infra
from tests.channels import MailSink, Receiver, mail_server, webhook_receiver

# A test's markers follow from the fixtures it uses (directly or through others), so
# ``make test-fast`` (-m "not postgres and not rabbitmq and not browser") runs without servers.
SERVER_MARKERS = {
    "postgres": "postgres",
    "pg_database": "postgres",
    "rabbitmq": "rabbitmq",
    "namespace": "rabbitmq",
    "browser": "browser",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        markers = {m for name, m in SERVER_MARKERS.items() if name in used}
        # A test run once per backend says which in its parameters ("rabbitmq", "postgresql").
        ident = getattr(getattr(item, "callspec", None), "id", "")
        markers |= {m for m in ("postgres", "rabbitmq") if m in ident}
        for marker in markers:
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture
def postgres() -> None:
    infra.require_server("PostgreSQL", infra.PG_HOST, infra.PG_PORT)


@pytest.fixture
def rabbitmq() -> None:
    infra.require_server("RabbitMQ", infra.AMQP_HOST, infra.AMQP_PORT)


@pytest.fixture
async def pg_database(postgres: None) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """Make fresh databases for this test (named for the run), dropped afterwards."""
    made: list[str] = []

    async def make(label: str) -> str:
        name = f"cascade_t_{infra.RUN_ID}_{label}_{uuid.uuid4().hex[:6]}"
        made.append(name)
        return await infra.create_database(name)

    yield make
    for name in made:
        await infra.drop_database(name)


@pytest.fixture
async def namespace(rabbitmq: None) -> AsyncIterator[str]:
    """Exchange and queue names of this test alone, deleted afterwards."""
    ns = f"t{infra.RUN_ID}{uuid.uuid4().hex[:6]}"
    yield ns
    await infra.delete_namespace(ns, [*subscriptions(), "contract"])


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The embedded system (every service, SQLite files, in-process bus) behind an ASGI client."""
    from cascade_embedded.main import build_app
    from cascade_shared.settings import Settings

    settings = Settings(
        data_dir=tmp_path,
        relay_poll_interval=0.5,
        jwt_secret="embedded-test-secret-of-at-least-32-bytes",
    )
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cascade") as c:
            yield c


@pytest.fixture
def smtp() -> Iterator[tuple[MailSink, int]]:
    """A real SMTP server on a free local port that keeps every message."""
    with mail_server() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A webhook endpoint that verifies signatures and fails each call three times."""
    with webhook_receiver() as endpoint:
        yield endpoint
