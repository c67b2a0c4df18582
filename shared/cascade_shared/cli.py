"""Operators' commands: ``cascade-migrate`` and ``cascade-admin``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from cascade_shared.app import all_services, load_service
from cascade_shared.bus import make_bus
from cascade_shared.events import SUBSCRIPTIONS
from cascade_shared.migrations import upgrade_sync
from cascade_shared.settings import Settings


def migrate_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="cascade-migrate",
        description="Upgrade a service's database to the newest migration (CASCADE_DATABASE_URL).",
    )
    parser.add_argument("service", help="plans, approvals, notifications, audit, or all")
    parser.add_argument("--revision", default="head")
    args = parser.parse_args(argv)
    settings = Settings()
    definitions = all_services() if args.service == "all" else [load_service(args.service)]
    for definition in definitions:
        url = settings.database_url_for(definition.name)
        upgrade_sync(definition, url, args.revision)
        print(f"{definition.name}: migrated to {args.revision}", file=sys.stderr)


async def _dead_letters(action: str, service: str) -> int:
    settings = Settings()
    bus = make_bus(settings)
    await bus.start()
    try:
        await bus.declare(SUBSCRIPTIONS)
        if action == "count":
            return await bus.dead_letter_count(service)
        return await bus.replay_dead_letters(service)
    finally:
        await bus.close()


def admin_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cascade-admin", description="Operate the event bus.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("dead-count", "how many messages a service has parked in its dead-letter queue"),
        ("replay-dead", "move a service's parked messages back to its queue"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("service", choices=sorted(SUBSCRIPTIONS))
    args = parser.parse_args(argv)
    action = "count" if args.command == "dead-count" else "replay"
    try:
        n = asyncio.run(_dead_letters(action, args.service))
    except RuntimeError as exc:  # embedded mode: only the running process can replay
        print(f"cascade-admin: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    print(n)
