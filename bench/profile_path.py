"""Where the time of the approval path goes: the whole system in this one process (embedded
mode, so one profiler sees the API, the relays, the consumers and the workers), a few wards
driven through submit -> sign-off -> city decision -> notification under cProfile. Prints the
functions with the most time, grouped by the part of the system they belong to.

    .venv/bin/python -m bench.profile_path [--wards 8]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import tempfile
from collections import defaultdict
from pathlib import Path

import httpx
from cascade_embedded.main import build_app
from cascade_shared.settings import Settings

from bench import load

PARTS = {
    "sqlalchemy": "SQL through SQLAlchemy (compile, execute, ORM)",
    "aiosqlite": "the SQLite driver",
    "sqlite3": "the SQLite driver",
    "pydantic": "validation and serialization (pydantic)",
    "starlette": "HTTP framework (Starlette, FastAPI)",
    "fastapi": "HTTP framework (Starlette, FastAPI)",
    "rapidfuzz": "mechanical-copy detection (rapidfuzz)",
    "cascade_shared/outbox": "outbox relay",
    "cascade_shared/bus": "in-process bus",
    "cascade_audit": "audit service",
    "cascade_notifications": "notifications service",
    "cascade_approvals": "approvals service",
    "cascade_plans": "plans service",
    "jinja2": "templates (Jinja2)",
    "json": "JSON",
}


def part_of(filename: str) -> str:
    for key, label in PARTS.items():
        if f"/{key}" in filename or f"{key}/" in filename:
            return label
    return "other (event loop, stdlib)"


async def drive(wards: int) -> pstats.Stats:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), jwt_secret="p" * 40, log_level="WARNING")
        app = build_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://cascade") as c:
                profiler = cProfile.Profile()
                profiler.enable()
                result = await load.run(c, wards, wards)
                profiler.disable()
                print(
                    f"{result['stories_completed']}/{wards} stories, "
                    f"{result['plans_per_s']:.2f} plans/s under the profiler"
                )
    return pstats.Stats(profiler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wards", type=int, default=8)
    args = parser.parse_args()
    stats = asyncio.run(drive(args.wards))
    by_part: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_part[part_of(filename)] += tottime
        total += tottime
    print("\nown time by part of the system:")
    for part, seconds in sorted(by_part.items(), key=lambda kv: -kv[1]):
        print(f"  {part:50} {seconds:7.2f} s  {seconds / total:6.1%}")
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(15)
    print("\n" + out.getvalue().split("\n", 6)[-1][:4000])


if __name__ == "__main__":
    main()
