"""Several replicas of every service, as their own processes, behind the project's own gateway
(deploy/gateway/nginx.conf run by Debian's nginx, its upstreams pointed at the replicas), sharing
each service's database and queue: the scaled-out distributed mode, on one machine."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import infra
from tests.cluster import BIN, SERVICES, Cluster, free_port, make_cluster, stop

ROOT = Path(__file__).resolve().parent.parent
NGINX_PATH = "/usr/sbin:/usr/local/sbin:/usr/bin"


def require_nginx() -> str:
    nginx = shutil.which("nginx", path=NGINX_PATH)
    if nginx is None:
        if infra.IN_CI:
            pytest.fail("nginx is needed for the replicated cluster in CI (make nginx)")
        pytest.skip("Debian's nginx is not installed (make nginx)")
    return nginx


class ReplicatedCluster:
    """``replicas`` processes per service; the gateway balances them round robin and passes a
    request that a stopped replica could not take on to another (``proxy_next_upstream``)."""

    def __init__(self, cluster: Cluster, replicas: int, nginx: str) -> None:
        self.cluster = cluster
        self.replicas = replicas
        self.nginx = nginx
        self.gateway_port = free_port()
        self.base = f"http://127.0.0.1:{self.gateway_port}"
        self.replica_ports = {s: [free_port() for _ in range(replicas)] for s in SERVICES}
        self.processes: dict[tuple[str, int], subprocess.Popen[bytes]] = {}
        self.gateway: subprocess.Popen[bytes] | None = None
        self.logs = cluster.logs

    # -- the gateway ---------------------------------------------------------------------------
    def gateway_conf(self) -> Path:
        conf = (ROOT / "deploy" / "gateway" / "nginx.conf").read_text(encoding="utf-8")

        def upstream(match: re.Match[str]) -> str:
            service = match.group(1)
            if service == "portal":  # not started here
                return "server 127.0.0.1:9;"
            return " ".join(f"server 127.0.0.1:{p};" for p in self.replica_ports[service])

        conf = re.sub(r"server (\w+):\d+;", upstream, conf)
        conf = re.sub(r"(?m)^user nginx;\n", "", conf)
        conf = conf.replace("pid /var/run/nginx.pid;", f"pid {self.logs / 'nginx.pid'};")
        conf = re.sub(r"listen 8000;", f"listen 127.0.0.1:{self.gateway_port};", conf)
        conf = re.sub(r"listen \[::\]:8000;\n", "", conf)
        path = self.logs / "gateway.conf"
        path.write_text(conf, encoding="utf-8")
        return path

    def start_gateway(self) -> None:
        conf = self.gateway_conf()
        log = open(self.logs / "gateway.log", "ab")
        self.gateway = subprocess.Popen(
            [self.nginx, "-c", str(conf), "-p", str(self.logs), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    # -- replicas ------------------------------------------------------------------------------
    def env(self, service: str, replica: int) -> dict[str, str]:
        env = self.cluster.env(service)
        env["CASCADE_PORT"] = str(self.replica_ports[service][replica])
        # Calls between services go through the gateway, which finds a live replica.
        if service == "approvals":
            env["CASCADE_APPROVALS_PLANS_URL"] = self.base
        if service == "audit":
            env.pop("CASCADE_AUDIT_SERVICE_URLS", None)
            env["CASCADE_AUDIT_BASE_URL"] = self.base
        return env

    def start(self, service: str, replica: int) -> None:
        log = open(self.logs / f"{service}-{replica}.log", "ab")
        self.processes[(service, replica)] = subprocess.Popen(
            [str(BIN / f"cascade-{service}")],
            env=self.env(service, replica),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    async def wait_ready(self, service: str, replica: int, timeout: float = 120.0) -> None:
        url = f"http://127.0.0.1:{self.replica_ports[service][replica]}/api/{service}/health"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                proc = self.processes[(service, replica)]
                if proc.poll() is not None:
                    raise AssertionError(
                        f"{service}-{replica} exited:\n{self.tail(service, replica)}"
                    )
                try:
                    if (await client.get(url, timeout=2)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if loop.time() > deadline:
                    raise AssertionError(
                        f"{service}-{replica} not ready:\n{self.tail(service, replica)}"
                    )
                await asyncio.sleep(0.1)

    async def start_all(self) -> None:
        for service in SERVICES:
            for replica in range(self.replicas):
                self.start(service, replica)
        for service in SERVICES:
            for replica in range(self.replicas):
                await self.wait_ready(service, replica)
        self.start_gateway()
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                try:
                    if (await client.get(f"{self.base}/healthz", timeout=2)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the gateway did not start:\n" + self.gateway_log())

    def kill(self, service: str, replica: int) -> None:
        proc = self.processes.pop((service, replica))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        if self.gateway is not None:
            self.gateway.terminate()
            self.gateway.wait(timeout=15)
        for key in list(self.processes):
            stop(self.processes.pop(key))

    def tail(self, service: str, replica: int, lines: int = 60) -> str:
        path = self.logs / f"{service}-{replica}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def gateway_log(self) -> str:
        path = self.logs / "gateway.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=30, **kwargs)


async def make_replicated(
    pg_database: Any, namespace: str, tmp_path: Path, replicas: int = 2
) -> ReplicatedCluster:
    nginx = require_nginx()
    cluster = await make_cluster(pg_database, namespace, tmp_path)
    return ReplicatedCluster(cluster, replicas, nginx)
