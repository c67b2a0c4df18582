"""Static checks of the distributed-mode deployment files.

These read docker-compose.yml, deploy/Dockerfile, deploy/gateway/nginx.conf,
deploy/postgres/init-databases.sql, deploy/make-secrets.sh and .dockerignore and check that
they agree with each other and with the services in the workspace. No Docker engine is needed;
the one test that asks `docker compose` to validate the file is skipped when the compose plugin
is missing.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from cascade_shared.chassis import broker_users

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
NGINX_CONF = ROOT / "deploy" / "gateway" / "nginx.conf"
INIT_SQL = ROOT / "deploy" / "postgres" / "init-databases.sql"
DOCKERIGNORE = ROOT / ".dockerignore"
MAKE_SECRETS = ROOT / "deploy" / "make-secrets.sh"
SECRETS_DIR = ROOT / "deploy" / "secrets"

# The documented services, their default ports and the path prefixes each one owns.
KNOWN_SERVICES = {
    "plans": 8001,
    "approvals": 8002,
    "notifications": 8003,
    "results": 8006,
    "audit": 8004,
}
PREFIX_OWNERS = {
    "/api/plans": "plans",
    "/api/directory": "plans",
    "/api/auth": "plans",
    "/api/approvals": "approvals",
    "/api/notifications": "notifications",
    "/api/audit": "audit",
}
# services/ members that are not a separately deployed service with a database.
NOT_DEPLOYED = {"embedded", "portal"}
# Web fronts: deployed, but without a database, a migration or the bus.
FRONTS = {"portal": 8005}


# ----------------------------------------------------------------------------- helpers


def expected_services() -> list[str]:
    """Every deployable service: the four known ones plus any services/*/pyproject.toml."""
    found = {
        p.parent.name
        for p in (ROOT / "services").glob("*/pyproject.toml")
        if p.parent.name not in NOT_DEPLOYED
    }
    return sorted(found | set(KNOWN_SERVICES))


def load_compose() -> dict:
    with COMPOSE_FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)  # resolves the YAML anchors and << merges
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # KEY=VALUE list form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def depends_on(service: dict) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def secret_paths(service: dict) -> dict[str, str]:
    """secret name -> where Compose mounts it in the service's containers."""
    mounted: dict[str, str] = {}
    for entry in service.get("secrets") or []:
        if isinstance(entry, str):
            entry = {"source": entry}
        target = str(entry.get("target") or entry["source"])
        mounted[entry["source"]] = target if target.startswith("/") else f"/run/secrets/{target}"
    return mounted


def strip_nginx_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def nginx_upstreams() -> dict[str, list[tuple[str, int]]]:
    """upstream name -> [(host, port), ...] from its `server` lines."""
    text = strip_nginx_comments(NGINX_CONF.read_text(encoding="utf-8"))
    upstreams: dict[str, list[tuple[str, int]]] = {}
    for name, body in re.findall(r"\bupstream\s+([\w.-]+)\s*\{([^}]*)\}", text):
        upstreams[name] = [
            (host, int(port)) for host, port in re.findall(r"\bserver\s+([\w.-]+):(\d+)", body)
        ]
    return upstreams


def nginx_locations() -> list[tuple[str, str, str]]:
    """(modifier, path, body) for every `location` block (none of ours nest)."""
    text = strip_nginx_comments(NGINX_CONF.read_text(encoding="utf-8"))
    return re.findall(r"\blocation\s+(=|\^~|~\*|~)?\s*(\S+)\s*\{([^}]*)\}", text)


def proxy_target(body: str) -> str | None:
    match = re.search(r"\bproxy_pass\s+https?://([\w.-]+)(?::(\d+))?([^;\s]*)\s*;", body)
    if not match:
        return None
    assert match.group(3) == "", f"proxy_pass must not rewrite the path: {match.group(0)}"
    return match.group(1)


def route(path: str) -> tuple[str, str]:
    """The location nginx picks for `path` among our prefix/exact locations: (location, body)."""
    exact = [(p, b) for m, p, b in nginx_locations() if m == "=" and p == path]
    if exact:
        return exact[0]
    prefixes = [(p, b) for m, p, b in nginx_locations() if m in ("", "^~") and path.startswith(p)]
    assert prefixes, f"no location matches {path}"
    return max(prefixes, key=lambda pb: len(pb[0]))


def nginx_seconds(value: str) -> int:
    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
    match = re.fullmatch(r"(\d+)([smhd]?)", value)
    assert match, value
    return int(match.group(1)) * units[match.group(2)]


# ----------------------------------------------------------------------------- compose


def test_every_service_has_a_compose_service_and_a_migration_job():
    services = load_compose()["services"]
    for name in expected_services():
        assert name in services, f"docker-compose.yml lacks service {name!r}"
        assert f"migrate-{name}" in services, f"docker-compose.yml lacks migrate-{name}"


def test_infrastructure_services():
    services = load_compose()["services"]
    postgres, rabbitmq = services["postgres"], services["rabbitmq"]
    assert str(postgres["image"]).startswith("postgres:15")
    assert any("pg_isready" in part for part in postgres["healthcheck"]["test"])
    assert any(
        str(v).startswith("./deploy/postgres/init-databases.sql:/docker-entrypoint-initdb.d/")
        for v in postgres["volumes"]
    )
    assert str(rabbitmq["image"]).startswith("rabbitmq:3.13-management")
    assert rabbitmq["environment"]["RABBITMQ_DEFAULT_USER"] == "cascade"
    assert rabbitmq["environment"]["RABBITMQ_DEFAULT_PASS"] == "cascade"
    assert "rabbitmq-diagnostics" in rabbitmq["healthcheck"]["test"]
    published = {str(p).rsplit(":", 1)[-1] for p in rabbitmq["ports"]}
    assert {"5672", "15672"} <= published
    # Named volumes, so data survives `docker compose down` (without -v).
    named = set(load_compose().get("volumes") or {})
    for svc in (postgres, rabbitmq):
        sources = {str(v).split(":", 1)[0] for v in svc["volumes"]}
        assert sources & named, f"{svc['image']} has no named volume"


def test_services_build_from_the_one_dockerfile_with_their_name():
    services = load_compose()["services"]
    for name in expected_services():
        for key in (name, f"migrate-{name}"):
            build = services[key]["build"]
            assert build["dockerfile"] == "deploy/Dockerfile", key
            assert build.get("context", ".") in (".", "./"), key
            assert build["args"]["SERVICE"] == name, key
        # The migration job runs from the very image of its service.
        assert services[name]["image"] == services[f"migrate-{name}"]["image"]


def test_migration_jobs_are_one_shot_and_wait_for_postgres():
    services = load_compose()["services"]
    for name in expected_services():
        job = services[f"migrate-{name}"]
        command = job["command"]
        command = command.split() if isinstance(command, str) else command
        assert command == ["cascade-migrate", name]
        assert str(job["restart"]) == "no"
        assert depends_on(job).get("postgres") == "service_healthy"
        assert (
            environment(job)["CASCADE_DATABASE_URL"]
            == environment(services[name])["CASCADE_DATABASE_URL"]
        )


def test_services_wait_for_their_migrations_and_the_broker():
    services = load_compose()["services"]
    for name in expected_services():
        deps = depends_on(services[name])
        assert deps.get(f"migrate-{name}") == "service_completed_successfully", name
        assert deps.get("rabbitmq") == "service_healthy", name
        assert services[name]["restart"] == "unless-stopped", name


def test_service_environment():
    services = load_compose()["services"]
    databases: dict[str, str] = {}
    ports: dict[str, str] = {}
    for name in expected_services():
        env = environment(services[name])
        assert env["CASCADE_SERVICE"] == name
        # The settings default to loopback; the gateway reaches the service from outside.
        assert env["CASCADE_HOST"] == "0.0.0.0"
        assert env["CASCADE_BUS"] == "rabbitmq"
        assert env["CASCADE_NAMESPACE"] == "cascade"
        assert env["CASCADE_DEV_TOKENS"].lower() == "false"
        assert env["CASCADE_JWT_AUDIENCE"] == "cascade"
        assert env["CASCADE_LOG_FORMAT"] == "json"
        assert env["CASCADE_JWKS_URL"].startswith("${CASCADE_JWKS_URL:-")
        amqp = urlsplit(env["CASCADE_AMQP_URL"])
        assert amqp.scheme == "amqp" and amqp.hostname == "rabbitmq"
        assert amqp.password is None, f"{name}'s broker password is in its environment"
        db = urlsplit(env["CASCADE_DATABASE_URL"])
        assert db.scheme == "postgresql+asyncpg" and db.hostname == "postgres"
        databases[name] = database_name(env["CASCADE_DATABASE_URL"])
        ports[name] = env["CASCADE_PORT"]
        if name in KNOWN_SERVICES:
            assert databases[name] == f"cascade_{name}"
            assert ports[name] == str(KNOWN_SERVICES[name])
    assert len(set(databases.values())) == len(databases), f"shared database: {databases}"
    assert len(set(ports.values())) == len(ports), f"shared port: {ports}"


def test_every_service_connects_as_its_own_broker_user_with_a_secret_password():
    compose = load_compose()
    services, secrets = compose["services"], compose.get("secrets") or {}
    users: dict[str, str] = {}
    for name in expected_services():
        env = environment(services[name])
        # Its own user, the one the consumers expect its events from.
        template = env["CASCADE_BROKER_USER_TEMPLATE"]
        users[name] = urlsplit(env["CASCADE_AMQP_URL"]).username or ""
        assert users[name] == template.format(service=name), (name, users[name])
        # Its password: a file Compose mounts from a secret, never a literal.
        mounted = secret_paths(services[name])
        password_file = env["CASCADE_BROKER_PASSWORD_FILE"]
        assert password_file in mounted.values(), f"{name}: {password_file} is not a secret"
        (secret,) = [s for s, path in mounted.items() if path == password_file]
        assert str(secrets[secret]["file"]).startswith("./deploy/secrets/"), secret
        for key, value in env.items():
            assert not re.search(r"PASS|SECRET", key) or key.endswith("_FILE"), (name, key)
            assert not re.search(r"://[^/@:]+:[^/@]+@rabbitmq\b", value), (name, key)
    assert len(set(users.values())) == len(users), f"shared broker user: {users}"
    # Every service of the catalogue (producer or consumer) is one of them, with its user.
    assert set(broker_users.services()) <= set(users), broker_users.services()


def test_broker_users_are_made_from_the_same_secrets_before_any_service_starts():
    services = load_compose()["services"]
    job = services["broker-users"]
    assert str(job["restart"]) == "no"
    assert depends_on(job).get("rabbitmq") == "service_healthy"
    command = job["command"]
    assert command[:3] == ["cascade-admin", "broker-users", "--apply"], command
    assert urlsplit(command[3]).hostname == "rabbitmq" and urlsplit(command[3]).port == 15672
    option = dict(zip(command[4::2], command[5::2], strict=True))
    assert set(option) == {"--admin", "--template", "--password-files"}, option
    admin = option["--admin"].split(":", 1)[0]
    assert admin == services["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_USER"]
    assert environment(job)["CASCADE_NAMESPACE"] == "cascade"
    mounted = secret_paths(job)
    for name in expected_services():
        env = environment(services[name])
        assert option["--template"] == env["CASCADE_BROKER_USER_TEMPLATE"], name
        # The job reads each service's password from the very file the service reads.
        password_file = option["--password-files"].format(service=name)
        assert password_file == env["CASCADE_BROKER_PASSWORD_FILE"], name
        assert password_file in mounted.values(), name
        assert depends_on(services[name]).get("broker-users") == (
            "service_completed_successfully"
        ), name
    # The management API must answer before the job runs: the health check asks every
    # listener, not just the node.
    assert "check_port_connectivity" in services["rabbitmq"]["healthcheck"]["test"]


def test_make_secrets_makes_every_secret_compose_mounts(tmp_path: Path):
    secrets = load_compose().get("secrets") or {}
    files = {Path(str(spec["file"])).name for spec in secrets.values()}
    assert {Path(str(spec["file"])).parent for spec in secrets.values()} == {Path("deploy/secrets")}
    folder = tmp_path / "secrets"
    subprocess.run(["sh", str(MAKE_SECRETS), str(folder)], check=True, timeout=60)
    made = {p.name: p.read_text() for p in folder.iterdir()}
    assert set(made) == files
    assert all(re.fullmatch(r"[0-9a-f]{48}", v) for v in made.values()), made
    assert len(set(made.values())) == len(made), "two services share a password"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # Run again, it keeps every password (users and services already have them).
    subprocess.run(["sh", str(MAKE_SECRETS), str(folder)], check=True, timeout=60)
    assert {p.name: p.read_text() for p in folder.iterdir()} == made
    # The real folder's files are never committed, nor sent into an image.
    ignored = (SECRETS_DIR / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignored and "!.gitignore" in ignored


def test_gateway_service():
    services = load_compose()["services"]
    gateway = services["gateway"]
    assert str(gateway["image"]).startswith("nginx:1.27")
    assert "8000:8000" in [str(p) for p in gateway["ports"]]
    assert any(
        str(v).startswith("./deploy/gateway/nginx.conf:/etc/nginx/") for v in gateway["volumes"]
    )
    assert set(KNOWN_SERVICES) <= set(depends_on(gateway))


def test_docker_compose_config_is_valid():
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker CLI not installed: `docker compose config` not run")
    probe = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        pytest.skip("docker compose plugin not available: `docker compose config` not run")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_portal_is_deployed_behind_the_gateway():
    services = load_compose()["services"]
    portal = services["portal"]
    assert portal["build"]["args"]["SERVICE"] == "portal"
    assert portal["build"]["dockerfile"] == "deploy/Dockerfile"
    env = environment(portal)
    assert env["CASCADE_SERVICE"] == "portal"
    assert env["CASCADE_PORT"] == env["CASCADE_PORTAL_PORT"] == str(FRONTS["portal"])
    assert env["CASCADE_PORTAL_HOST"] == "0.0.0.0"
    assert urlsplit(env["CASCADE_PORTAL_API_URL"]).hostname == "gateway"
    assert depends_on(services["gateway"]).get("portal") == "service_healthy"
    conf = (ROOT / "deploy" / "gateway" / "nginx.conf").read_text(encoding="utf-8")
    assert re.search(r"upstream portal \{\s*server portal:8005;", conf)
    assert re.search(r"location /portal/ \{\s*proxy_pass http://portal;", conf)
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "'portal': '8005'" in dockerfile and "8005" in dockerfile.split("EXPOSE", 1)[1]


def test_every_audit_replica_signs_with_the_one_key_made_before_it_starts():
    services = load_compose()["services"]
    audit, keygen = services["audit"], services["audit-key"]
    key_file = environment(audit)["CASCADE_AUDIT_SIGNING_KEY_FILE"]
    assert keygen["command"] == ["cascade-audit-admin", "keygen", key_file]
    assert keygen["image"] == audit["image"] and str(keygen["restart"]) == "no"
    assert depends_on(audit).get("audit-key") == "service_completed_successfully"
    volume = key_file.rsplit("/", 1)[0]
    assert (
        f"audit-data:{volume}" in audit["volumes"] and f"audit-data:{volume}" in keygen["volumes"]
    )
    assert "audit-data" in (load_compose().get("volumes") or {})


# ----------------------------------------------------------------------------- gateway


def test_nginx_upstreams_match_compose_services_and_ports():
    services = load_compose()["services"]
    upstreams = nginx_upstreams()
    assert upstreams, "nginx.conf declares no upstream"
    for name, servers in upstreams.items():
        assert servers, f"upstream {name} has no server"
        for host, port in servers:
            assert host in services, f"upstream host {host} is not a compose service"
            assert str(port) == environment(services[host]).get("CASCADE_PORT"), (host, port)
    for name, port in KNOWN_SERVICES.items():
        assert (name, port) in [s for servers in upstreams.values() for s in servers]


def test_every_proxy_pass_targets_a_declared_upstream():
    upstreams = nginx_upstreams()
    targets = [proxy_target(body) for _, _, body in nginx_locations()]
    targets = [t for t in targets if t is not None]
    assert targets
    for target in targets:
        assert target in upstreams, f"proxy_pass to undeclared upstream {target}"


def test_documented_prefixes_route_to_the_right_service():
    upstreams = nginx_upstreams()
    for prefix, owner in PREFIX_OWNERS.items():
        for path in (prefix, f"{prefix}/", f"{prefix}/some/thing"):
            _, body = route(path)
            target = proxy_target(body)
            assert target is not None, f"{path} is not proxied"
            hosts = {host for host, _ in upstreams[target]}
            assert hosts == {owner}, f"{path} goes to {hosts}, expected {owner}"
    for name in KNOWN_SERVICES:  # docs, OpenAPI and health of each service
        for suffix in ("openapi.json", "docs", "health"):
            _, body = route(f"/api/{name}/{suffix}")
            assert {h for h, _ in upstreams[proxy_target(body)]} == {name}


def test_notifications_stream_is_not_buffered():
    _, body = route("/api/notifications/stream")
    assert re.search(r"\bproxy_buffering\s+off\s*;", body)
    timeout = re.search(r"\bproxy_read_timeout\s+(\w+)\s*;", body)
    assert timeout and nginx_seconds(timeout.group(1)) >= 3600
    # HTTP/1.1 with an empty Connection header, set here or inherited from the server block
    # (a location that sets any proxy_set_header would lose the inherited ones).
    text = strip_nginx_comments(NGINX_CONF.read_text(encoding="utf-8"))
    assert re.search(r"\bproxy_http_version\s+1\.1\s*;", text)
    assert re.search(r'\bproxy_set_header\s+Connection\s+""\s*;', text)
    assert "proxy_set_header" not in body or re.search(
        r'\bproxy_set_header\s+Connection\s+""\s*;', body
    )


def test_gateway_listens_on_8000_with_health_ids_and_body_limit():
    text = strip_nginx_comments(NGINX_CONF.read_text(encoding="utf-8"))
    assert re.search(r"\blisten\s+8000\s*;", text)
    assert re.search(r"\bclient_max_body_size\s+20m\s*;", text)
    _, body = route("/healthz")
    assert re.search(r"\breturn\s+200\b", body)
    for header in ("X-Request-ID", "X-Correlation-ID", "X-Forwarded-For", "X-Forwarded-Proto"):
        assert re.search(rf"\bproxy_set_header\s+{header}\s+\S+", text), header
    # A request id is minted with $request_id when the client sent none.
    assert re.search(r"\bmap\s+\$http_x_request_id\s+\$\w+\s*\{[^}]*\$request_id", text)
    # No location sets its own proxy_set_header (it would drop the shared ones).
    for _, path, body in nginx_locations():
        assert "proxy_set_header" not in body, path


# ----------------------------------------------------------------------------- images, database


def test_dockerfile_builds_one_service_from_the_lock():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG SERVICE\b", text, re.M)
    assert re.search(r"^FROM python:3\.11-slim\b|^ARG PYTHON_IMAGE=python:3\.11-slim\b", text, re.M)
    assert len(re.findall(r"^FROM\s", text, re.M)) >= 2, "expected a multi-stage build"
    assert re.search(r"^ARG UV_VERSION=\d+\.\d+\.\d+$", text, re.M), "pin uv"
    assert re.search(r'pip install[^\n]*"?uv==\$\{UV_VERSION\}', text)
    sync = re.search(r"uv sync([^\n]*)", text)
    assert sync, "no uv sync"
    assert "--frozen" in sync.group(1)
    assert "--no-dev" in sync.group(1)
    assert re.search(r"--package\s+\"?cascade-\$\{SERVICE\}", sync.group(1))
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0"), "runtime must not be root"
    assert re.search(r"^\s*CASCADE_HOST=0\.0\.0\.0\b", text, re.M), "listen beyond loopback"
    assert re.search(r"^HEALTHCHECK\b", text, re.M)
    assert "urllib" in text and "/health" in text
    assert re.search(r"cascade-\$\{?CASCADE_SERVICE\}?", text), "CMD must run cascade-<service>"


def test_dockerignore_keeps_local_state_out_of_the_context():
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    for required in (
        ".git",
        ".venv",
        "data",
        "**/__pycache__",
        "**/.pytest_cache",
        "deploy/secrets",
    ):
        assert required in patterns, required
    # uv needs these in the build context.
    for needed in ("uv.lock", "pyproject.toml", "shared", "services"):
        assert needed not in patterns, needed


def test_init_sql_creates_every_database_compose_names():
    sql = INIT_SQL.read_text(encoding="utf-8")
    created = set(re.findall(r"CREATE\s+DATABASE\s+(\w+)\s+OWNER\s+cascade", sql, re.I))
    assert re.search(r"CREATE\s+ROLE\s+cascade\s+LOGIN\s+PASSWORD\s+'cascade'", sql, re.I)
    services = load_compose()["services"]
    named = {
        database_name(environment(svc)["CASCADE_DATABASE_URL"])
        for svc in services.values()
        if "CASCADE_DATABASE_URL" in environment(svc)
    }
    assert named, "no service names a database"
    assert named <= created, f"not created by init-databases.sql: {sorted(named - created)}"
