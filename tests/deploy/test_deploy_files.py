"""Static checks of the deployment files in deploy/: they parse and say what the README claims.

Nothing here needs Docker, a cluster or a running systemd; `systemd-analyze verify` runs when
the tool is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ingest.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SYSTEMD = DEPLOY / "systemd"
KUBERNETES_FILES = sorted(KUBERNETES.glob("*.yaml"))
UNITS = ("ingest.service", "ingest-crawl.service", "ingest-crawl.timer")
INSTALLED_BINARY = "/opt/ingest/bin/ingest"


def _yaml() -> Any:
    return pytest.importorskip("yaml", reason="PyYAML is a dev dependency (pyyaml)")


def _load_yaml(path: Path) -> Any:
    return _yaml().safe_load(path.read_text(encoding="utf-8"))


def _compose() -> dict[str, Any]:
    data = _load_yaml(DEPLOY / "docker-compose.yml")
    assert isinstance(data, dict)
    return data


def _manifests() -> dict[str, dict[str, Any]]:
    """Every Kubernetes object in deploy/kubernetes by kind (one object per kind here)."""
    found: dict[str, dict[str, Any]] = {}
    for path in KUBERNETES_FILES:
        if path.name == "kustomization.yaml":
            continue
        for doc in _yaml().safe_load_all(path.read_text(encoding="utf-8")):
            assert doc["kind"] not in found, f"two {doc['kind']} objects"
            found[doc["kind"]] = doc
    return found


# --- Dockerfile ---------------------------------------------------------------------------


def _dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def _instructions(text: str) -> list[str]:
    """Instructions with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [
        line.strip()
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_dockerfile_is_multi_stage_on_python_311_slim() -> None:
    lines = _instructions(_dockerfile())
    froms = [line for line in lines if line.upper().startswith("FROM ")]
    assert len(froms) >= 2
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in lines
    assert froms[0].endswith(" AS builder")
    assert any("pip wheel" in line and ".[postgres]" in line for line in lines)
    final = lines[lines.index(froms[-1]) :]
    assert any('"ingest[postgres]"' in line and "--no-index" in line for line in final)


def test_dockerfile_runs_as_non_root_with_healthcheck_and_entrypoint() -> None:
    lines = _instructions(_dockerfile())
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users, "no USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert users[-1].split(":")[0].isdigit(), "numeric, so runAsNonRoot can check it"
    healthchecks = [line for line in lines if line.startswith("HEALTHCHECK ")]
    assert len(healthchecks) == 1
    assert 'CMD ["ingest", "health"' in healthchecks[0]
    assert lines[-2:] == ['ENTRYPOINT ["ingest"]', 'CMD ["run"]']
    assert any("INGEST_CONFIG=/etc/ingest/ingest.toml" in line for line in lines)


def test_dockerfile_copies_only_what_the_dockerignore_lets_in() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore, "the context is the repository root: exclude by default"
    copied = []
    for line in _instructions(_dockerfile()):
        if line.startswith("COPY ") and "--from" not in line:
            copied.extend(line.split()[1:-1])
    assert copied
    for source in copied:
        assert source in allowed, f"COPY {source} is excluded by Dockerfile.dockerignore"
        assert (ROOT / source).exists(), source


# --- docker compose ---------------------------------------------------------------------


def test_compose_postgres_has_named_volume_and_pg_isready_healthcheck() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_compose_migrates_before_the_daemon_starts() -> None:
    services = _compose()["services"]
    migrate, daemon = services["migrate"], services["ingest"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"
    assert daemon["command"] == ["run"]
    assert daemon["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert daemon["restart"] == "unless-stopped"


def test_compose_services_share_image_config_and_database_url() -> None:
    services = _compose()["services"]
    for name in ("migrate", "ingest"):
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        url = service["environment"]["INGEST_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://ingest:${POSTGRES_PASSWORD")
        assert url.endswith("@postgres:5432/ingest")
        assert "./ingest.container.toml:/etc/ingest/ingest.toml:ro" in service["volumes"]
        assert service["environment"]["INGEST_CONFIG"] == "/etc/ingest/ingest.toml"
    assert "POSTGRES_PASSWORD=" in (DEPLOY / ".env.example").read_text(encoding="utf-8")


# --- Kubernetes ---------------------------------------------------------------------------


def test_every_kubernetes_file_parses_and_kustomization_lists_existing_files() -> None:
    assert {p.name for p in KUBERNETES_FILES} >= {
        "secret.yaml",
        "configmap.yaml",
        "deployment.yaml",
        "cronjob.yaml",
        "kustomization.yaml",
    }
    kustomization = _load_yaml(KUBERNETES / "kustomization.yaml")
    resources = kustomization["resources"]
    for resource in resources:
        assert (KUBERNETES / resource).is_file(), resource
    assert "deployment.yaml" in resources
    assert "cronjob.yaml" not in resources, "the CronJob is the alternative, not an addition"
    assert _manifests().keys() == {"Secret", "ConfigMap", "Deployment", "CronJob"}


def _pod_spec(kind: str) -> dict[str, Any]:
    obj = _manifests()[kind]
    spec = obj["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else obj["spec"]
    pod: dict[str, Any] = spec["template"]["spec"]
    return pod


@pytest.mark.parametrize("kind", ["Deployment", "CronJob"])
def test_pods_are_non_root_read_only_migrate_first_and_read_the_secret(kind: str) -> None:
    manifests = _manifests()
    secret_name = manifests["Secret"]["metadata"]["name"]
    config_name = manifests["ConfigMap"]["metadata"]["name"]
    pod = _pod_spec(kind)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    (init,) = pod["initContainers"]
    assert init["args"] == ["db", "upgrade"]
    assert pod["volumes"][0]["configMap"]["name"] == config_name
    for container in [init, *pod["containers"]]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["limits"]["memory"]
        env = {e["name"]: e for e in container["env"]}
        assert env["INGEST_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == secret_name
        assert env["INGEST_CONFIG"]["value"] == "/etc/ingest/ingest.toml"
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/etc/ingest", "/tmp"} <= mounts


def test_deployment_is_two_recreated_replicas_with_health_probes() -> None:
    deployment = _manifests()["Deployment"]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    (container,) = _pod_spec("Deployment")["containers"]
    assert container["args"] == ["run"]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["exec"]["command"][:2] == ["ingest", "health"], probe


def test_deployment_is_scraped_by_prometheus_through_annotations() -> None:
    """The pod template's prometheus.io/* annotations name the port the daemon serves."""
    template = _manifests()["Deployment"]["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    (container,) = template["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    config = tomllib.loads(_manifests()["ConfigMap"]["data"]["ingest.toml"])
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(ports["metrics"])
    assert config["metrics"]["port"] == ports["metrics"]
    assert config["metrics"]["host"] == "0.0.0.0", "reachable from outside the pod"
    labels = template["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "ingest", "deploy/prometheus keeps pods by it"


def test_cronjob_crawls_without_overlap() -> None:
    cronjob = _manifests()["CronJob"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = _pod_spec("CronJob")["containers"]
    assert container["args"] == ["crawl"]


def test_secret_holds_a_psycopg_database_url() -> None:
    secret = _manifests()["Secret"]
    url = secret["stringData"]["INGEST_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://")


def test_configmap_carries_the_container_config() -> None:
    embedded = _manifests()["ConfigMap"]["data"]["ingest.toml"]
    with (DEPLOY / "ingest.container.toml").open("rb") as fh:
        assert tomllib.loads(embedded) == tomllib.load(fh)


# --- configs ------------------------------------------------------------------------------


def test_container_config_loads_and_logs_to_stderr_only() -> None:
    """The settings read every section, [metrics] included: any ConfigError fails."""
    settings = load_settings(DEPLOY / "ingest.container.toml", {})
    assert settings.logging.file is None
    assert settings.logging.format == "json"
    assert (settings.metrics.host, settings.metrics.port) == ("0.0.0.0", 9108)


def test_configmap_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "ingest.toml"
    path.write_text(_manifests()["ConfigMap"]["data"]["ingest.toml"], encoding="utf-8")
    settings = load_settings(path, {})
    assert settings.metrics.host == "0.0.0.0" and settings.metrics.port is not None


def test_systemd_config_loads_with_paths_the_unit_can_write() -> None:
    settings = load_settings(SYSTEMD / "ingest.toml", {})
    assert settings.database.url == "sqlite:////var/lib/ingest/ingest.db"
    assert settings.logging.file is not None
    assert settings.logging.file.startswith("/var/log/ingest/")
    assert settings.metrics.host == "127.0.0.1" and settings.metrics.port is not None


def test_configs_differ_from_defaults_only_where_meant() -> None:
    """The raw TOML (no settings needed): containers bind metrics to all interfaces."""
    with (DEPLOY / "ingest.container.toml").open("rb") as fh:
        container = tomllib.load(fh)
    with (SYSTEMD / "ingest.toml").open("rb") as fh:
        systemd = tomllib.load(fh)
    assert container["metrics"]["host"] == "0.0.0.0"
    assert systemd["metrics"]["host"] == "127.0.0.1"
    assert container["logging"]["file"] == ""


# --- systemd ------------------------------------------------------------------------------


def _unit(name: str) -> dict[str, list[str]]:
    """Key -> values of a unit file (sections ignored; keys here are unique per unit)."""
    values: dict[str, list[str]] = {}
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_daemon_unit_migrates_first_and_is_sandboxed() -> None:
    unit = _unit("ingest.service")
    assert unit["ExecStartPre"] == [f"{INSTALLED_BINARY} db upgrade"]
    assert unit["ExecStart"] == [f"{INSTALLED_BINARY} run"]
    expected = {
        "Restart": "on-failure",
        "DynamicUser": "yes",
        "ProtectSystem": "strict",
        "StateDirectory": "ingest",
        "LogsDirectory": "ingest",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "EnvironmentFile": "-/etc/ingest/ingest.env",
        "TimeoutStopSec": "15",
    }
    for key, value in expected.items():
        assert unit.get(key) == [value], key


def test_timer_runs_one_crawl_every_30_minutes() -> None:
    service, timer = _unit("ingest-crawl.service"), _unit("ingest-crawl.timer")
    assert service["Type"] == ["oneshot"]
    assert service["ExecStart"] == [f"{INSTALLED_BINARY} crawl"]
    assert service["ExecStartPre"] == [f"{INSTALLED_BINARY} db upgrade"]
    assert timer["OnCalendar"] == ["*:0/30"]
    assert timer["Persistent"] == ["true"]
    assert "RandomizedDelaySec" in timer


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not found")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify insists the ExecStart binaries exist; point them at /bin/true in a copy.
    for name in UNITS:
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_BINARY, "/bin/true"), "utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *UNITS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
