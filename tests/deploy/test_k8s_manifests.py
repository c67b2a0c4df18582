"""Static checks of the Kubernetes manifests in deploy/k8s, without a cluster.

Each kustomization (the base and both overlays) is rendered with ``kubectl kustomize`` (the
kubectl on the PATH, or ``$KUBECTL``; ``make kubectl`` installs one), then:

- every built-in object is validated against the Kubernetes JSON schemas of a pinned version
  (the ``kubernetes-validate`` package, strict: unknown fields are errors), and every custom
  resource against its operator's CRD schema from ``../shared/k8s-crds/`` beside the checkout,
  made strict the same way (the CRDs' CEL rules, ``x-kubernetes-validations``, are not
  evaluated here);
- every Secret, ConfigMap, Service, ServiceAccount, port and volume a workload names exists in the
  output, or is made by an operator, or is one of the Secrets docs/deployment.md has the
  operator of the deployment create (both lists below);
- probes hit the services' health paths, every container runs as non-root on a read-only root
  filesystem, the NetworkPolicies let only the gateway reach the services and only the services
  reach PostgreSQL and RabbitMQ;
- the Messaging Topology Operator's objects are exactly what ``RabbitMQBus`` and
  ``broker_users`` declare, and the gateway's conf is deploy/gateway/nginx.conf unchanged.

Without kubectl or without ../shared/k8s-crds the tests that need them skip, saying why; with
CI=true they fail instead. A kustomization that does not render always fails.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from cascade_shared.bus.rabbitmq import RabbitMQBus
from cascade_shared.chassis.broker_users import broker_user, services
from cascade_shared.chassis.health import health_router
from cascade_shared.chassis.registry import subscriptions
from cascade_shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
TARGETS = {
    "base": K8S / "base",
    "small": K8S / "overlays" / "small",
    "production": K8S / "overlays" / "production",
}
CRD_DIR = ROOT.parent / "shared" / "k8s-crds"
COMPOSE_FILE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "gateway" / "nginx.conf"
DOCS = ROOT / "docs" / "deployment.md"
IN_CI = os.environ.get("CI", "").lower() == "true"

KUBERNETES_VERSION = "1.32"
"""The Kubernetes release whose API schemas the built-in objects must satisfy."""
NAMESPACE = "cascade"
USER_TEMPLATE = "cascade-{service}"
PORTAL_PORT = 8005
GATEWAY_PORT = 8000

# Secrets the operator of the deployment creates before `kubectl apply -k` (docs/deployment.md,
# "On Kubernetes"): never in the repository, never in the rendered output.
EXTERNAL_SECRETS = {
    "cascade-auth",  # CASCADE_JWKS_URL or CASCADE_JWT_SECRET, envFrom of every service
    "cascade-audit-signing-key",  # audit-signing-key.pem, mounted into audit
    "cascade-tls",  # the Ingress's certificate
    "cascade-backup-s3",  # object-store credentials of the PostgreSQL backups (production)
    *(f"cascade-db-{s}" for s in services()),  # each service's PostgreSQL role (basic-auth)
    *(f"cascade-broker-{s}" for s in services()),  # each service's broker user, imported
}


def operator_secrets(objects: list[dict[str, Any]]) -> set[str]:
    """Secrets the operators make from the custom resources in the output."""
    made: set[str] = set()
    for o in objects:
        name, kind = o["metadata"]["name"], o["kind"]
        if kind == "Cluster":  # CloudNativePG: the bootstrap owner's credentials
            made.add(f"{name}-app")
        elif kind == "RabbitmqCluster":  # Cluster Operator: the administrator, Erlang cookie
            made |= {f"{name}-default-user", f"{name}-erlang-cookie"}
        elif kind == "User":  # Topology Operator: username and password of the user
            made.add(f"{name}-user-credentials")
    return made


def operator_services(objects: list[dict[str, Any]]) -> dict[str, set[int]]:
    """Services (name -> ports) the operators make from the custom resources in the output."""
    made: dict[str, set[int]] = {}
    for o in objects:
        name, kind = o["metadata"]["name"], o["kind"]
        if kind == "Cluster":
            made |= {f"{name}-{suffix}": {5432} for suffix in ("rw", "ro", "r")}
        elif kind == "Pooler":
            made[name] = {5432}
        elif kind == "RabbitmqCluster":
            made[name] = {5672, 15672, 15692}
    return made


# ----------------------------------------------------------------------------- environment


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail under CI=true: CI must run every check."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


@functools.cache
def kubectl() -> str | None:
    return shutil.which(os.environ.get("KUBECTL") or "kubectl")


@functools.cache
def _render(target: str) -> tuple[dict[str, Any], ...]:
    """The objects `kubectl kustomize` makes of the target (once per run); raises on failure."""
    exe = kubectl()
    assert exe is not None
    result = subprocess.run(
        [exe, "kustomize", str(TARGETS[target])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {target} failed:\n{result.stderr}")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return tuple(doc for doc in yaml.load_all(result.stdout, Loader=loader) if doc)


def rendered(target: str) -> list[dict[str, Any]]:
    """The rendered objects (shared between tests: read them, never change them)."""
    if kubectl() is None:
        unavailable("kubectl is not installed (`make kubectl` installs Debian's kubernetes-client)")
    return list(_render(target))


@pytest.fixture(params=list(TARGETS))
def target(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def objects(target: str) -> list[dict[str, Any]]:
    return rendered(target)


# ----------------------------------------------------------------------------- helpers


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = of_kind(objects, kind)
    assert name in found, f"no {kind} {name} in the output"
    return found[name]


def is_builtin(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return group == "" or "." not in group or group.endswith(".k8s.io")


def pod_specs(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod template) of every object that runs pods."""
    for o in objects:
        spec = o.get("spec") or {}
        if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
            yield o, spec["template"]
        elif o["kind"] == "CronJob":
            yield o, spec["jobTemplate"]["spec"]["template"]
        elif o["kind"] == "Pod":
            yield o, o


def all_containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def env_value(container: dict[str, Any], name: str) -> str:
    entry = env_of(container).get(name)
    assert entry is not None and "value" in entry, f"{container['name']}: no literal {name}"
    return str(entry["value"])


def config_data(objects: list[dict[str, Any]], prefix: str) -> dict[str, str]:
    """The data of the ConfigMap generated as ``prefix`` (its name carries a content hash)."""
    found = [
        o
        for o in objects
        if o["kind"] == "ConfigMap"
        and re.fullmatch(rf"{prefix}(-[a-z0-9]+)?", o["metadata"]["name"])
    ]
    assert len(found) == 1, f"expected one ConfigMap {prefix}, found {len(found)}"
    return {k: str(v) for k, v in (found[0].get("data") or {}).items()}


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector (matchLabels, matchExpressions) against a label set."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def compose_ports() -> dict[str, int]:
    """The port of each service and the portal, as docker-compose.yml runs them."""
    services_ = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]
    ports = {}
    for name, svc in services_.items():
        env = svc.get("environment") or {}
        if isinstance(env, dict) and "CASCADE_PORT" in env and not name.startswith("migrate-"):
            ports[name] = int(env["CASCADE_PORT"])
    return ports


def api_deployments(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: d
        for name, d in of_kind(objects, "Deployment").items()
        if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "api"
    }


def main_container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def load_generator() -> ModuleType:
    path = K8S / "generate_topology.py"
    spec = importlib.util.spec_from_file_location("cascade_k8s_generate_topology", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- rendering


def test_every_kustomization_renders(objects: list[dict[str, Any]], target: str) -> None:
    kinds = {o["kind"] for o in objects}
    assert {"Namespace", "Deployment", "Service", "Cluster", "RabbitmqCluster"} <= kinds, target
    seen: set[tuple[str, str]] = set()
    for o in objects:
        key = (o["kind"], o["metadata"]["name"])
        assert key not in seen, f"{target}: {key} twice"
        seen.add(key)
        if o["kind"] != "Namespace":
            assert o["metadata"].get("namespace") == NAMESPACE, key


def test_nothing_but_the_namespace_is_cluster_scoped(objects: list[dict[str, Any]]) -> None:
    """One namespace, no CRDs, no ClusterRoles: the operators bring their own."""
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
    found = [(o["kind"], o["metadata"]["name"]) for o in objects if o["kind"] in cluster_scoped]
    assert found == [("Namespace", NAMESPACE)]


# ----------------------------------------------------------------------------- schemas


def test_builtin_objects_match_the_kubernetes_schemas(objects: list[dict[str, Any]]) -> None:
    errors = []
    for o in objects:
        if not is_builtin(o["apiVersion"]):
            continue
        try:
            kubernetes_validate.validate(o, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{o['kind']}/{o['metadata']['name']}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(exc.message)
    assert not errors, "\n".join(errors)


def _strict(schema: Any) -> Any:
    """A CRD's OpenAPI v3 schema as JSON Schema, with the API server's view of unknown fields:
    an object that lists its properties admits no others (unless it preserves unknown fields);
    ``nullable`` admits null."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if k != "default"}
    if out.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if out.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@functools.cache
def crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) -> validator, for every served version of every CRD provided."""
    validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served"):
                continue
            schema = _strict(version["schema"]["openAPIV3Schema"])
            # metadata is ObjectMeta, checked by the API server itself: let it through here.
            schema["properties"]["metadata"] = {"type": "object"}
            validators[(f"{group}/{version['name']}", kind)] = jsonschema.Draft4Validator(schema)
    return validators


def test_custom_resources_match_the_operators_crds(objects: list[dict[str, Any]]) -> None:
    if not CRD_DIR.is_dir():
        unavailable(f"the operators' CRDs are not beside the checkout ({CRD_DIR} is missing)")
    validators = crd_validators()
    assert validators, f"no CRD in {CRD_DIR}"
    errors = []
    custom = [o for o in objects if not is_builtin(o["apiVersion"])]
    assert custom
    for o in custom:
        key = (o["apiVersion"], o["kind"])
        where = f"{o['kind']}/{o['metadata']['name']}"
        if key not in validators:
            errors.append(
                f"{where}: no CRD for {key} in {CRD_DIR} (an operator we do not install?)"
            )
            continue
        for error in validators[key].iter_errors(o):
            path = ".".join(str(p) for p in error.absolute_path)
            errors.append(f"{where}: {path}: {error.message}")
    assert not errors, "\n".join(errors)


def test_object_names_and_labels_are_valid(objects: list[dict[str, Any]]) -> None:
    subdomain = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
    label_value = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
    for o in objects:
        meta = o["metadata"]
        assert subdomain.fullmatch(meta["name"]) and len(meta["name"]) <= 253, meta["name"]
        for value in (meta.get("labels") or {}).values():
            assert isinstance(value, str) and label_value.fullmatch(value) and len(value) <= 63


# ----------------------------------------------------------------------------- references


def referenced_secrets(objects: list[dict[str, Any]]) -> dict[str, str]:
    """Secret name -> where it is named, across workloads, the Ingress and the operators'
    resources."""
    found: dict[str, str] = {}
    for workload, pod in pod_specs(objects):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        for volume in pod["spec"].get("volumes", []):
            if "secret" in volume:
                found[volume["secret"]["secretName"]] = where
            for source in (volume.get("projected") or {}).get("sources", []):
                if "secret" in source:
                    found[source["secret"]["name"]] = where
        for c in all_containers(pod):
            for source in c.get("envFrom", []):
                if "secretRef" in source:
                    found[source["secretRef"]["name"]] = where
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    found[ref["name"]] = where
    for ingress in of_kind(objects, "Ingress").values():
        for tls in ingress["spec"].get("tls", []):
            found[tls["secretName"]] = f"Ingress/{ingress['metadata']['name']}"
    for name, cluster in of_kind(objects, "Cluster").items():
        for role in cluster["spec"].get("managed", {}).get("roles", []):
            if "passwordSecret" in role:
                found[role["passwordSecret"]["name"]] = f"Cluster/{name}"
        store = cluster["spec"].get("backup", {}).get("barmanObjectStore", {})
        for ref in store.get("s3Credentials", {}).values():
            if isinstance(ref, dict):
                found[ref["name"]] = f"Cluster/{name}"
    for name, user in of_kind(objects, "User").items():
        if "importCredentialsSecret" in user["spec"]:
            found[user["spec"]["importCredentialsSecret"]["name"]] = f"User/{name}"
    return found


def test_no_secret_is_committed_and_every_secret_named_is_accounted_for(
    objects: list[dict[str, Any]],
) -> None:
    assert not of_kind(objects, "Secret"), "a Secret is in the manifests: keep secrets out of git"
    known = EXTERNAL_SECRETS | operator_secrets(objects)
    for name, where in referenced_secrets(objects).items():
        assert name in known, f"{where} names Secret {name}: neither created by an operator "
        "nor among the Secrets docs/deployment.md has you create (EXTERNAL_SECRETS)"


def test_config_maps_service_accounts_and_volumes_exist(objects: list[dict[str, Any]]) -> None:
    config_maps = of_kind(objects, "ConfigMap")
    accounts = set(of_kind(objects, "ServiceAccount")) | {"default"}
    for workload, pod in pod_specs(objects):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        spec = pod["spec"]
        assert spec.get("serviceAccountName", "default") in accounts, where
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for volume in volumes.values():
            if "configMap" in volume:
                cm = config_maps.get(volume["configMap"]["name"])
                assert cm is not None, f"{where}: volume {volume['name']}: no such ConfigMap"
                for item in volume["configMap"].get("items", []):
                    assert item["key"] in cm.get("data", {}), (where, item)
        used: set[str] = set()
        for c in all_containers(pod):
            for mount in c.get("volumeMounts", []):
                assert mount["name"] in volumes, f"{where}/{c['name']}: no volume {mount['name']}"
                used.add(mount["name"])
            defined: set[str] = set()
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    cm = config_maps.get(source["configMapRef"]["name"])
                    assert cm is not None, f"{where}/{c['name']}: no ConfigMap {source}"
                    defined |= set(cm.get("data", {}))
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
                if ref:
                    assert ref["key"] in config_maps[ref["name"]].get("data", {}), (where, ref)
                # $(VAR) expands only variables defined before it in the same container.
                for var in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", str(e.get("value", ""))):
                    assert var in defined, f"{where}/{c['name']}: {e['name']} uses $({var}) "
                    "before it is defined"
                defined.add(e["name"])
        assert used == set(volumes), f"{where}: unused volumes {set(volumes) - used}"


def test_services_select_pods_and_their_ports(objects: list[dict[str, Any]]) -> None:
    templates = [(w, pod) for w, pod in pod_specs(objects)]
    for name, service in of_kind(objects, "Service").items():
        selector = service["spec"]["selector"]
        chosen = [
            pod
            for _, pod in templates
            if matches({"matchLabels": selector}, pod["metadata"]["labels"])
        ]
        assert chosen, f"Service {name} selects no pod"
        for port in service["spec"]["ports"]:
            target_port = port.get("targetPort", port["port"])
            for pod in chosen:
                ports = [p for c in pod["spec"]["containers"] for p in c.get("ports", [])]
                assert any(target_port in (p.get("name"), p["containerPort"]) for p in ports), (
                    f"Service {name} port {port}: no such container port"
                )


def test_every_url_names_a_service_and_its_port(objects: list[dict[str, Any]]) -> None:
    services_ = {
        n: {p["port"] for p in s["spec"]["ports"]} for n, s in of_kind(objects, "Service").items()
    }
    services_ |= operator_services(objects)
    for workload, pod in pod_specs(objects):
        for c in all_containers(pod):
            for e in c.get("env", []):
                value = str(e.get("value", ""))
                if "://" not in value:
                    continue
                url = urlsplit(value)
                host = url.hostname or ""
                if "." in host or not url.port:  # outside the cluster (none today)
                    continue
                assert host in services_, f"{workload['metadata']['name']}: {e['name']}: {host}"
                assert url.port in services_[host], f"{e['name']}: {host} has no port {url.port}"


def test_autoscalers_budgets_and_ingress_point_at_what_exists(
    objects: list[dict[str, Any]],
) -> None:
    deployments = of_kind(objects, "Deployment")
    services_ = of_kind(objects, "Service")
    for name, hpa in of_kind(objects, "HorizontalPodAutoscaler").items():
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment" and ref["name"] in deployments, name
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], name
    for name, pdb in of_kind(objects, "PodDisruptionBudget").items():
        selected = [
            d
            for d in deployments.values()
            if matches(pdb["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(selected) == 1, f"PodDisruptionBudget {name} selects {len(selected)}"
    for name, deployment in deployments.items():
        assert name in of_kind(objects, "HorizontalPodAutoscaler"), f"{name}: no autoscaler"
        assert name in of_kind(objects, "PodDisruptionBudget"), f"{name}: no disruption budget"
        # The autoscaler owns the count: re-applying must not reset a scaled-out Deployment.
        assert "replicas" not in deployment["spec"], name
    for ingress in of_kind(objects, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] in services_, backend
                ports = services_[backend["name"]]["spec"]["ports"]
                port = backend["port"]
                assert any(
                    p.get("name") == port.get("name") or p["port"] == port.get("number")
                    for p in ports
                ), backend
        # Everything goes to the gateway, which routes to the services and the portal.
        backends = {
            p["backend"]["service"]["name"]
            for r in ingress["spec"]["rules"]
            for p in r["http"]["paths"]
        }
        assert backends == {"gateway"}


def test_operator_resources_reference_each_other(objects: list[dict[str, Any]]) -> None:
    clusters = of_kind(objects, "Cluster")
    for kind in ("Database", "Pooler", "ScheduledBackup"):
        for name, o in of_kind(objects, kind).items():
            assert o["spec"]["cluster"]["name"] in clusters, f"{kind}/{name}"
    rabbit = of_kind(objects, "RabbitmqCluster")
    users = of_kind(objects, "User")
    for o in objects:
        if o["apiVersion"].startswith("rabbitmq.com/") and o["kind"] != "RabbitmqCluster":
            assert o["spec"]["rabbitmqClusterReference"]["name"] in rabbit, o["metadata"]["name"]
            assert "namespace" not in o["spec"]["rabbitmqClusterReference"]
    for name, permission in of_kind(objects, "Permission").items():
        assert permission["spec"]["userReference"]["name"] in users, name


# ----------------------------------------------------------------------------- workloads


def test_probes_hit_the_health_paths(objects: list[dict[str, Any]]) -> None:
    deployments = of_kind(objects, "Deployment")
    ports = compose_ports()
    for name, deployment in api_deployments(objects).items():
        c = main_container(deployment)
        routes = {getattr(r, "path", "") for r in health_router(name).routes}
        ready, live = f"/api/{name}/health/ready", f"/api/{name}/health/live"
        assert {ready, live} <= routes, routes
        assert c["readinessProbe"]["httpGet"]["path"] == ready, name
        assert c["livenessProbe"]["httpGet"]["path"] == live, name
        assert c["startupProbe"]["httpGet"]["path"] == live, name
        http = {p["name"]: p["containerPort"] for p in c["ports"]}["http"]
        assert http == ports[name] == int(env_value(c, "CASCADE_PORT")), name
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert c[probe]["httpGet"]["port"] in ("http", http), (name, probe)
    portal = main_container(deployments["portal"])
    assert portal["readinessProbe"]["httpGet"]["path"] == "/api/portal/health/ready"
    assert portal["livenessProbe"]["httpGet"]["path"] == "/api/portal/health/live"
    gateway = main_container(deployments["gateway"])
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_every_container_runs_as_non_root_on_a_read_only_root(
    objects: list[dict[str, Any]],
) -> None:
    for workload, pod in pod_specs(objects):
        name = workload["metadata"]["name"]
        spec = pod["spec"]
        pod_sc = spec.get("securityContext", {})
        assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        assert spec.get("automountServiceAccountToken") is False, name
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in all_containers(pod):
            where = f"{name}/{c['name']}"
            sc = c.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
            assert isinstance(uid, int) and uid > 0, f"{where}: runAsUser must be a non-root uid"
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not sc.get("privileged"), where
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{where}: /tmp must be writable"
            assert "memory" in c.get("resources", {}).get("limits", {}), where
            assert {"cpu", "memory"} <= set(c.get("resources", {}).get("requests", {})), where
    for name, deployment in api_deployments(objects).items():
        pod = deployment["spec"]["template"]["spec"]
        # The image's user (deploy/Dockerfile) and its one writable folder, data_dir.
        assert pod["securityContext"]["runAsUser"] == 10001, name
        mounts = {m["mountPath"]: m["name"] for m in main_container(deployment)["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        data_dir = Path("/app") / Settings.model_fields["data_dir"].default
        assert "emptyDir" in volumes[mounts[str(data_dir)]], name


def test_each_service_gets_its_own_database_broker_user_and_port(
    objects: list[dict[str, Any]],
) -> None:
    api = api_deployments(objects)
    assert set(api) == set(subscriptions()) == set(services()), sorted(api)
    users = of_kind(objects, "User")
    cluster = one(objects, "Cluster", "cascade-pg")
    role_secrets = {
        r["name"]: r["passwordSecret"]["name"] for r in cluster["spec"]["managed"]["roles"]
    }
    databases = {
        d["spec"]["name"]: d["spec"]["owner"] for d in of_kind(objects, "Database").values()
    }
    for name, deployment in api.items():
        c = main_container(deployment)
        env = env_of(c)
        assert env_value(c, "CASCADE_SERVICE") == name
        # Database: its own, owned by its own role, whose password Secret the URL reads.
        url = urlsplit(env_value(c, "CASCADE_DATABASE_URL"))
        assert url.scheme == "postgresql+asyncpg" and url.hostname == "cascade-pg-pooler", name
        db = url.path.lstrip("/")
        assert db == f"cascade_{name}" and db in databases, name
        assert url.username == "$(DB_USER)" and url.password == "$(DB_PASSWORD)", name
        secret = role_secrets[databases[db]]
        assert env["DB_USER"]["valueFrom"]["secretKeyRef"] == {"name": secret, "key": "username"}
        assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": secret,
            "key": "password",
        }
        # Broker: its own user's credentials, made by the Topology Operator from its User.
        user = broker_user(name, USER_TEMPLATE, NAMESPACE).name
        assert user in users, name
        amqp = urlsplit(env_value(c, "CASCADE_AMQP_URL"))
        assert amqp.scheme == "amqp" and amqp.hostname == "rabbitmq" and amqp.path == "/", name
        assert (amqp.username, amqp.password) == ("$(AMQP_USER)", "$(AMQP_PASSWORD)"), name
        for var, key in (("AMQP_USER", "username"), ("AMQP_PASSWORD", "password")):
            ref = env[var]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": f"{user}-user-credentials", "key": key}, name
    config = config_data(objects, "cascade-config")
    assert config["CASCADE_BUS"] == "rabbitmq"
    assert config["CASCADE_NAMESPACE"] == NAMESPACE
    assert config["CASCADE_BROKER_USER_TEMPLATE"] == USER_TEMPLATE
    assert config["CASCADE_DEV_TOKENS"] == "false"
    assert config["CASCADE_SEED_DEMO"] == "false"
    assert config["CASCADE_HOST"] == "0.0.0.0"
    assert config["CASCADE_LOG_FORMAT"] == "json"


def test_migrations_run_before_the_service_from_the_same_image(
    objects: list[dict[str, Any]],
) -> None:
    for name, deployment in api_deployments(objects).items():
        pod = deployment["spec"]["template"]["spec"]
        inits = pod.get("initContainers", [])
        assert [i["name"] for i in inits] == ["migrate"], name
        migrate, service = inits[0], main_container(deployment)
        assert migrate["command"] == ["cascade-migrate", name], name
        assert migrate["image"] == service["image"], name
        main_url = urlsplit(env_value(service, "CASCADE_DATABASE_URL"))
        url = urlsplit(env_value(migrate, "CASCADE_DATABASE_URL"))
        # The same database and role, straight to the primary (not through the pooler).
        assert url.hostname == "cascade-pg-rw" and url.path == main_url.path, name
        assert env_of(migrate)["DB_PASSWORD"] == env_of(service)["DB_PASSWORD"], name
        strategy = deployment["spec"]["strategy"]["rollingUpdate"]
        assert strategy["maxUnavailable"] == 0, name


def test_token_settings_and_the_audit_key_come_from_secrets(
    objects: list[dict[str, Any]],
) -> None:
    for cm in of_kind(objects, "ConfigMap").values():
        for key, value in (cm.get("data") or {}).items():
            assert not re.search(r"JWT|JWKS|SIGNING_KEY|PASSWORD|AMQP_URL|DATABASE_URL", key), key
            assert "PRIVATE KEY" not in str(value)
    for name, deployment in api_deployments(objects).items():
        c = main_container(deployment)
        assert {"secretRef": {"name": "cascade-auth"}} in c["envFrom"], name
        for var in ("CASCADE_JWT_SECRET", "CASCADE_JWKS_URL"):
            assert var not in env_of(c), f"{name}: {var} must come from the Secret cascade-auth"
    audit = api_deployments(objects)["audit"]
    key_file = Path(env_value(main_container(audit), "CASCADE_AUDIT_SIGNING_KEY_FILE"))
    mounts = {m["mountPath"]: m for m in main_container(audit)["volumeMounts"]}
    mount = mounts[str(key_file.parent)]
    assert mount.get("readOnly") is True
    volume = {v["name"]: v for v in audit["spec"]["template"]["spec"]["volumes"]}[mount["name"]]
    assert volume["secret"]["secretName"] == "cascade-audit-signing-key"
    assert [i["path"] for i in volume["secret"]["items"]] == [key_file.name]
    # Readable by the pod's group (fsGroup), which the non-root user is in; not by others.
    assert volume["secret"]["defaultMode"] & 0o007 == 0
    assert volume["secret"]["defaultMode"] & 0o040


def test_prometheus_scrapes_every_service(objects: list[dict[str, Any]]) -> None:
    for name, deployment in api_deployments(objects).items():
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        port = env_value(main_container(deployment), "CASCADE_PORT")
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == port, name
        assert annotations["prometheus.io/path"] == "/metrics", name


def test_the_gateway_runs_the_compose_conf_and_reaches_every_upstream(
    objects: list[dict[str, Any]],
) -> None:
    conf = config_data(objects, "gateway-nginx")["nginx.conf"]
    assert conf == NGINX_CONF.read_text(encoding="utf-8"), (
        "deploy/k8s/base/gateway/nginx.conf differs from deploy/gateway/nginx.conf: copy it"
    )
    assert (K8S / "base" / "gateway" / "nginx.conf").read_bytes() == NGINX_CONF.read_bytes()
    services_ = of_kind(objects, "Service")
    text = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    upstreams = re.findall(r"\bserver\s+([\w.-]+):(\d+)\s*;", text)
    assert upstreams
    for host, port in upstreams:
        assert host in services_, f"nginx upstream {host} is not a Service"
        assert int(port) in {p["port"] for p in services_[host]["spec"]["ports"]}, host
    gateway = one(objects, "Deployment", "gateway")
    c = main_container(gateway)
    conf_mount = c["command"][c["command"].index("-c") + 1]
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    assert mounts[str(Path(conf_mount).parent)] == "conf"
    assert c["ports"][0]["containerPort"] == GATEWAY_PORT
    assert re.search(rf"\blisten\s+{GATEWAY_PORT}\s*;", text)


# ----------------------------------------------------------------------------- broker, database


def test_broker_topology_is_what_the_services_declare(objects: list[dict[str, Any]]) -> None:
    config = config_data(objects, "cascade-config")
    delivery_limit = int(
        config.get("CASCADE_DELIVERY_LIMIT", Settings.model_fields["delivery_limit"].default)
    )
    bus = RabbitMQBus(
        "amqp://x@y/", namespace=config["CASCADE_NAMESPACE"], delivery_limit=delivery_limit
    )
    exchanges = {
        e["spec"]["name"]: (e["spec"]["type"], e["spec"]["durable"], e["spec"].get("vhost", "/"))
        for e in of_kind(objects, "Exchange").values()
    }
    assert exchanges == {
        bus.exchange_name: ("topic", True, "/"),
        bus.dead_letter_exchange_name: ("direct", True, "/"),
    }
    queues = {q["spec"]["name"]: q["spec"] for q in of_kind(objects, "Queue").values()}
    expected_queues: dict[str, dict[str, Any]] = {}
    for service in subscriptions():
        expected_queues[bus.queue_name(service)] = bus.queue_arguments(service)
        expected_queues[bus.dead_letter_queue_name(service)] = {"x-queue-type": "quorum"}
    assert {n: q["arguments"] for n, q in queues.items()} == expected_queues
    for name, spec in queues.items():
        assert spec["type"] == "quorum" and spec["durable"] is True, name
        assert spec.get("vhost", "/") == "/" and spec["deletionPolicy"] == "retain", name
    bindings = {
        (b["spec"]["source"], b["spec"]["destination"], b["spec"]["routingKey"])
        for b in of_kind(objects, "Binding").values()
    }
    assert all(
        b["spec"]["destinationType"] == "queue" for b in of_kind(objects, "Binding").values()
    )
    expected_bindings = set()
    for service, patterns in subscriptions().items():
        expected_bindings |= {(bus.exchange_name, bus.queue_name(service), p) for p in patterns}
        expected_bindings.add(
            (bus.dead_letter_exchange_name, bus.dead_letter_queue_name(service), service)
        )
    assert bindings == expected_bindings
    template = config["CASCADE_BROKER_USER_TEMPLATE"]
    expected_users = {s: broker_user(s, template, bus.namespace) for s in services()}
    users = of_kind(objects, "User")
    assert set(users) == {u.name for u in expected_users.values()}
    permissions = {
        p["spec"]["userReference"]["name"]: p["spec"]
        for p in of_kind(objects, "Permission").values()
    }
    for service, user in expected_users.items():
        # The imported Secret holds the username (docs/deployment.md creates it with this one).
        assert users[user.name]["spec"]["importCredentialsSecret"]["name"] == (
            f"cascade-broker-{service}"
        )
        spec = permissions[user.name]
        assert spec["vhost"] == "/", user.name
        assert spec["permissions"] == {
            "configure": user.configure,
            "write": user.write,
            "read": user.read,
        }, user.name


def test_the_topology_file_is_what_the_generator_writes() -> None:
    generator = load_generator()
    text = (K8S / "base" / "rabbitmq-topology.yaml").read_text(encoding="utf-8")
    assert text == generator.render(), "run .venv/bin/python deploy/k8s/generate_topology.py"
    assert generator.NAMESPACE == NAMESPACE and generator.USER_TEMPLATE == USER_TEMPLATE


def test_postgres_has_a_database_and_owner_per_service_behind_a_pooler(
    objects: list[dict[str, Any]],
) -> None:
    cluster = one(objects, "Cluster", "cascade-pg")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"] for d in of_kind(objects, "Database").values()}
    assert set(databases) == {f"cascade_{s}" for s in subscriptions()}
    for db, spec in databases.items():
        assert spec["owner"] == db and spec["ensure"] == "present", db
        assert spec["databaseReclaimPolicy"] == "retain", db
        role = roles[spec["owner"]]
        assert role["login"] is True and role["ensure"] == "present"
        assert role["passwordSecret"]["name"] == f"cascade-db-{db.removeprefix('cascade_')}"
    pooler = one(objects, "Pooler", "cascade-pg-pooler")
    assert pooler["spec"]["type"] == "rw"
    assert pooler["spec"]["pgbouncer"]["poolMode"] == "transaction"
    # asyncpg's prepared statements survive transaction pooling only when PgBouncer tracks them.
    assert int(pooler["spec"]["pgbouncer"]["parameters"]["max_prepared_statements"]) > 0


# ----------------------------------------------------------------------------- network policies


@dataclass
class Pod:
    name: str
    labels: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)
    namespace: str = NAMESPACE


OTHER_NAMESPACES = ("ingress-nginx", "monitoring", "cnpg-system", "rabbitmq-system", "default")


def cluster_pods(objects: list[dict[str, Any]]) -> list[Pod]:
    """Cascade's pods, and the operators' pods as their operators label them."""
    pods = []
    for name, d in of_kind(objects, "Deployment").items():
        template = d["spec"]["template"]
        ports = {
            p.get("name", str(p["containerPort"])): p["containerPort"]
            for c in template["spec"]["containers"]
            for p in c.get("ports", [])
        }
        pods.append(Pod(name, dict(template["metadata"]["labels"]), ports))
    for name in of_kind(objects, "Cluster"):
        labels = {"cnpg.io/cluster": name, "cnpg.io/podRole": "instance"}
        ports = {"postgresql": 5432, "status": 8000, "metrics": 9187}
        pods.append(Pod(f"{name}-1", labels, ports))
    for name, pooler in of_kind(objects, "Pooler").items():
        labels = {
            "cnpg.io/poolerName": name,
            "cnpg.io/podRole": "pooler",
            "cnpg.io/cluster": pooler["spec"]["cluster"]["name"],
        }
        pods.append(Pod(f"{name}-pod", labels, {"pgbouncer": 5432, "metrics": 9127}))
    for name in of_kind(objects, "RabbitmqCluster"):
        labels = {
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/component": "rabbitmq",
            "app.kubernetes.io/part-of": "rabbitmq",
        }
        ports = {"amqp": 5672, "management": 15672, "prometheus": 15692, "epmd": 4369}
        pods.append(Pod(f"{name}-server-0", labels, ports))
    return pods


def allowed(policies: list[dict[str, Any]], source: Pod, target: Pod, port: int) -> bool:
    """Whether NetworkPolicies let source open a connection to target's port."""
    selecting = [
        p
        for p in policies
        if "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
        and matches(p["spec"]["podSelector"], target.labels)
    ]
    if not selecting:
        return True  # not isolated
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            ports = rule.get("ports")
            if ports and not any(
                p.get("port") in (port, *(n for n, v in target.ports.items() if v == port))
                for p in ports
            ):
                continue
            peers = rule.get("from")
            if not peers:
                return True
            for peer in peers:
                ns_ok = (
                    matches(
                        peer["namespaceSelector"], {"kubernetes.io/metadata.name": source.namespace}
                    )
                    if "namespaceSelector" in peer
                    else source.namespace == target.namespace
                )
                pod_ok = (
                    matches(peer["podSelector"], source.labels) if "podSelector" in peer else True
                )
                if ns_ok and pod_ok:
                    return True
    return False


def reachers(
    policies: list[dict[str, Any]], sources: list[Pod], target: Pod
) -> dict[str, set[int]]:
    """Who (pod name, or namespace for outsiders) reaches which of target's ports."""
    reach: dict[str, set[int]] = {}
    for source in sources:
        for port in target.ports.values():
            if source.name != target.name and allowed(policies, source, target, port):
                reach.setdefault(source.name, set()).add(port)
    return reach


def test_network_policies_let_only_the_gateway_reach_the_services(
    objects: list[dict[str, Any]],
) -> None:
    policies = list(of_kind(objects, "NetworkPolicy").values())
    pods = cluster_pods(objects)
    outsiders = [Pod(f"ns:{ns}", {}, namespace=ns) for ns in OTHER_NAMESPACES]
    by_name = {p.name: p for p in pods}
    api = set(api_deployments(objects))
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress")]
    assert deny, "no default-deny ingress policy"
    port_of = {
        name: env_value(main_container(d), "CASCADE_PORT")
        for name, d in api_deployments(objects).items()
    }

    for name in api:
        reach = reachers(policies, pods + outsiders, by_name[name])
        assert set(reach) == {"gateway", "ns:monitoring"}, (name, reach)
        assert reach["gateway"] == reach["ns:monitoring"] == {int(port_of[name])}, name
    assert set(reachers(policies, pods + outsiders, by_name["portal"])) == {"gateway"}
    assert set(reachers(policies, pods + outsiders, by_name["gateway"])) == {
        "portal",
        "approvals",
        "audit",
        "ns:ingress-nginx",
    }
    instance = by_name["cascade-pg-1"]
    reach = reachers(policies, pods + outsiders, instance)
    assert set(reach) - {"ns:cnpg-system", "ns:monitoring"} == api | {"cascade-pg-pooler-pod"}
    assert all(reach[s] == {5432} for s in api), reach
    assert reach["ns:monitoring"] == {9187}
    reach = reachers(policies, pods + outsiders, by_name["cascade-pg-pooler-pod"])
    assert set(reach) - {"ns:cnpg-system", "ns:monitoring"} == api, reach
    reach = reachers(policies, pods + outsiders, by_name["rabbitmq-server-0"])
    assert set(reach) - {"ns:rabbitmq-system", "ns:monitoring"} == api, reach
    assert all(reach[s] == {5672} for s in api), reach
    assert reach["ns:rabbitmq-system"] == {15672}
    # The nodes of one cluster talk to each other on every port (clustering).
    peer = Pod("rabbitmq-server-1", by_name["rabbitmq-server-0"].labels)
    assert allowed(policies, peer, by_name["rabbitmq-server-0"], 25672)
    standby = Pod("cascade-pg-2", instance.labels)
    assert allowed(policies, standby, instance, 5432)


# ----------------------------------------------------------------------------- overlays


def test_the_small_overlay_runs_one_of_everything() -> None:
    objects = rendered("small")
    for name, hpa in of_kind(objects, "HorizontalPodAutoscaler").items():
        assert hpa["spec"]["minReplicas"] == 1, name
    assert one(objects, "Cluster", "cascade-pg")["spec"]["instances"] == 1
    assert one(objects, "Pooler", "cascade-pg-pooler")["spec"]["instances"] == 1
    assert one(objects, "RabbitmqCluster", "rabbitmq")["spec"]["replicas"] == 1
    assert not of_kind(objects, "ScheduledBackup")
    assert "backup" not in one(objects, "Cluster", "cascade-pg")["spec"]


def test_the_base_runs_a_three_node_broker_and_database() -> None:
    objects = rendered("base")
    assert one(objects, "RabbitmqCluster", "rabbitmq")["spec"]["replicas"] == 3
    assert one(objects, "Cluster", "cascade-pg")["spec"]["instances"] == 3
    for name, hpa in of_kind(objects, "HorizontalPodAutoscaler").items():
        assert hpa["spec"]["minReplicas"] >= 2, name


def test_the_production_overlay_is_redundant_spread_and_backed_up() -> None:
    objects = rendered("production")
    for name, hpa in of_kind(objects, "HorizontalPodAutoscaler").items():
        assert hpa["spec"]["minReplicas"] >= 2, name
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"], name
    for name, deployment in of_kind(objects, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        terms = spec["affinity"]["podAntiAffinity"][
            "preferredDuringSchedulingIgnoredDuringExecution"
        ]
        own = deployment["spec"]["selector"]["matchLabels"]
        assert any(
            t["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
            and t["podAffinityTerm"]["labelSelector"]["matchLabels"] == own
            for t in terms
        ), name
        for c in spec["containers"]:
            assert not c["image"].endswith(":dev"), f"{name}: set your registry and release"
    cluster = one(objects, "Cluster", "cascade-pg")["spec"]
    assert cluster["instances"] >= 3
    assert cluster["affinity"]["enablePodAntiAffinity"] is True
    assert cluster["affinity"]["podAntiAffinityType"] == "required"
    store = cluster["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://")
    assert {ref["name"] for ref in store["s3Credentials"].values()} == {"cascade-backup-s3"}
    backups = of_kind(objects, "ScheduledBackup")
    assert [b["spec"]["cluster"]["name"] for b in backups.values()] == ["cascade-pg"]
    assert all(b["spec"]["method"] == "barmanObjectStore" for b in backups.values())
    assert one(objects, "Pooler", "cascade-pg-pooler")["spec"]["instances"] >= 2
    rabbit = one(objects, "RabbitmqCluster", "rabbitmq")["spec"]
    assert rabbit["replicas"] == 3
    required = rabbit["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    assert required[0]["topologyKey"] == "kubernetes.io/hostname"


# ----------------------------------------------------------------------------- docs, Makefile


def kubernetes_section() -> str:
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.find("\n## On Kubernetes\n"), text.find("\n## Operations\n")
    assert 0 <= start < end, (
        'docs/deployment.md: "## On Kubernetes" must come right before Operations'
    )
    assert text.rfind("\n## ", 0, end) == start, "nothing between On Kubernetes and Operations"
    return text[start:end]


def test_the_docs_walk_an_operator_through_it() -> None:
    section = kubernetes_section()
    for needle in (
        "kubectl apply -k deploy/k8s/overlays/production",
        "kubectl apply -k deploy/k8s/overlays/small",
        "CloudNativePG",
        "RabbitMQ Cluster Operator",
        "Messaging Topology Operator",
        "cascade-admin broker-users",
        "set_topic_permissions",
        "ServiceMonitor",
        "CASCADE_BROKER_USER_TEMPLATE",
    ):
        assert needle in section, needle
    loops = re.findall(r"for s in ([a-z ]+); do", section)
    assert any(set(loop.split()) == set(services()) for loop in loops), "no loop over the services"
    for secret in EXTERNAL_SECRETS:
        per_service = re.sub(rf"-({'|'.join(services())})$", "-$s", secret)
        assert re.search(rf"create secret \w+ {re.escape(per_service)}\b", section) or (
            re.search(rf"create secret \w+ {re.escape(secret)}\b", section)
        ), f"the docs never create the Secret {secret}"
    # The broker users' usernames are what broker_users and the topology say.
    assert "--from-literal=username=cascade-$s" in section
    assert "--from-literal=username=cascade_$s" in section


def test_make_test_installs_the_renderer() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test:.*\bkubectl\b", makefile, re.M)
    assert re.search(r"^kubectl:", makefile, re.M)
