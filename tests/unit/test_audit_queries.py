"""Inspectors' queries: cursors, unit-subtree patterns, and the reconciliation tally."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cascade_audit.domain.completeness import Published, Reconciliation
from cascade_audit.domain.query import Cursor, like_prefix


def test_a_cursor_round_trips_and_garbage_is_refused() -> None:
    c = Cursor(datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC), 987654321)
    assert Cursor.decode(c.encode()) == c
    for bad in ("", "garbage!", "bm90LWEtY3Vyc29y"):
        with pytest.raises(ValueError):
            Cursor.decode(bad)


def test_the_subtree_pattern_escapes_like_wildcards() -> None:
    assert like_prefix("vn.hue") == "vn.hue.%"
    assert like_prefix("vn.a_b%") == "vn.a\\_b\\%.%"


def test_reconciliation_lists_what_the_store_lacks_per_service() -> None:
    r = Reconciliation()
    r.add("plans", [Published("plans", "a", "plan.created", None)], {"a"})
    assert r.complete
    r.add(
        "approvals",
        [
            Published("approvals", "b", "approval.case_opened", None),
            Published("approvals", "c", "approval.step_assigned", None),
        ],
        {"b"},
    )
    assert not r.complete
    assert [m.event_id for m in r.missing] == ["c"]
    assert (r.services["approvals"].published, r.services["approvals"].missing) == (2, 1)


def test_a_service_that_cannot_answer_makes_the_reconciliation_incomplete() -> None:
    r = Reconciliation()
    r.add("plans", [], set())
    r.failed("notifications", "connection refused")
    assert not r.complete and r.missing == []
