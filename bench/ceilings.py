"""The raw ceilings of this machine, measured in the same run as the system's figures, so every
figure can be given as a ratio to what the hardware and the servers can do at all.

- RabbitMQ: 1 KiB persistent messages published with publisher confirms, one awaited at a time
  and many in flight; consumed with prefetch.
- PostgreSQL: BEGIN/INSERT/COMMIT of one row with asyncpg on 1 and 8 connections; a bulk COPY.
- SQLite (embedded mode's store): one-row commits through aiosqlite.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from typing import Any

import aio_pika
import aiosqlite
import asyncpg

PG_ADMIN = os.environ.get("CASCADE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("CASCADE_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
BODY = b"x" * 1024


async def rabbitmq(count: int = 2000, in_flight: int = 1000) -> dict[str, float]:
    conn = await aio_pika.connect_robust(AMQP_URL)
    ns = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        channel = await conn.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(ns, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(ns, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, "#")

        def message() -> aio_pika.Message:
            return aio_pika.Message(BODY, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)

        seq = max(count // 4, 200)
        t0 = time.perf_counter()
        for _ in range(seq):
            await exchange.publish(message(), routing_key="bench.one", timeout=10)
        one_at_a_time = seq / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        for start in range(0, count, in_flight):
            batch = min(in_flight, count - start)
            await asyncio.gather(
                *(
                    exchange.publish(message(), routing_key="bench.many", timeout=30)
                    for _ in range(batch)
                )
            )
        many = count / (time.perf_counter() - t0)

        consume_channel = await conn.channel()
        await consume_channel.set_qos(prefetch_count=100)
        cqueue = await consume_channel.get_queue(ns)
        total = seq + count
        got = 0
        done = asyncio.Event()
        t0 = time.perf_counter()

        async def on_message(msg: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal got
            await msg.ack()
            got += 1
            if got >= total:
                done.set()

        tag = await cqueue.consume(on_message)
        await asyncio.wait_for(done.wait(), timeout=120)
        consumed = total / (time.perf_counter() - t0)
        await cqueue.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
        await exchange.delete()
    finally:
        await conn.close()
    return {
        "rabbitmq_publish_confirm_one_at_a_time_per_s": one_at_a_time,
        "rabbitmq_publish_confirm_in_flight_per_s": many,
        "rabbitmq_consume_ack_prefetch100_per_s": consumed,
    }


async def postgres(count: int = 2000, bulk_rows: int = 200_000) -> dict[str, float]:
    name = f"cascade_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        conn = await asyncpg.connect(dsn)
        await conn.execute("CREATE TABLE t (id bigserial primary key, body text, at timestamptz)")
        t0 = time.perf_counter()
        for i in range(count):
            async with conn.transaction():
                await conn.execute("INSERT INTO t (body, at) VALUES ($1, now())", f"r{i}")
        single = count / (time.perf_counter() - t0)

        pool = await asyncpg.create_pool(dsn, min_size=8, max_size=8)

        async def worker(n: int) -> None:
            async with pool.acquire() as c:
                for i in range(n):
                    async with c.transaction():
                        await c.execute("INSERT INTO t (body, at) VALUES ($1, now())", f"p{i}")

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(count // 8) for _ in range(8)))
        eight = (count // 8 * 8) / (time.perf_counter() - t0)
        await pool.close()

        rows = [(f"bulk{i}",) for i in range(bulk_rows)]
        t0 = time.perf_counter()
        await conn.copy_records_to_table("t", records=rows, columns=["body"])
        copy = bulk_rows / (time.perf_counter() - t0)
        await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    return {
        "postgres_commit_1_connection_per_s": single,
        "postgres_commit_8_connections_per_s": eight,
        "postgres_copy_rows_per_s": copy,
    }


async def sqlite(count: int = 2000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with aiosqlite.connect(os.path.join(tmp, "bench.sqlite3")) as db:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("CREATE TABLE t (id integer primary key, body text)")
            t0 = time.perf_counter()
            for i in range(count):
                await db.execute("INSERT INTO t (body) VALUES (?)", (f"r{i}",))
                await db.commit()
            return {"sqlite_commit_per_s": count / (time.perf_counter() - t0)}


async def measure(quick: bool = False) -> dict[str, Any]:
    n = 500 if quick else 2000
    figures: dict[str, Any] = {}
    figures.update(await rabbitmq(count=n * 2))
    figures.update(await postgres(count=n, bulk_rows=50_000 if quick else 200_000))
    figures.update(await sqlite(count=n))
    return figures


if __name__ == "__main__":
    for key, value in asyncio.run(measure()).items():
        print(f"{key:55} {value:12,.0f}")
