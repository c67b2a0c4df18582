"""The README's curl walk-through, run as written against ``cascade-embedded`` (what
``make run`` starts), so the README stays true."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.processes import embedded

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```bash walkthrough\n(.*?)```", text, re.S)
    assert match, "README.md has no walkthrough block"
    return match.group(1)


def test_readme_walkthrough_runs_against_the_embedded_system(tmp_path: Path) -> None:
    with embedded(tmp_path) as system:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", walkthrough()],
            env={**system.env, "B": system.base},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert "('PQ-01', 'rõ người'" in out  # the refusal names task and element
        assert "('submitted version', 1," in out
        assert out.count("approved") >= 2
        assert "Kế hoạch đã được phê duyệt" in out
        assert "('plan.approved'," in out
        assert "'ok': True" in out
        assert "('report', 'submitted', 'on time')" in out
        assert "('report', 'accepted')" in out
        assert "('PQ-01', 40.0, 'Quá hạn')" in out
        assert "('Phường Phong Quảng', 'accepted'," in out
        assert "('tasks_on_time', " in out and "('reports_on_time', " in out
        banner = system.log_text()
        assert f"{system.base}/docs" in banner and "dev-token" in banner
