"""The plans migrations that introduced one plan per unit and program: approved plans get their
version in force, and data written before the rule that breaks it is reported, not merged."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from cascade_plans.service import SERVICE
from cascade_shared.chassis.migrations import upgrade_sync
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

NOW = "2026-01-01 00:00:00"


async def test_the_rule_reports_old_duplicates_and_backfills_the_version_in_force(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plans.sqlite3'}"
    await asyncio.to_thread(upgrade_sync, SERVICE, url, "0003")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for plan_id, unit, status, version in (
            ("program", "vn.hue", "approved", 2),
            ("ward-a", "vn.hue.huong-an", "approved", 1),
            ("ward-a-again", "vn.hue.huong-an", "draft", 1),
            ("ward-b", "vn.hue.phu-xuan", "approved", 1),
            ("ward-b-rejected", "vn.hue.phu-xuan", "rejected", 1),
        ):
            await conn.execute(
                text(
                    "INSERT INTO plan (id, unit, title, resolution, term_start, term_end, "
                    "parent_plan_id, status, version, drafter, created_at, updated_at) VALUES "
                    "(:id, :unit, :id, '', 2026, 2030, :parent, :status, :version, 'x', :now, :now)"
                ),
                {
                    "id": plan_id,
                    "unit": unit,
                    "parent": None if plan_id == "program" else "program",
                    "status": status,
                    "version": version,
                    "now": NOW,
                },
            )
        for plan_id, version, outcome in (("program", 1, "approved"), ("program", 2, "rejected")):
            await conn.execute(
                text(
                    "INSERT INTO plan_version (plan_id, version, content, content_hash, "
                    "submitted_by, submitted_at, outcome) VALUES "
                    "(:p, :v, '{}', 'h', 'x', :now, :o)"
                ),
                {"p": plan_id, "v": version, "o": outcome, "now": NOW},
            )
    with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
        await asyncio.to_thread(upgrade_sync, SERVICE, url)
    reported = [
        r.getMessage() for r in caplog.records if "only one may be in force" in r.getMessage()
    ]
    assert len(reported) == 1 and "vn.hue.huong-an" in reported[0], reported  # not phu-xuan
    async with engine.connect() as conn:
        rows = dict((await conn.execute(text("SELECT id, in_force_version FROM plan"))).all())
    await engine.dispose()
    # The newest approved version is in force (not the rejected revision after it); a plan
    # approved without a version row has its own version; the others have none.
    assert rows == {
        "program": 1,
        "ward-a": 1,
        "ward-a-again": None,
        "ward-b": 1,
        "ward-b-rejected": None,
    }
