"""Real headless Chromium (Debian's package, driven by Playwright) against a real
``cascade-embedded`` process with a fresh data folder. Without chromium or Playwright these tests
skip with the reason; with CI=true they fail instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cluster import BIN, free_port
from tests.infra import IN_CI

CHROMIUM = os.environ.get("CASCADE_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI needs the browser tests to run", pytrace=False)
    pytest.skip(f"{reason}; install it (make test does) to run the browser tests")


@pytest.fixture(scope="session")
def portal_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real embedded system, as ``make run`` starts it; its base URL."""
    tmp = tmp_path_factory.mktemp("portal")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env.update(
        {
            "CASCADE_PORT": str(port),
            "CASCADE_DATA_DIR": str(tmp / "data"),
            "CASCADE_LOG_LEVEL": "WARNING",  # the story's requests need no log lines
        }
    )
    log_path = tmp / "embedded.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [str(BIN / "cascade-embedded")], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"{base}/api/audit/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "embedded mode did not start"
            time.sleep(0.2)
        banner = log_path.read_text(encoding="utf-8")
        assert f"{base}/portal/" in banner, banner
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
