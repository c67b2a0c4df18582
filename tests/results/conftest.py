"""The results tests chase every half second, so overdue notices come within the test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def quick_chaser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASCADE_RESULTS_SCAN_SECONDS", "0.5")
