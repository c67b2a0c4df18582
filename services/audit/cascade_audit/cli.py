"""Operators' audit commands: ``python -m cascade_audit.cli <command>``.

Reads the same environment as the service (``CASCADE_DATABASE_URL`` of the audit database,
``CASCADE_AUDIT_SIGNING_KEY_FILE``, ``CASCADE_AUDIT_BASE_URL`` / ``_SERVICE_URLS``)::

    verify [--from-seq N] [--to-seq M]        walk the chain (from the nearest checkpoint)
    seal                                      seal everything not yet sealed now
    reconcile --since T [--until T] --token   list published events the store lacks
    export --since T --until T -o FILE        a closed period as a signed archive
    verify-archive FILE --public-key PEM      check an archive offline

Exit status 0 when the check passes, 1 when it finds a problem.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from cascade_shared.bus.inprocess import InProcessBus
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import as_utc
from cascade_shared.settings import Settings

from cascade_audit.archive import export_period, verify_archive
from cascade_audit.domain.checkpoint import load_public_key
from cascade_audit.keys import write_new_key
from cascade_audit.reconciliation import reconcile, report
from cascade_audit.sealing import audit_settings, private_key, seal_due
from cascade_audit.service import SERVICE
from cascade_audit.verification import verify_store


def _when(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text))


async def _runtime() -> ServiceRuntime:
    runtime = ServiceRuntime(SERVICE, Settings(), InProcessBus())
    assert SERVICE.on_start is not None
    await SERVICE.on_start(runtime)
    return runtime


def _save(data: IO[bytes], path: str) -> None:
    with data, open(path, "wb") as out:
        shutil.copyfileobj(data, out)


def _verify_archive(args: argparse.Namespace) -> int:
    key = load_public_key(Path(args.public_key).read_bytes())
    with open(args.file, "rb") as f:
        verdict = verify_archive(f, key)
    _print({"ok": verdict.ok, "reason": verdict.reason, "manifest": verdict.manifest})
    return 0 if verdict.ok else 1


def _print(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


async def _run(args: argparse.Namespace) -> int:
    runtime = await _runtime()
    try:
        if args.command == "verify":
            key = private_key(runtime).public_key()
            async with runtime.engine.connect() as conn:
                result = await verify_store(conn, key, from_seq=args.from_seq, to_seq=args.to_seq)
            _print(result.as_dict())
            return 0 if result.verdict.ok else 1
        if args.command == "seal":
            _print(
                [
                    {k: v for k, v in r.items() if k != "statement"}
                    for r in await seal_due(runtime, force=True)
                ]
            )
            return 0
        if args.command == "reconcile":
            until = _when(args.until) if args.until else datetime.now(UTC) - timedelta(seconds=5)
            since = _when(args.since)
            reconciliation = await reconcile(
                runtime.engine,
                audit_settings(runtime),
                since=since,
                until=until,
                authorization=f"Bearer {args.token}" if args.token else None,
            )
            _print(report(reconciliation, since, until))
            return 0 if reconciliation.complete else 1
        if args.command == "export":
            since, until = _when(args.since), _when(args.until)
            if until > datetime.now(UTC):
                print("the period must be closed: --until lies in the future", file=sys.stderr)
                return 1
            export = await export_period(runtime, since=since, until=until, exported_by="cli")
            if export is None:
                print("no records arrived in that period", file=sys.stderr)
                return 1
            await asyncio.to_thread(_save, export.data, args.output)
            print(
                f"records {export.first_seq}..{export.last_seq} -> {args.output}", file=sys.stderr
            )
            return 0
    finally:
        await runtime.engine.dispose()
    return 2


def _keygen(path: Path) -> int:
    """Idempotent, so a deployment can run it before every start: an existing key is kept."""
    try:
        write_new_key(path)
    except FileExistsError:
        print(f"{path} exists; kept", file=sys.stderr)
        return 0
    print(f"made {path}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m cascade_audit.cli", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("verify", help="walk the chain and check the checkpoints")
    p.add_argument("--from-seq", type=int)
    p.add_argument("--to-seq", type=int)
    sub.add_parser("seal", help="seal every unsealed record now")
    p = sub.add_parser("reconcile", help="published events the audit store lacks")
    p.add_argument("--since", required=True)
    p.add_argument("--until")
    p.add_argument("--token", help="an auditor's bearer token for the services' APIs")
    p = sub.add_parser("export", help="a closed period as a signed archive")
    p.add_argument("--since", required=True)
    p.add_argument("--until", required=True)
    p.add_argument("-o", "--output", required=True)
    p = sub.add_parser("verify-archive", help="check an archive against a public key")
    p.add_argument("file")
    p.add_argument("--public-key", required=True, help="PEM file obtained independently")
    p = sub.add_parser("keygen", help="make the Ed25519 signing key file, unless it exists")
    p.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "verify-archive":
        raise SystemExit(_verify_archive(args))
    if args.command == "keygen":
        raise SystemExit(_keygen(args.file))
    raise SystemExit(asyncio.run(_run(args)))


if __name__ == "__main__":
    main()
