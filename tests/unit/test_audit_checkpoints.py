"""Checkpoint rules: when to seal, what is signed, and how the verifier uses checkpoints."""

from __future__ import annotations

from cascade_audit.domain import merkle
from cascade_audit.domain.chain import GENESIS, ChainVerifier, Link, SealedRange, record_hash
from cascade_audit.domain.checkpoint import (
    Statement,
    due,
    key_id,
    load_public_key,
    public_key_pem,
    sign,
    signature_valid,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _due(**kw: object) -> object:
    args = {
        "last_sealed_seq": 0,
        "head_seq": 0,
        "has_new_records": True,
        "oldest_unsealed_age_seconds": 0.0,
        "every": 10,
        "max_age_seconds": 3600.0,
        "force": False,
    }
    args.update(kw)
    return due(**args)  # type: ignore[arg-type]


def test_a_full_checkpoint_every_n_records_and_a_backlog_in_n_sized_pieces() -> None:
    assert _due(head_seq=9) is None
    plan = _due(head_seq=10)
    assert (plan.first_seq, plan.last_seq, plan.reason) == (1, 10, "count")  # type: ignore[attr-defined]
    plan = _due(last_sealed_seq=10, head_seq=35)
    assert (plan.first_seq, plan.last_seq) == (11, 20)  # type: ignore[attr-defined]


def test_at_least_hourly_while_new_records_arrive() -> None:
    assert _due(head_seq=3, oldest_unsealed_age_seconds=3599.0) is None
    plan = _due(head_seq=3, oldest_unsealed_age_seconds=3600.0)
    assert (plan.first_seq, plan.last_seq, plan.reason) == (1, 3, "age")  # type: ignore[attr-defined]
    plan = _due(head_seq=3, oldest_unsealed_age_seconds=1.0, force=True)
    assert plan.reason == "requested"  # type: ignore[attr-defined]


def test_the_stores_own_checkpoint_events_alone_never_cause_another_checkpoint() -> None:
    kw = {"last_sealed_seq": 10, "head_seq": 11, "has_new_records": False}
    assert _due(**kw, oldest_unsealed_age_seconds=99999.0) is None
    assert _due(**kw, force=True) is None
    assert _due(last_sealed_seq=10, head_seq=10, force=True) is None


def test_a_statement_is_signed_canonically_and_any_change_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    st = Statement(1, 1, 10, 10, "ab" * 32, "cd" * 32, None, "2026-01-01T00:00:00+00:00", "k")
    signature = sign(key, st.canonical())
    public = load_public_key(public_key_pem(key.public_key()))
    assert key_id(public) == key_id(key.public_key()) and len(key_id(public)) == 16
    assert signature_valid(public, st.canonical(), signature)
    assert Statement.from_json(st.canonical()) == st
    changed = Statement(1, 1, 10, 10, "ab" * 32, "ce" * 32, None, st.sealed_at, "k")
    assert not signature_valid(public, changed.canonical(), signature)
    assert not signature_valid(public, st.canonical(), "not base64!")
    other = Ed25519PrivateKey.generate().public_key()
    assert not signature_valid(other, st.canonical(), signature)


def chain(n: int) -> list[Link]:
    links, prev = [], GENESIS
    for i in range(1, n + 1):
        fields = {"seq": i, "payload": {"n": i}}
        h = record_hash(prev, fields)
        links.append(Link(i, prev, h, fields))
        prev = h
    return links


def sealed(links: list[Link], number: int, first: int, last: int) -> SealedRange:
    part = [bytes.fromhex(x.hash) for x in links[first - 1 : last]]
    return SealedRange(number, first, last, merkle.root(part).hex(), links[last - 1].hash)


def test_the_verifier_checks_each_checkpoint_it_walks_through() -> None:
    links = chain(12)
    cps = [sealed(links, 1, 1, 5), sealed(links, 2, 6, 10)]
    v = ChainVerifier(checkpoints=cps)
    assert all(v.feed(x) for x in links)
    verdict = v.verdict(expect_last_seq=12)
    assert verdict.ok and verdict.checked == 12 and verdict.checkpoints_checked == 2


def test_a_range_starts_from_a_checkpoint_head_instead_of_the_beginning() -> None:
    links = chain(12)
    cps = [sealed(links, 1, 1, 5), sealed(links, 2, 6, 10)]
    v = ChainVerifier(cps[0].head_hash, 6, cps)
    assert all(v.feed(x) for x in links[5:])
    assert v.verdict(12).ok and v.checked == 7


def test_a_chain_rewritten_after_a_change_still_fails_against_the_signed_checkpoint() -> None:
    links = chain(8)
    cp = sealed(links, 1, 1, 8)
    rewritten, prev = [], GENESIS
    for x in links:
        fields = {**x.fields, "payload": {"n": -1}} if x.seq == 4 else x.fields
        h = record_hash(prev, fields)
        rewritten.append(Link(x.seq, prev, h, fields))
        prev = h
    v = ChainVerifier(checkpoints=[cp])
    results = [v.feed(x) for x in rewritten]
    assert results[-1] is False
    verdict = v.verdict()
    assert not verdict.ok and verdict.first_broken_seq == 1
    assert "checkpoint 1" in (verdict.reason or "")


def test_records_missing_at_the_end_are_reported() -> None:
    links = chain(5)
    v = ChainVerifier()
    for x in links[:3]:
        v.feed(x)
    verdict = v.verdict(expect_last_seq=5)
    assert not verdict.ok and verdict.first_broken_seq == 4


def test_segments_keep_each_sealed_range_whole_and_cut_the_rest() -> None:
    from cascade_audit.domain.chain import SealedRange, Segment, segments_of

    sealed = [SealedRange(n, 10 * n - 9, 10 * n, "r", "h") for n in (2, 1, 3)]
    plan = segments_of(1, 37, sealed, size=4)
    assert [(s.first_seq, s.last_seq) for s in plan] == [
        (1, 10),
        (11, 20),
        (21, 30),
        (31, 34),
        (35, 37),
    ]
    assert [s.checkpoint.number if s.checkpoint else None for s in plan] == [1, 2, 3, None, None]
    # A range cut by the walk's start or end is not a sealed segment; nothing is left out.
    assert segments_of(5, 25, sealed, size=100) == [
        Segment(5, 10),
        Segment(11, 20, sealed[0]),
        Segment(21, 25),
    ]
    assert segments_of(7, 6, sealed) == []
