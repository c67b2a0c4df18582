"""A Merkle tree over record hashes, as RFC 6962 (Certificate Transparency) defines it.

Leaves and inner nodes are hashed with different one-byte prefixes (0x00 and 0x01), so a leaf can
never be passed off as an inner node. The tree of ``n`` leaves splits at the largest power of two
below ``n``; the audit path of a leaf is the list of sibling hashes from the leaf up to the root,
and anyone holding the root (a signed checkpoint) can check that a record belongs to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: Sequence[bytes]) -> bytes:
    """The root of the tree whose leaves are ``leaves`` (each already a record hash)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [leaf_hash(x) for x in leaves]
    # Bottom-up pairing gives the same root as RFC 6962's recursive split: an odd node at the
    # end of a level is carried up unchanged.
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` (RFC 6962 section 2.1.1), nearest sibling first."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is outside a tree of {len(leaves)}")

    def path(m: int, items: Sequence[bytes]) -> list[bytes]:
        n = len(items)
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*path(m, items[:k]), root(items[k:])]
        return [*path(m - k, items[k:]), root(items[:k])]

    return path(index, leaves)


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], expected_root: bytes
) -> bool:
    """Whether ``leaf`` sits at ``index`` of the tree of ``tree_size`` leaves with that root
    (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash(leaf)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root
