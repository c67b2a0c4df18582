"""Deliveries applied together (a service's ``batch_limit``), on a real PostgreSQL: the audit
chains events that arrive together in one transaction. Every event is applied exactly once, a
repeat inside a batch is dropped, and one bad event fails only its own delivery while the
others of its batch are still applied."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest
from cascade_audit.handlers import record_event
from cascade_audit.service import SERVICE as AUDIT
from cascade_audit.verification import verify_store
from cascade_shared.chassis.service import HandlerContext, ServiceDefinition, ServiceRuntime
from cascade_shared.envelope import Envelope
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

pytestmark = pytest.mark.postgres


def events(n: int) -> list[Envelope]:
    return [
        Envelope(
            type="plan.created",
            producer="plans",
            subject_id=f"plan-{i}",
            payload={"plan_id": f"plan-{i}", "title": f"Kế hoạch {i}"},
        )
        for i in range(n)
    ]


async def chain_of(runtime: ServiceRuntime) -> tuple[list[str], bool]:
    """The event ids in chain order, and whether the chain verifies."""
    async with runtime.engine.connect() as conn:
        ids = (await conn.execute(text("SELECT event_id FROM audit_record ORDER BY seq"))).all()
        seqs = (await conn.execute(text("SELECT seq FROM audit_record ORDER BY seq"))).all()
        assert [s for (s,) in seqs] == list(range(1, len(seqs) + 1))
        verdict = await verify_store(conn, Ed25519PrivateKey.generate().public_key())
    return [i for (i,) in ids], verdict.verdict.ok


async def test_events_arriving_together_are_chained_in_few_transactions_each_once(
    runtime_of: Callable[[ServiceDefinition], Awaitable[ServiceRuntime]],
) -> None:
    runtime = await runtime_of(AUDIT)
    sent = events(60)
    repeats = sent[:10]
    await asyncio.gather(*(runtime.handle(e) for e in [*sent, *repeats]))

    chained, ok = await chain_of(runtime)
    assert ok
    assert sorted(chained) == sorted(str(e.id) for e in sent)  # each once
    assert runtime.duplicates_dropped == 10
    assert runtime.handled == 60
    assert runtime.batches < 10, runtime.batches  # together, not one transaction each


async def test_a_bad_event_fails_only_its_own_delivery(
    runtime_of: Callable[[ServiceDefinition], Awaitable[ServiceRuntime]],
) -> None:
    sent = events(20)
    poison = sent[7].id

    async def refusing(ctx: HandlerContext, envelope: Envelope) -> None:
        if envelope.id == poison:
            raise ValueError("this event cannot be applied")
        await record_event(ctx, envelope)

    runtime = await runtime_of(dataclasses.replace(AUDIT, handlers={"#": refusing}))
    outcomes = await asyncio.gather(*(runtime.handle(e) for e in sent), return_exceptions=True)

    failed = [e.id for e, o in zip(sent, outcomes, strict=True) if isinstance(o, BaseException)]
    assert failed == [poison]
    assert isinstance(outcomes[7], ValueError)
    chained, ok = await chain_of(runtime)
    assert ok
    assert sorted(chained) == sorted(str(e.id) for e in sent if e.id != poison)
    async with runtime.engine.connect() as conn:
        claimed = (await conn.execute(text("SELECT event_id FROM inbox"))).all()
    assert str(poison) not in {i for (i,) in claimed}

    # Its redelivery, once it can be applied, chains it after the others, once.
    # The bus gives the delivery back; now it applies.
    healed = dataclasses.replace(runtime.definition, handlers={"#": record_event})
    runtime.definition = healed
    await runtime.handle(sent[7])
    await runtime.handle(sent[7])
    chained, ok = await chain_of(runtime)
    assert ok
    assert chained.count(str(poison)) == 1
    assert chained[-1] == str(poison)
