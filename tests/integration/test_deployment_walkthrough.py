"""docs/deployment.md's "Without Docker", run as written on this machine: every shell block of
the section, in order, in one bash (as the section tells an operator to), against this
machine's PostgreSQL and RabbitMQ and Debian's nginx, so the section stays true.

As for the README's walk-through (test_readme_walkthrough.py), the blocks are read from the
document itself and run with ``bash -euo pipefail``. A few literal substitutions keep the run
isolated, and nothing else; each one must apply (a document that no longer says what one
replaces fails here rather than run unisolated):

- PostgreSQL: the test server over TCP as its superuser in place of ``sudo -u postgres psql``,
  and this run's own role and database names, in the URLs and in a copy of the init script;
- RabbitMQ: a virtual host of this run's own (made and deleted here), the test broker's
  management API, and this run's own names for the users the section makes: its administrator
  (made with ``rabbitmqctl`` as the section says or, where ``rabbitmqctl`` cannot reach the test
  broker, ``guest`` in its place) and the services' users, made by ``cascade-admin broker-users``
  and deleted afterwards; this run's namespace;
- this run's free ports in place of 8000-8006, in the blocks and in the copy of the gateway
  configuration their ``sed`` reads; a temporary folder in place of ``/etc/cascade``,
  ``/var/log/cascade`` and ``/run/cascade-gateway.pid``; ``sudo`` dropped when run as root.

Between the first call (step 8) and the stop (step 9) the script waits while the test checks,
through the gateway, every process's health, the minted token's calls and what is refused, and,
through the management API, that each service is connected as its own broker user.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent
from urllib.parse import quote

import httpx
import jwt
import pytest
from cascade_shared.chassis import broker_users

from tests import infra
from tests.cluster import BIN, free_port
from tests.e2e.test_faults import MGMT, _management_reachable

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deployment.md"
PROCESSES = ["plans", "approvals", "notifications", "results", "audit", "portal"]
DATABASES = ["plans", "approvals", "notifications", "results", "audit"]
PORTS = range(8000, 8007)  # the gateway's, then the services' and the portal's
PATH = f"{os.environ.get('PATH', '')}:/usr/local/sbin:/usr/sbin:/sbin"  # nginx, rabbitmqctl
ENV = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")} | {"PATH": PATH}
PSQL = ["psql", "-h", infra.PG_HOST, "-p", str(infra.PG_PORT), "-U", infra.PG_USER]
STARTUP_SECONDS = 480  # a ceiling, not a measure: 90 s alone, 200 s seen on a loaded machine
GUEST = ("guest", "guest")  # the test broker's administrator


def without_docker() -> list[str]:
    """The shell blocks of the section, in order, unindented (they sit in a numbered list)."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"^## Without Docker\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, 'docs/deployment.md has no section "Without Docker"'
    blocks = re.findall(r"^( *)```sh\n(.*?)^\1```$", match.group(1), re.S | re.M)
    return [dedent(body) for _, body in blocks]


def need(available: object, reason: str) -> None:
    """Skip when something the section needs is missing here; with CI=true, fail instead."""
    if available:
        return
    if infra.IN_CI:
        pytest.fail(f"{reason}; CI needs it", pytrace=False)
    pytest.skip(reason)


def as_root() -> list[str] | None:
    """How the section's ``sudo`` lines run: [] as root, ``sudo -n`` with passwordless sudo."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"]).returncode == 0:
        return ["sudo", "-n"]
    return None


def rabbitmqctl_reaches_the_broker(root: list[str]) -> bool:
    if not shutil.which("rabbitmqctl", path=PATH):
        return False
    if infra.AMQP_HOST not in ("127.0.0.1", "localhost"):
        return False
    try:
        probe = subprocess.run(
            [*root, "rabbitmqctl", "-q", "list_vhosts"], capture_output=True, timeout=60, env=ENV
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


class Substitutions:
    """Replacements, in order, each of which must apply somewhere."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, Callable[[re.Match[str]], str]]] = []
        self.used: set[int] = set()

    def literal(self, old: str, new: str) -> None:
        self.rules.append((re.escape(old), lambda _: new))

    def pattern(self, regex: str, new: str | Callable[[re.Match[str]], str]) -> None:
        self.rules.append((regex, new if callable(new) else (lambda _: new)))

    def apply(self, text: str) -> str:
        for i, (regex, new) in enumerate(self.rules):
            text, n = re.subn(regex, new, text, flags=re.M)
            self.used |= {i} if n else set()
        return text

    def check(self) -> None:
        unused = [regex for i, (regex, _) in enumerate(self.rules) if i not in self.used]
        assert not unused, f"the text no longer says what these replace: {unused}"


@dataclass
class Run:
    """This run's names, ports and folder; its role, databases, broker users and virtual host
    are dropped afterwards."""

    tmp: Path
    role: str
    databases: str  # the prefix of this run's database names
    ports: dict[int, int]
    script: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def vhost(self) -> str:
        return self.role

    @property
    def broker_admin(self) -> str:
        """The section's broker administrator (``cascade``), renamed."""
        return f"{self.role}_admin"

    @property
    def user_template(self) -> str:
        """The services' broker users (``cascade-{service}``), renamed."""
        return f"{self.role}-{{service}}"

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports[8000]}"

    def remap_ports(self, match: re.Match[str]) -> str:
        return str(self.ports[int(match[0])])

    def logs(self) -> str:
        files = [self.tmp / "walkthrough.log", *sorted((self.tmp / "log").glob("*.log"))]
        return "\n".join(_tail(f) for f in files)


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"--- {path.name}: none"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return f"--- {path.name}\n" + "\n".join(text)


PORT = r"(?<![\d.])800[0-6](?!\d)"


def isolate(run: Run, namespace: str, root: list[str], rabbitmqctl: bool) -> Substitutions:
    """The substitutions for the blocks; writes the copies of the deploy files they read."""
    conf = Substitutions()
    conf.pattern(PORT, run.remap_ports)
    nginx_conf = (ROOT / "deploy" / "gateway" / "nginx.conf").read_text(encoding="utf-8")
    (run.tmp / "nginx.conf").write_text(conf.apply(nginx_conf), encoding="utf-8")
    conf.check()

    sql = Substitutions()
    sql.literal("rolname = 'cascade'", f"rolname = '{run.role}'")
    sql.literal("CREATE ROLE cascade LOGIN", f"CREATE ROLE {run.role} LOGIN")
    sql.pattern(r"\bOWNER cascade\b", f"OWNER {run.role}")
    sql.pattern(r"\bTO cascade;", f"TO {run.role};")
    sql.pattern(r"\bcascade_(?=(plans|approvals|notifications|results|audit)\b)", run.databases)
    init_sql = (ROOT / "deploy" / "postgres" / "init-databases.sql").read_text(encoding="utf-8")
    (run.tmp / "init-databases.sql").write_text(sql.apply(init_sql), encoding="utf-8")
    sql.check()

    subs = Substitutions()
    subs.pattern(PORT, run.remap_ports)  # first, before names that might hold such digits
    admin = run.broker_admin
    if rabbitmqctl:  # the section's own commands, for an administrator of this run's
        subs.literal("rabbitmqctl add_user cascade ", f"rabbitmqctl add_user {admin} ")
        subs.literal("set_user_tags cascade ", f"set_user_tags {admin} ")
        subs.literal("set_permissions -p / cascade ", f"set_permissions -p {run.vhost} {admin} ")
        subs.literal('--admin "cascade:', f'--admin "{admin}:')
    else:
        subs.pattern(r"^sudo rabbitmq(ctl|-plugins) .*$", ": rabbitmqctl cannot reach the broker")
        subs.pattern(r'--admin "cascade:\$\(cat [^)]*\)"', "--admin " + ":".join(GUEST))
    subs.literal(
        "--apply http://127.0.0.1:15672 --vhost / ", f"--apply {MGMT} --vhost {run.vhost} "
    )
    subs.literal(
        "CASCADE_BROKER_USER_TEMPLATE='cascade-{service}'",
        f"CASCADE_BROKER_USER_TEMPLATE='{run.user_template}'",
    )
    subs.pattern(
        r"amqp://cascade-(\w+)@127\.0\.0\.1:5672/",
        lambda m: (
            f"amqp://{run.user_template.format(service=m[1])}@{infra.AMQP_HOST}:"
            f"{infra.AMQP_PORT}/{quote(run.vhost, safe='')}"
        ),
    )
    subs.literal("CASCADE_NAMESPACE=cascade ", f"CASCADE_NAMESPACE={namespace} ")
    subs.literal("sudo -u postgres psql", " ".join(PSQL))
    subs.literal(
        "postgresql+asyncpg://cascade:cascade@127.0.0.1:5432",
        f"postgresql+asyncpg://{run.role}:cascade@{infra.PG_HOST}:{infra.PG_PORT}",
    )
    subs.pattern(
        r"\bcascade_(?=(plans|approvals|notifications|results|audit|\$svc)\b)", run.databases
    )
    subs.literal("deploy/postgres/init-databases.sql", str(run.tmp / "init-databases.sql"))
    subs.literal("deploy/gateway/nginx.conf", str(run.tmp / "nginx.conf"))
    subs.literal("/etc/cascade", str(run.tmp / "etc"))
    subs.literal("/var/log/cascade", str(run.tmp / "log"))
    subs.literal("/run/cascade-gateway.pid", str(run.tmp / "gateway.pid"))
    subs.literal(".venv/bin/", f"{BIN}/")
    subs.pattern(r"\bsudo ", "sudo -n " if root else "")
    return subs


def pause(run: Run) -> str:
    """Where the script waits for the test's checks: the token and the jobs written out."""
    return dedent(f"""
        printf %s "$TOKEN" > {run.tmp}/token
        jobs -p > {run.tmp}/pids
        touch {run.tmp}/ready
        until [ -e {run.tmp}/go ]; do sleep 0.2; done
        """)


def broker_api() -> httpx.Client:
    return httpx.Client(base_url=MGMT, auth=GUEST, timeout=30)


def service_connections(run: Run) -> dict[str, str]:
    """Which broker user each open connection of this run's virtual host is, by name."""
    with broker_api() as api:
        r = api.get(f"/api/vhosts/{quote(run.vhost, safe='')}/connections")
        r.raise_for_status()
        return {c["name"]: c["user"] for c in r.json()}


@pytest.fixture
def run(postgres: None, rabbitmq: None, tmp_path: Path) -> Iterator[Run]:
    _management_reachable()
    name = f"cascade_t_{infra.RUN_ID}_{uuid.uuid4().hex[:6]}"
    ports: set[int] = set()
    while len(ports) < len(PORTS):
        ports.add(free_port())
    this = Run(
        tmp_path,
        role=name,
        databases=f"{name}_",
        ports=dict(zip(PORTS, sorted(ports), strict=True)),
    )
    vhost = quote(this.vhost, safe="")
    with broker_api() as api:  # the run's virtual host, where guest (the fallback) may act too
        api.put(f"/api/vhosts/{vhost}").raise_for_status()
        everything = {"configure": ".*", "write": ".*", "read": ".*"}
        api.put(f"/api/permissions/{vhost}/guest", json=everything).raise_for_status()
    try:
        yield this
    finally:
        stop_leftovers(this)
        for db in DATABASES:
            drop = f'DROP DATABASE IF EXISTS "{this.databases}{db}" WITH (FORCE)'
            subprocess.run([*PSQL, "-c", drop], capture_output=True, timeout=60, env=ENV)
        drop_role = f'DROP ROLE IF EXISTS "{this.role}"'
        subprocess.run([*PSQL, "-c", drop_role], capture_output=True, timeout=60, env=ENV)
        users = [this.broker_admin]
        users += [u.name for u in broker_users.broker_users(this.user_template, this.role)]
        with broker_api() as api:  # its exchanges and queues go with the virtual host
            for user in users:
                api.delete(f"/api/users/{quote(user, safe='')}")
            api.delete(f"/api/vhosts/{vhost}")


def stop_leftovers(run: Run) -> None:
    """After a failure: the gateway by its pid file; the script, and the services it started in
    the background, by their process group (the script's own)."""
    pid_file = run.tmp / "gateway.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGQUIT)
        except (ValueError, ProcessLookupError, PermissionError):
            pass
    script = run.script
    if script is None or script.poll() == 0:  # the stop step waited for every service
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(script.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and group_alive(script.pid):
            script.poll()
            time.sleep(0.2)
    script.wait()


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_without_docker_section_runs_as_written(run: Run, namespace: str) -> None:
    need(shutil.which("nginx", path=PATH), "Debian's nginx is not installed (`make nginx`)")
    root = as_root()
    need(root is not None, "the section runs nginx and rabbitmqctl with sudo: root needed")
    assert root is not None
    need(shutil.which("psql"), "psql is not installed")
    need(shutil.which("curl"), "curl is not installed")

    blocks = without_docker()
    assert "-s quit" in blocks[-1] and "kill" in blocks[-1], "the last step stops everything"
    assert "cascade-admin token" in blocks[-2], "the step before the stop mints a token"
    subs = isolate(run, namespace, root, rabbitmqctl_reaches_the_broker(root))
    script = subs.apply("\n".join([*blocks[:-1], pause(run), blocks[-1]]))
    subs.check()
    (run.tmp / "walkthrough.sh").write_text(script, encoding="utf-8")

    started = time.monotonic()
    with (run.tmp / "walkthrough.log").open("wb") as log:
        run.script = subprocess.Popen(
            ["bash", "-euo", "pipefail", str(run.tmp / "walkthrough.sh")],
            cwd=ROOT,
            env=ENV,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its background jobs share its group, to stop on failure
        )
    while not (run.tmp / "ready").exists():
        code = run.script.poll()
        assert code is None, f"the section failed (exit {code}):\n{run.logs()}"
        assert time.monotonic() - started < STARTUP_SECONDS, f"still not up:\n{run.logs()}"
        time.sleep(0.2)

    output = (run.tmp / "walkthrough.log").read_text(encoding="utf-8", errors="replace")
    assert "test is successful" in output  # nginx -t on the generated configuration
    assert '"total":0' in output  # the first call: no plans, no demo seeded
    token = (run.tmp / "token").read_text()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["unit"], claims["roles"]) == ("ops.admin", "vn", ["admin"])
    assert claims["aud"] == "cascade" and claims["exp"] - claims["iat"] == 3600
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=run.gateway, timeout=30) as gateway:
        assert gateway.get("/healthz").text == "ok\n"
        for name in PROCESSES:  # every process, through the gateway
            assert gateway.get(f"/api/{name}/health").status_code == 200, name
        plans = gateway.get("/api/plans", headers=bearer)
        assert plans.status_code == 200 and plans.json()["items"] == [], plans.text
        units = gateway.get("/api/directory/units", headers=bearer)
        assert [u["code"] for u in units.json()] == ["vn"], units.text  # the unit step 8 made
        portal = gateway.get("/", follow_redirects=True)
        assert portal.status_code == 200 and "/portal/" in str(portal.url), portal.text[:500]
        # Refused: no token, a token signed with another secret, the dev-token endpoint.
        assert gateway.get("/api/plans").status_code == 401
        forged = jwt.encode({**claims, "sub": "mallory"}, "another-secret-of-32-bytes-or-more")
        forged_call = gateway.get("/api/plans", headers={"Authorization": f"Bearer {forged}"})
        assert forged_call.status_code == 401
        dev = gateway.post("/api/auth/dev-token", json={"username": "ops.admin"})
        assert dev.status_code == 404

    # Each service on the broker as its own user, made by step 5 with the rights of its events.
    own = {run.user_template.format(service=s) for s in DATABASES}
    for service in DATABASES:
        assert f"{run.user_template.format(service=service)}: publishes " in output, output
    deadline = time.monotonic() + 60
    while set(service_connections(run).values()) != own:  # the broker lists them a bit later
        assert time.monotonic() < deadline, (service_connections(run), own)
        time.sleep(0.5)

    jobs = [int(pid) for pid in (run.tmp / "pids").read_text().split()]
    assert len(jobs) == len(PROCESSES), jobs  # the five services and the portal
    (run.tmp / "go").touch()
    try:
        code = run.script.wait(timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the stop step did not finish:\n{run.logs()}")
    assert code == 0, f"the stop step failed (exit {code}):\n{run.logs()}"
    deadline = time.monotonic() + 15
    while (run.tmp / "gateway.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # nginx -s quit returns before the gateway has gone
    assert not (run.tmp / "gateway.pid").exists(), "the gateway did not stop"
    assert not [pid for pid in jobs if alive(pid)], "a service outlived the stop step"
    print(f"Without Docker: up in {time.monotonic() - started:.0f} s, run and stopped")
