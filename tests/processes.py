"""Real processes for tests and benchmarks: a console script of this checkout started on a free
port with a clean ``CASCADE_*`` environment, ready once its health URL answers."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.cluster import BIN, free_port


@dataclass(frozen=True)
class Running:
    base: str
    log: Path
    env: dict[str, str]
    pid: int = 0
    """The process's id (the benchmarks read its CPU time)."""

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(
    script: str,
    workdir: Path,
    health: str,
    *,
    port_variable: str = "CASCADE_PORT",
    timeout: float = 120.0,
    **env_vars: str,
) -> Iterator[Running]:
    """Run ``script`` (e.g. ``cascade-embedded``) until the block ends; ``health`` is the path
    that answers 200 once it has started. Extra ``CASCADE_*`` settings come as keywords."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env.update({port_variable: str(port), **env_vars})
    log_path = workdir / f"{script}.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(BIN / script)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if server.poll() is not None:
                    raise AssertionError(f"{script} exited:\n{log_path.read_text()}")
                try:
                    if httpx.get(f"{base}{health}", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{script} did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield Running(base, log_path, env, server.pid)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextmanager
def embedded(workdir: Path, **env_vars: str) -> Iterator[Running]:
    """``cascade-embedded`` - what ``make run`` starts - with its data in ``workdir``."""
    with serve(
        "cascade-embedded",
        workdir,
        "/api/audit/health",
        CASCADE_DATA_DIR=str(workdir / "data"),
        **env_vars,
    ) as running:
        yield running
