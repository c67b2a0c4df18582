"""The Merkle tree of a checkpoint (RFC 6962): roots, audit paths and inclusion checks."""

from __future__ import annotations

import hashlib

import pytest
from cascade_audit.domain import merkle


def leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


def recursive_root(items: list[bytes]) -> bytes:
    """RFC 6962 section 2.1 as written, to check the bottom-up implementation against."""
    if len(items) == 1:
        return merkle.leaf_hash(items[0])
    k = 1
    while k * 2 < len(items):
        k *= 2
    return merkle.node_hash(recursive_root(items[:k]), recursive_root(items[k:]))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100])
def test_root_matches_the_rfc_definition(n: int) -> None:
    assert merkle.root(leaves(n)) == recursive_root(leaves(n))


def test_known_answer_of_the_rfc_6962_empty_and_single_leaf_trees() -> None:
    assert merkle.root([]).hex() == hashlib.sha256(b"").hexdigest()
    assert merkle.root([b""]) == hashlib.sha256(b"\x00").digest()


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 33])
def test_every_leaf_proves_its_inclusion(n: int) -> None:
    items = leaves(n)
    root = merkle.root(items)
    for i, leaf in enumerate(items):
        path = merkle.inclusion_path(items, i)
        assert merkle.verify_inclusion(leaf, i, n, path, root), (n, i)


def test_a_proof_fails_for_another_leaf_index_root_or_size() -> None:
    items = leaves(11)
    root = merkle.root(items)
    path = merkle.inclusion_path(items, 6)
    assert not merkle.verify_inclusion(items[5], 6, 11, path, root)
    assert not merkle.verify_inclusion(items[6], 5, 11, path, root)
    assert not merkle.verify_inclusion(items[6], 6, 11, path, merkle.root(items[:10]))
    assert not merkle.verify_inclusion(items[6], 6, 11, path[:-1], root)
    assert not merkle.verify_inclusion(items[6], 11, 11, path, root)
    with pytest.raises(IndexError):
        merkle.inclusion_path(items, 11)
