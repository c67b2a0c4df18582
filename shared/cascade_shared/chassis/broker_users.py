"""One RabbitMQ user per service, with only the rights its part of the catalogue needs.

Each service may configure and bind the namespace's topology (every service declares all of it at
start), consume only its own queue and dead-letter queue, and publish on the events exchange only
the routing keys of the event types it produces (RabbitMQ's topic permissions). Together with the
validated ``user_id`` the bus sets on every message, a consumer knows which service sent an event
(:meth:`cascade_shared.bus.rabbitmq.RabbitMQBus.refusal`).

``cascade-admin broker-users`` prints these rights as ``rabbitmqctl`` commands, or declares the
topology and applies them through the management API.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from cascade_shared.bus.rabbitmq import RabbitMQBus
from cascade_shared.chassis.registry import subscriptions
from cascade_shared.events import CATALOGUE


@dataclass(frozen=True)
class BrokerUser:
    service: str
    name: str
    configure: str
    write: str
    read: str
    exchange: str
    topic_write: str
    """The routing keys it may publish on ``exchange``: exactly the types it produces."""
    topic_read: str = ".*"


def services() -> list[str]:
    producers = {spec.producer for spec in CATALOGUE.values()}
    return sorted(producers | set(subscriptions()))


def produced_by(service: str) -> list[str]:
    return sorted(t for t, spec in CATALOGUE.items() if spec.producer == service)


def broker_user(service: str, template: str, namespace: str) -> BrokerUser:
    ns = re.escape(namespace)
    own = re.escape(service)
    produced = produced_by(service)
    return BrokerUser(
        service=service,
        name=template.format(service=service),
        configure=f"^{ns}\\.",
        # Its queues' bindings (every service declares the whole topology), the events exchange,
        # and the default exchange, through which a replay sends parked messages back.
        write=f"^({ns}\\..*|amq\\.default)$",
        read=f"^{ns}\\.(events|dlx|{own}|{own}\\.dead)$",
        exchange=f"{namespace}.events",
        topic_write="^(" + "|".join(re.escape(t) for t in produced) + ")$" if produced else "^$",
    )


def broker_users(template: str, namespace: str) -> list[BrokerUser]:
    return [broker_user(s, template, namespace) for s in services()]


def rabbitmqctl_commands(users: list[BrokerUser], vhost: str, password: str) -> list[str]:
    """The commands that create the users (all with ``password``: change each afterwards with
    ``rabbitmqctl change_password``) and give them their rights."""
    q = shlex.quote
    lines = []
    for u in users:
        lines += [
            f"rabbitmqctl add_user {q(u.name)} {q(password)}",
            f"rabbitmqctl set_permissions -p {q(vhost)} {q(u.name)} "
            f"{q(u.configure)} {q(u.write)} {q(u.read)}",
            f"rabbitmqctl set_topic_permissions -p {q(vhost)} {q(u.name)} {q(u.exchange)} "
            f"{q(u.topic_write)} {q(u.topic_read)}",
        ]
    return lines


async def declare_topology(
    api: httpx.AsyncClient, vhost: str, namespace: str, delivery_limit: int
) -> None:
    """The exchanges, queues and bindings every service declares at start, declared once by the
    operator: a service's own user may declare only its own queue, and an event published before
    a consumer first starts must already find that consumer's queue."""
    v = quote(vhost, safe="")
    bus = RabbitMQBus("amqp://operator@broker/", namespace=namespace, delivery_limit=delivery_limit)
    for name, type_ in ((bus.exchange_name, "topic"), (bus.dead_letter_exchange_name, "direct")):
        r = await api.put(
            f"/api/exchanges/{v}/{quote(name, safe='')}", json={"type": type_, "durable": True}
        )
        r.raise_for_status()
    for service, patterns in subscriptions().items():
        queue, dead = bus.queue_name(service), bus.dead_letter_queue_name(service)
        for name, arguments in (
            (queue, bus.queue_arguments(service)),
            (dead, {"x-queue-type": "quorum"}),
        ):
            r = await api.put(
                f"/api/queues/{v}/{quote(name, safe='')}",
                json={"durable": True, "arguments": arguments},
            )
            r.raise_for_status()
        for exchange, target, key in [
            *((bus.exchange_name, queue, p) for p in patterns),
            (bus.dead_letter_exchange_name, dead, service),
        ]:
            r = await api.post(
                f"/api/bindings/{v}/e/{quote(exchange, safe='')}/q/{quote(target, safe='')}",
                json={"routing_key": key},
            )
            r.raise_for_status()


async def apply(
    users: list[BrokerUser],
    *,
    management_url: str,
    admin: tuple[str, str],
    vhost: str,
    passwords: dict[str, str],
    namespace: str,
    delivery_limit: int,
) -> None:
    """Declare the topology, then create or update each user (password from ``passwords`` by
    service) and its rights, through RabbitMQ's management API."""
    v = quote(vhost, safe="")
    async with httpx.AsyncClient(base_url=management_url, auth=admin, timeout=10) as api:
        await declare_topology(api, vhost, namespace, delivery_limit)
        for u in users:
            name = quote(u.name, safe="")
            for path, body in (
                (f"/api/users/{name}", {"password": passwords[u.service], "tags": ""}),
                (
                    f"/api/permissions/{v}/{name}",
                    {"configure": u.configure, "write": u.write, "read": u.read},
                ),
                (
                    f"/api/topic-permissions/{v}/{name}",
                    {"exchange": u.exchange, "write": u.topic_write, "read": u.topic_read},
                ),
            ):
                r = await api.put(path, json=body)
                r.raise_for_status()


async def remove(users: list[BrokerUser], *, management_url: str, admin: tuple[str, str]) -> None:
    async with httpx.AsyncClient(base_url=management_url, auth=admin, timeout=10) as api:
        for u in users:
            await api.delete(f"/api/users/{quote(u.name, safe='')}")
