"""Real headless Chromium (Debian's package, driven by Playwright) against a real
``cascade-embedded`` process with a fresh data folder. Without chromium or Playwright these tests
skip with the reason; with CI=true they fail instead."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra import IN_CI
from tests.processes import embedded

CHROMIUM = os.environ.get("CASCADE_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI needs the browser tests to run", pytrace=False)
    pytest.skip(f"{reason}; install it (make test does) to run the browser tests")


@pytest.fixture(scope="module")
def portal_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real embedded system, as ``make run`` starts it but without the demo's results
    history (the stories start from programs in force and no ward plan); its base URL. One per
    module: a ward has one plan per program, and each module tells its own ward's story."""
    tmp = tmp_path_factory.mktemp("portal")
    # The story's requests need no log lines.
    with embedded(tmp, CASCADE_LOG_LEVEL="WARNING", CASCADE_DEMO_HISTORY="false") as system:
        banner = system.log_text()
        assert f"{system.base}/portal/" in banner, banner
        yield system.base


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"chromium is not installed at {CHROMIUM}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="package")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the main screens are photographed: ``docs/screenshots`` when
    ``CASCADE_SCREENSHOTS=docs`` (to refresh the README's pictures), else a temporary folder,
    so a test run leaves the checkout as it was."""
    if os.environ.get("CASCADE_SCREENSHOTS") == "docs":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
