"""One release number for the whole workspace, read from the installed package's metadata: every
package carries it, the APIs announce it, and the changelog describes it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import cascade_shared
from cascade_shared.chassis.app import create_app
from cascade_shared.chassis.registry import all_services
from cascade_shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_of_the_workspace_carries_the_installed_release() -> None:
    projects = [ROOT / "pyproject.toml", ROOT / "shared" / "pyproject.toml"]
    projects += sorted((ROOT / "services").glob("*/pyproject.toml"))
    versions = {p: tomllib.loads(p.read_text())["project"]["version"] for p in projects}
    assert set(versions.values()) == {cascade_shared.__version__}, versions


def test_the_api_and_the_changelog_name_the_release(tmp_path: Path) -> None:
    app = create_app(all_services(), Settings(data_dir=tmp_path, seed_demo=False))
    assert app.openapi()["info"]["version"] == cascade_shared.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {cascade_shared.__version__} " in changelog
