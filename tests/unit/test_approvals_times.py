"""Every time approvals stores is UTC: an aware time in another offset is converted, not
relabelled, and a naive time read back from SQLite is taken as UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from cascade_shared.envelope import as_utc

ICT = timezone(timedelta(hours=7))


def test_an_aware_time_in_plus_seven_becomes_the_same_instant_in_utc() -> None:
    local = datetime(2026, 3, 2, 8, 0, tzinfo=ICT)
    utc = as_utc(local)
    assert utc.utcoffset() == timedelta(0)
    assert (utc.hour, utc.minute) == (1, 0)
    assert utc == local
    # what SQLite keeps of it (the wall clock) is the UTC instant, so reading it back is right
    assert as_utc(utc.replace(tzinfo=None)) == local


def test_a_naive_time_is_utc() -> None:
    assert as_utc(datetime(2026, 3, 2, 1, 0)) == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
