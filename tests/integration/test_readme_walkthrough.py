"""The README's curl walk-through, run as written against ``cascade-embedded`` (what
``make run`` starts), so the README stays true."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import httpx

from tests.cluster import BIN, free_port

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```bash walkthrough\n(.*?)```", text, re.S)
    assert match, "README.md has no walkthrough block"
    return match.group(1)


def test_readme_walkthrough_runs_against_the_embedded_system(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env.update({"CASCADE_PORT": str(port), "CASCADE_DATA_DIR": str(tmp_path / "data")})
    log = (tmp_path / "embedded.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "cascade-embedded")], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "embedded.log").read_text()
            try:
                if httpx.get(f"{base}/api/audit/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "embedded mode did not start"
            time.sleep(0.2)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", walkthrough()],
            env={**env, "B": base},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert "('HA-01', 'rõ người'" in out  # the refusal names task and element
        assert "('submitted version', 1," in out
        assert out.count("approved") >= 2
        assert "Kế hoạch đã được phê duyệt" in out
        assert "('plan.approved'," in out
        assert "'ok': True" in out
        banner = (tmp_path / "embedded.log").read_text(encoding="utf-8")
        assert f"{base}/docs" in banner and "dev-token" in banner
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
