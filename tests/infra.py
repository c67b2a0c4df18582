"""Access to the real PostgreSQL and RabbitMQ for tests, each run in its own databases and its
own exchange and queue names. Without the servers, those tests skip with the reason; with
CI=true a missing server fails the run instead."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

import pytest

PG_HOST = os.environ.get("CASCADE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CASCADE_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("CASCADE_TEST_PG_USER", "postgres")
AMQP_HOST = os.environ.get("CASCADE_TEST_AMQP_HOST", "127.0.0.1")
AMQP_PORT = int(os.environ.get("CASCADE_TEST_AMQP_PORT", "5672"))
AMQP_URL = os.environ.get("CASCADE_TEST_AMQP_URL", f"amqp://guest:guest@{AMQP_HOST}:{AMQP_PORT}/")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
RUN_ID = uuid.uuid4().hex[:8]


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    reason = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{reason}; CI needs the real server", pytrace=False)
    pytest.skip(f"{reason}; start it to run this test")


def pg_admin_dsn() -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"


def pg_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


async def create_database(name: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(pg_admin_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return pg_url(name)


async def drop_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg_admin_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def delete_namespace(namespace: str, services: list[str]) -> None:
    """Remove a test run's exchanges and queues from the broker."""
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    try:
        for service in services:
            for queue in (f"{namespace}.{service}", f"{namespace}.{service}.dead"):
                channel = await connection.channel()
                try:
                    await channel.queue_delete(queue)
                except Exception:
                    pass
                finally:
                    if not channel.is_closed:
                        await channel.close()
        for exchange in (f"{namespace}.events", f"{namespace}.dlx"):
            channel = await connection.channel()
            try:
                await channel.exchange_delete(exchange)
            except Exception:
                pass
            finally:
                if not channel.is_closed:
                    await channel.close()
    finally:
        await connection.close()


async def watch_published(
    connection: Any, namespace: str, routing_key: str, arrivals: list[tuple[float, str]]
) -> None:
    """A queue of the caller's own on the real broker: append (monotonic time, subject id) of
    each event published with ``routing_key``, as it is published (pushed, not polled)."""
    import json
    import time

    channel = await connection.channel()
    spy = await channel.declare_queue(f"{namespace}.spy", exclusive=True)
    await spy.bind(f"{namespace}.events", routing_key=routing_key)

    async def arrived(message: Any) -> None:
        arrivals.append((time.monotonic(), json.loads(message.body)["subject_id"]))
        await message.ack()

    await spy.consume(arrived)
