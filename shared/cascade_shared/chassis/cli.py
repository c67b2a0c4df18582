"""Operators' commands: ``cascade-migrate`` and ``cascade-admin``.

``cascade-admin`` counts and replays a service's dead letters, mints a bearer token for an
operator where there is no identity provider (``cascade-admin token``): signed with the
``CASCADE_JWT_SECRET`` the services verify with, exactly as the dev-token endpoint signs, and
makes one broker user per service (``cascade-admin broker-users``).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from pathlib import Path
from typing import NoReturn

from cascade_shared.auth import ROLES, Principal, TokenVerifier
from cascade_shared.bus import make_bus
from cascade_shared.chassis import broker_users
from cascade_shared.chassis.migrations import upgrade_sync
from cascade_shared.chassis.registry import all_services, load_service, subscriptions
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
        await bus.declare(subscriptions())
        if action == "count":
            return await bus.dead_letter_count(service)
        return await bus.replay_dead_letters(service)
    finally:
        await bus.close()


def _refuse(message: str) -> NoReturn:
    print(f"cascade-admin: {message}", file=sys.stderr)
    raise SystemExit(2)


def _positive(value: str) -> int:
    seconds = int(value)
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return seconds


def _token(args: argparse.Namespace) -> None:
    """Print a token for ``args.username`` signed with CASCADE_JWT_SECRET; the unit and roles
    are the operator's word (the directory may still be empty), the claims the dev tokens'."""
    settings = Settings()
    if settings.jwks_url:
        _refuse(
            "CASCADE_JWKS_URL is set: the services accept only the identity provider's tokens, "
            "so get one there"
        )
    if not settings.jwt_secret:
        _refuse("CASCADE_JWT_SECRET is not set: give it the secret the services verify tokens with")
    principal = Principal(
        username=args.username, name=args.name or "", unit=args.unit, roles=args.roles
    )
    print(TokenVerifier(settings).issue(principal, args.ttl))


def _password_of(folder: Path, service: str) -> str:
    """The service's broker password, kept in ``folder/<service>`` (made on first use)."""
    path = folder / service
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24) + "\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _password_in(template: str, service: str) -> str:
    """The service's broker password, read from its file (``template`` with ``{service}``),
    typically a secret mounted from the operator's store: never made here."""
    path = Path(template.format(service=service))
    try:
        password = path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        _refuse(f"the broker password of {service}: cannot read {path} ({exc})")
    if not password:
        _refuse(f"the broker password of {service}: {path} is empty")
    return password


def _broker_users(args: argparse.Namespace) -> None:
    """Print or apply one broker user per service with the rights its events need."""
    settings = Settings()
    users = broker_users.broker_users(args.template, settings.namespace)
    if not args.apply:
        for line in broker_users.rabbitmqctl_commands(users, args.vhost, "CHANGE-ME"):
            print(line)
        return
    if args.password_files and "{service}" not in args.password_files:
        _refuse("--password-files must name each service's file with {service}")
    admin_user, _, admin_password = args.admin.partition(":")
    passwords = {
        u.service: (
            _password_in(args.password_files, u.service)
            if args.password_files
            else _password_of(args.passwords, u.service)
        )
        for u in users
    }
    asyncio.run(
        broker_users.apply(
            users,
            management_url=args.apply,
            admin=(admin_user, admin_password),
            vhost=args.vhost,
            passwords=passwords,
            namespace=settings.namespace,
            delivery_limit=settings.delivery_limit,
        )
    )
    for u in users:
        print(f"{u.name}: publishes {', '.join(broker_users.produced_by(u.service)) or 'nothing'}")


def admin_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="cascade-admin",
        description="Operate Cascade: dead letters, operators' tokens, broker users.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("dead-count", "how many messages a service has parked in its dead-letter queue"),
        ("replay-dead", "move a service's parked messages back to its queue"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("service", choices=sorted(subscriptions()))
    p = sub.add_parser(
        "token",
        help="print a bearer token signed with CASCADE_JWT_SECRET (no identity provider)",
        description="Print a bearer token for USERNAME, signed with CASCADE_JWT_SECRET like the "
        "dev tokens, for calling the API where there is no identity provider. Refused when "
        "CASCADE_JWKS_URL is set. The unit and roles are what the token grants: the directory "
        "is not consulted (it may still be empty).",
    )
    p.add_argument("username")
    p.add_argument("--unit", required=True, help="the user's org unit, e.g. vn or vn.hue")
    p.add_argument(
        "--role",
        dest="roles",
        action="append",
        required=True,
        choices=ROLES,
        help="a role the token grants (repeat for more)",
    )
    p.add_argument("--name", help="the user's display name")
    p.add_argument(
        "--ttl",
        type=_positive,
        metavar="SECONDS",
        help="lifetime (default: CASCADE_TOKEN_TTL_SECONDS, 8 hours)",
    )
    p = sub.add_parser(
        "broker-users",
        help="one RabbitMQ user per service, allowed to publish only its own event types",
        description="Print the rabbitmqctl commands that make one broker user per service "
        "(TEMPLATE with {service}), each allowed to publish only the event types it produces, "
        "or apply them through the management API (--apply URL). Then give each service its "
        "user in CASCADE_AMQP_URL and set CASCADE_BROKER_USER_TEMPLATE to TEMPLATE.",
    )
    p.add_argument("--template", default="cascade-{service}")
    p.add_argument("--vhost", default="/")
    p.add_argument("--apply", metavar="MANAGEMENT_URL", help="e.g. http://127.0.0.1:15672")
    p.add_argument("--admin", default="guest:guest", help="management API user:password")
    passwords = p.add_mutually_exclusive_group()
    passwords.add_argument(
        "--passwords",
        type=Path,
        default=Path("broker-passwords"),
        help="folder of one password file per service, made when missing (with --apply)",
    )
    passwords.add_argument(
        "--password-files",
        metavar="TEMPLATE",
        help="each service's password file, e.g. /run/secrets/broker-{service}: read, never "
        "made (with --apply; the secrets Compose mounts)",
    )
    args = parser.parse_args(argv)
    if args.command == "token":
        _token(args)
        return
    if args.command == "broker-users":
        _broker_users(args)
        return
    action = "count" if args.command == "dead-count" else "replay"
    try:
        n = asyncio.run(_dead_letters(action, args.service))
    except RuntimeError as exc:  # embedded mode: only the running process can replay
        print(f"cascade-admin: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    print(n)
