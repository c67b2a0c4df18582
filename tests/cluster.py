"""Distributed mode for tests: each service its own OS process (its console script), each with
its own PostgreSQL database, all on one RabbitMQ namespace; a client that routes by path prefix
like the gateway does."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests import infra

SERVICES = ["plans", "approvals", "notifications", "results", "audit"]
PREFIXES = {
    "/api/plans": "plans",
    "/api/directory": "plans",
    "/api/auth": "plans",
    "/api/approvals": "approvals",
    "/api/notifications": "notifications",
    "/api/results": "results",
    "/api/audit": "audit",
}
BIN = Path(sys.executable).parent


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not stopped within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _below_ephemeral() -> range:
    """Ports below the kernel's ephemeral range (where outgoing connections get theirs)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return range(max(1024, low - 12000), low)


_PORTS = _below_ephemeral()
_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, for a server this run starts. Taken below the ephemeral range,
    so no outgoing connection (of this process or another) can take it between this call and the
    server's bind, as a port the kernel picked with bind(0) could be; and each port only once per
    run, starting at a place of this process's own, so two starts never get the same one."""
    offset = (os.getpid() * 7919) % len(_PORTS)
    for i in range(len(_PORTS)):
        port = _PORTS[(offset + i) % len(_PORTS)]
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {_PORTS}")


class Cluster:
    def __init__(
        self, namespace: str, databases: dict[str, str], logs: Path, amqp_url: str = infra.AMQP_URL
    ) -> None:
        self.namespace = namespace
        self.databases = databases
        self.logs = logs
        self.amqp_urls = {s: amqp_url for s in SERVICES}
        self.ports = {s: free_port() for s in SERVICES}
        self.extra_env: dict[str, str] = {}
        """Settings every service of this cluster gets besides the defaults below."""
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def env(self, service: str, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
        env.update(
            {
                "CASCADE_SERVICE": service,
                "CASCADE_DATABASE_URL": self.databases[service],
                "CASCADE_BUS": "rabbitmq",
                "CASCADE_AMQP_URL": self.amqp_urls[service],
                "CASCADE_NAMESPACE": self.namespace,
                "CASCADE_PORT": str(self.ports[service]),
                "CASCADE_JWT_SECRET": "distributed-test-secret-of-at-least-32-bytes",
                "CASCADE_DEV_TOKENS": "true",
                # The demo directory, users and programs the tests sign in as (off by default
                # outside embedded mode).
                "CASCADE_SEED_DEMO": "true",
                "CASCADE_RELAY_POLL_INTERVAL": "0.5",
                "CASCADE_PUBLISH_TIMEOUT": "3",
                "CASCADE_DELIVERY_LIMIT": "3",
                "CASCADE_LOG_LEVEL": "INFO",
            }
        )
        if service == "approvals":
            env["CASCADE_APPROVALS_PLANS_URL"] = f"http://127.0.0.1:{self.ports['plans']}"
        if service == "audit":
            env["CASCADE_AUDIT_SERVICE_URLS"] = json.dumps(
                {s: f"http://127.0.0.1:{port}" for s, port in self.ports.items()}
            )
        env.update(self.extra_env)
        env.update(extra)
        return env

    async def migrate(self) -> None:
        """``cascade-migrate <service>`` for every service, as the compose file's step does."""

        async def one(service: str) -> None:
            proc = await asyncio.create_subprocess_exec(
                str(BIN / "cascade-migrate"),
                service,
                env=self.env(service),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await proc.communicate()
            assert proc.returncode == 0, out.decode()

        await asyncio.gather(*(one(s) for s in SERVICES))

    def start(self, service: str, command: list[str] | None = None, **extra_env: str) -> None:
        log = open(self.logs / f"{service}.log", "ab")
        self.processes[service] = subprocess.Popen(
            command or [str(BIN / f"cascade-{service}")],
            env=self.env(service, **extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    async def wait_healthy(self, service: str, timeout: float = 120.0) -> None:
        url = f"http://127.0.0.1:{self.ports[service]}/api/{service}/health"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                proc = self.processes[service]
                if proc.poll() is not None:
                    raise AssertionError(
                        f"{service} exited with {proc.returncode}:\n" + self.log_tail(service)
                    )
                try:
                    if (await client.get(url, timeout=2)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if loop.time() > deadline:
                    raise AssertionError(f"{service} not healthy:\n" + self.log_tail(service))
                await asyncio.sleep(0.1)

    async def start_all(self) -> None:
        for service in SERVICES:
            self.start(service)
        for service in SERVICES:
            await self.wait_healthy(service)

    def kill(self, service: str, sig: int = signal.SIGKILL) -> None:
        proc = self.processes.pop(service)
        proc.send_signal(sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for service in list(self.processes):
            stop(self.processes.pop(service))

    def log_tail(self, service: str, lines: int = 60) -> str:
        path = self.logs / f"{service}.log"
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            if path.exists()
            else ""
        )

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=PrefixRouter(self.ports), base_url="http://gateway", timeout=30
        )


class PrefixRouter(httpx.AsyncBaseTransport):
    """Does what the gateway does: send each path prefix to the service that owns it."""

    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        service = next((s for p, s in PREFIXES.items() if path.startswith(p)), None)
        if service is None:
            return httpx.Response(404, json={"detail": "no route"})
        request.url = request.url.copy_with(
            scheme="http", host="127.0.0.1", port=self.ports[service]
        )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def make_cluster(
    pg_database: Any, namespace: str, tmp_path: Path, amqp_urls: dict[str, str] | None = None
) -> Cluster:
    databases = {s: await pg_database(s) for s in SERVICES}
    cluster = Cluster(namespace, databases, tmp_path)
    if amqp_urls:
        cluster.amqp_urls.update(amqp_urls)
    await cluster.migrate()
    return cluster
