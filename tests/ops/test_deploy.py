"""deploy/: what can be checked without a Docker engine or a cluster.

The files parse; every variable they use is documented in ``.env.example``; every ``secondround``
command they run is one the program accepts; the image is multi-stage, non-root, with a working
HEALTHCHECK and no secrets; the package the image installs carries the knowledge base.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bot.common.settings import Settings, env_name, load_settings
from bot.ops.cli import COMMANDS, _parser
from bot.ops.health import HealthServer
from bot.ops.runtime import SHUTDOWN_GRACE_SECONDS, Runtime
from tests.conftest import BotHarness, make_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / ".env.example"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
UNIT = DEPLOY / "systemd" / "secondround.service"
LOCK = DEPLOY / "requirements.lock"
K8S = DEPLOY / "kubernetes"
VAR = re.compile(r"\b((?:SECONDROUND|SLACK|DISCORD)_[A-Z0-9_]+)\b")


# helpers -----------------------------------------------------------------------------------------


def documented() -> dict[str, str]:
    """Variables .env.example documents (set or commented out) → the comment block above each."""
    out: dict[str, str] = {}
    comment: list[str] = []
    after_variable = False
    for line in ENV_EXAMPLE.read_text().splitlines():
        m = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if m:  # consecutive variables share the comment above them
            out.setdefault(m.group(1), " ".join(comment))
            after_variable = True
        elif line.startswith("#"):
            if after_variable:
                comment, after_variable = [], False
            comment.append(line.lstrip("# "))
        else:
            comment, after_variable = [], False
    return out


def assert_cli_accepts(argv: list[str], where: str) -> None:
    """``secondround *argv`` is a command the program's own parser accepts."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"{where}: `secondround {' '.join(argv)}` is not a valid command line")
    assert args.command in COMMANDS, where


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        instruction, _, rest = line.partition(" ")
        out.append((instruction.upper(), rest.strip()))
    return out


def build_stage_copies() -> list[str]:
    """The arguments of the COPY lines of the Dockerfile's first (build) stage."""
    steps = dockerfile()
    second_from = [i for i, (ins, _) in enumerate(steps) if ins == "FROM"][1]
    return [rest for ins, rest in steps[:second_from] if ins == "COPY"]


def lock_pins() -> dict[str, tuple[str, list[str]]]:
    """deploy/requirements.lock: canonical name → (pinned version, sha256 hashes)."""
    text = LOCK.read_text().replace("\\\n", " ")
    pins: dict[str, tuple[str, list[str]]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"deploy/requirements.lock: not an exact pin: {line[:80]}"
        pins[canonicalize_name(m.group(1))] = (m.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})\b", line))
    return pins


def k8s_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def workloads() -> list[dict[str, Any]]:
    return [d for d in k8s_documents() if d["kind"] in {"Deployment", "StatefulSet"}]


def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("SECONDROUND_", "SLACK_", "DISCORD_")):
            monkeypatch.delenv(name)


# .env.example ------------------------------------------------------------------------------------


def _every_variable() -> set[str]:
    """The core's variables and those of every platform plugin this project ships."""
    from bot.ops import plugins

    shipped = [p for p in plugins.discover().values() if type(p).__module__.startswith("adapters.")]
    platforms = {name for p in shipped for name in p.settings_model.env_names().values()}
    return {env_name(f) for f in Settings.model_fields} | platforms


def test_env_example_documents_every_setting_the_program_has() -> None:
    names = documented()
    missing = sorted(_every_variable() - set(names))
    assert not missing, f"settings not in deploy/.env.example: {missing}"
    for name, comment in names.items():
        assert len(comment) > 15, f"{name} has no explanation in deploy/.env.example"


def test_env_example_documents_every_variable_of_the_configuration_reference() -> None:
    in_docs = set(VAR.findall((ROOT / "docs" / "configuration.md").read_text()))
    assert "SECONDROUND_DATABASE_URL" in in_docs  # the pattern found the table
    text = ENV_EXAMPLE.read_text()
    missing = sorted(v for v in in_docs if v not in text)
    assert not missing, f"in docs/configuration.md but not in deploy/.env.example: {missing}"


def test_env_example_is_itself_a_valid_settings_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copied as is (tokens still commented out), it loads and means the documented defaults."""
    clean_environment(monkeypatch)
    settings = load_settings(ENV_EXAMPLE)
    assert settings.retention_days == 180 and settings.log_level == "INFO" and settings.default_tz == "UTC"
    from bot.ops import plugins

    assert not any(plugins.load(p, settings).configured() for p in plugins.runnable().values())


# docker-compose.yml ------------------------------------------------------------------------------


def test_compose_file_is_wired_as_documented() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "bot"}
    pg = services["postgres"]
    assert any(v.startswith("pgdata:") for v in pg["volumes"]) and "pgdata" in compose["volumes"]
    assert "healthcheck" in pg
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    bot = services["bot"]
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name in ("migrate", "bot"):
        service = services[name]
        assert service["env_file"] == ".env"  # tokens from .env, not from the file or the image
        build = service["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
        assert service["environment"]["SECONDROUND_DATABASE_URL"].startswith("postgresql://secondround:")
    assert bot["environment"]["SECONDROUND_HEALTH_ADDR"] == "0.0.0.0:8080"
    assert int(bot["stop_grace_period"].rstrip("s")) > SHUTDOWN_GRACE_SECONDS
    assert not re.search(r"xox[bpa]-|xapp-", COMPOSE.read_text())


def test_every_variable_compose_uses_is_documented() -> None:
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE.read_text()))
    assert {"POSTGRES_PASSWORD", "SECONDROUND_PLATFORMS"} <= used
    missing = sorted(used - set(documented()))
    assert not missing, f"docker-compose.yml uses {missing}, which deploy/.env.example does not document"


def test_compose_commands_exist_in_the_cli() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    for name, service in compose["services"].items():
        if "command" not in service or name == "postgres":
            continue
        command = service["command"]
        if isinstance(command, str):  # Compose interpolates, then splits like a shell
            command = shlex.split(re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", command))
        assert_cli_accepts(command, f"docker-compose.yml service {name}")
    # with both platforms, the interpolated command still parses
    bot = compose["services"]["bot"]["command"].replace("${SECONDROUND_PLATFORMS:-slack}", "slack discord")
    assert_cli_accepts(shlex.split(bot), "docker-compose.yml with SECONDROUND_PLATFORMS='slack discord'")


# Dockerfile --------------------------------------------------------------------------------------


def test_dockerfile_multi_stage_slim_non_root_with_healthcheck_and_no_secrets() -> None:
    steps = dockerfile()
    froms = [rest for ins, rest in steps if ins == "FROM"]
    assert len(froms) >= 2 and all("-slim" in f for f in froms), froms
    users = [rest for ins, rest in steps if ins == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert [ins for ins, _ in steps].index("USER") > max(i for i, (ins, _) in enumerate(steps) if ins == "RUN")
    [check] = [rest for ins, rest in steps if ins == "HEALTHCHECK"]
    assert "/healthz" in check
    for ins, rest in steps:
        if ins in {"ENV", "ARG", "LABEL"}:
            assert not re.search(r"TOKEN|SECRET|PASSWORD|xox[bpa]-|xapp-", rest, re.I), rest
    env = " ".join(rest for ins, rest in steps if ins == "ENV")
    assert "SECONDROUND_HEALTH_ADDR=0.0.0.0:8080" in env  # a HEALTHCHECK/probe must reach it


def test_dockerfile_entrypoint_and_cmd_are_cli_commands() -> None:
    steps = dict(dockerfile())
    assert json.loads(steps["ENTRYPOINT"]) == ["secondround"]
    cmd = json.loads(steps["CMD"])
    assert_cli_accepts(cmd, "Dockerfile CMD")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["secondround"] == "bot.ops.cli:main"


def test_dockerfile_copies_the_package_and_the_knowledge_base_and_nothing_secret() -> None:
    copies = [rest for ins, rest in dockerfile() if ins == "COPY" and "--from=" not in rest]
    sources = [src for rest in copies for src in rest.split()[:-1] if not src.startswith("--")]
    assert {"pyproject.toml", "bot", "adapters", "knowledge"} <= set(sources)
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*")] == "*"  # everything is excluded unless listed
    for src in sources:
        assert (ROOT / src).exists(), f"COPY {src}: no such file in the repository"
        assert f"!{src}" in ignore or f"!{src}/" in ignore, f"COPY {src} is excluded by Dockerfile.dockerignore"
    assert "**/.env" in ignore


def test_dockerfile_installs_exactly_the_hash_checked_lock() -> None:
    runs = [rest for ins, rest in dockerfile() if ins == "RUN"]
    [lock_install] = [r for r in runs if "requirements.lock" in r]
    assert "--require-hashes" in lock_install and "--no-deps" in lock_install  # nothing from outside the lock
    [package_install] = [r for r in runs if re.search(r"pip install .*\s\.(\s|$)", r)]
    assert "--no-deps" in package_install and "--no-build-isolation" in package_install  # built with locked tools
    assert "pip check" in package_install  # and the locked set is complete and consistent
    assert "deploy/requirements.lock ./" in build_stage_copies()


def test_the_lock_pins_every_runtime_dependency_with_hashes() -> None:
    """Each of pyproject's dependencies (extras included) and the build backend, at a version its range allows.

    Their own dependencies too, followed through the installed packages' metadata wherever the
    installed version is the pinned one (the Dockerfile's ``pip check`` covers the rest at build).
    """
    from importlib.metadata import PackageNotFoundError, distribution

    pins = lock_pins()
    assert all(hashes for _, hashes in pins.values()), [n for n, (_, h) in pins.items() if not h]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    todo = [(Requirement(r), "") for r in project["project"]["dependencies"] + project["build-system"]["requires"]]
    seen: set[str] = set()
    followed = 0
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is not in deploy/requirements.lock"
        version = pins[name][0]
        assert req.specifier.contains(Version(version), prereleases=True), f"the lock pins {name}=={version}: {req}"
        key = f"{name}[{','.join(sorted(req.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        if Version(dist.version) != Version(version):
            continue
        followed += 1
        for child in dist.requires or []:
            todo.extend((Requirement(child), e) for e in (sorted(req.extras) or [""]))
    assert followed >= len(project["project"]["dependencies"])  # the walk did go past the top level here


def _healthcheck_command() -> list[str]:
    [check] = [rest for ins, rest in dockerfile() if ins == "HEALTHCHECK"]
    return json.loads(check.split(" CMD ", 1)[1])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, health_addr="127.0.0.1:0")


async def test_the_image_healthcheck_command_passes_when_alive_and_fails_when_not(bot: BotHarness) -> None:
    command = _healthcheck_command()
    assert command[0] == "python"
    runtime = Runtime(bot.app, health=False)
    server = HealthServer(runtime, "127.0.0.1", 0)
    await server.start()
    env = {**os.environ, "SECONDROUND_HEALTH_ADDR": f"0.0.0.0:{server.port}"}
    try:
        alive = await _run_async([sys.executable, *command[1:]], env)
    finally:
        await server.stop()
    dead = await _run_async([sys.executable, *command[1:]], env)
    assert alive == 0 and dead != 0


async def _run_async(argv: list[str], env: dict[str, str]) -> int:
    import asyncio

    proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return await asyncio.wait_for(proc.wait(), 30)


@pytest.mark.slow
def test_the_package_the_image_installs_is_complete(tmp_path: Path, cache_dir: Path) -> None:
    """Build the package from exactly what the Dockerfile copies, then run it on its own.

    ``build_py`` is the step of ``pip install .`` that lays out the packages and their data files;
    it needs no network, unlike a full wheel build. The result is then imported from a clean folder
    ahead of this checkout: the knowledge base and the migrations must come with it.
    """
    context = tmp_path / "context"
    for rest in build_stage_copies():
        *sources, _ = rest.split()
        for src in sources:
            target = context / src
            if (ROOT / src).is_dir():
                shutil.copytree(ROOT / src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / src, target)
    site = tmp_path / "site"
    p = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py", "-d", str(site)],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    yaml_here = {q.relative_to(ROOT) for q in (ROOT / "knowledge").rglob("*.yaml")}
    yaml_there = {q.relative_to(site) for q in (site / "knowledge").rglob("*.yaml")}
    assert yaml_here == yaml_there
    assert any((site / "bot/storage/migrations/versions").glob("0*.py"))
    assert (site / "bot/storage/migrations/env.py").is_file()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECONDROUND_", "SLACK_", "DISCORD_"))}
    env |= {
        "PYTHONPATH": str(site),
        "SECONDROUND_DATA_DIR": str(tmp_path / "data"),
        "SECONDROUND_CACHE_DIR": str(cache_dir),
        "SECONDROUND_HEALTH_ADDR": "",
    }

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    p = run(sys.executable, "-c", "import bot, knowledge, adapters.slack, adapters.discord; print(knowledge.__file__)")
    assert p.returncode == 0 and p.stdout.startswith(str(site)), p.stdout + p.stderr
    main = [sys.executable, "-c", "import sys; from bot.ops.cli import main; sys.exit(main())"]
    p = run(*main, "db", "upgrade")
    newest = max(path.name.split("_")[0] for path in (site / "bot/storage/migrations/versions").glob("0*.py"))
    assert p.returncode == 0 and p.stdout.startswith(f"database at {newest}"), p.stdout + p.stderr
    p = run(*main, "doctor")
    assert p.returncode == 0 and "PASS  knowledge base" in p.stdout, p.stdout + p.stderr
    # the Dockerfile's own build-time Python commands, with the model cache pointed at the test's
    snippets = re.findall(r'python -c\s+"([^"]+)"', " ".join(rest for ins, rest in dockerfile() if ins == "RUN"))
    assert len(snippets) == 2
    for code in snippets:
        p = run(sys.executable, "-c", code.replace("/opt/secondround-cache", str(cache_dir)))
        assert p.returncode == 0, p.stderr


# Kubernetes --------------------------------------------------------------------------------------


def test_kubernetes_manifests_parse_and_reference_what_exists() -> None:
    docs = k8s_documents()
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("ConfigMap", "secondround") in kinds and ("Secret", "secondround") in kinds
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file()
    assert "secret.template.yaml" not in kustomization["resources"]  # placeholders never applied
    secret = next(d for d in docs if d["kind"] == "Secret")
    settings_vars = _every_variable()
    assert set(secret["stringData"]) <= settings_vars
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    assert set(config["data"]) <= settings_vars
    health_port = int(config["data"]["SECONDROUND_HEALTH_ADDR"].rpartition(":")[2])
    for w in workloads():
        spec = w["spec"]["template"]["spec"]
        where = f"{w['kind']} {w['metadata']['name']}"
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["terminationGracePeriodSeconds"] > SHUTDOWN_GRACE_SECONDS, where
        assert w["spec"]["selector"]["matchLabels"].items() <= w["spec"]["template"]["metadata"]["labels"].items()
        [init] = spec["initContainers"]
        assert init["args"] == ["db", "upgrade"], where  # migrations before the bot starts
        for container in [init, *spec["containers"]]:
            refs = {(next(iter(e)), next(iter(e.values()))["name"]) for e in container["envFrom"]}
            assert refs == {("configMapRef", "secondround"), ("secretRef", "secondround")}, where
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
        [bot] = spec["containers"]
        assert_cli_accepts(bot["args"], where)
        ports = {p["name"]: p["containerPort"] for p in bot["ports"]}
        assert ports["health"] == health_port
        assert bot["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
        assert bot["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
        assert bot["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_slack_deployment_is_replicated_within_socket_mode_limits() -> None:
    [slack] = [w for w in workloads() if w["metadata"]["name"] == "secondround-slack"]
    assert slack["kind"] == "Deployment"
    replicas, surge = slack["spec"]["replicas"], slack["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    assert replicas >= 2 and replicas + surge <= 10  # Slack: at most 10 Socket Mode connections per app


def test_discord_statefulset_runs_one_shard_per_pod() -> None:
    [discord] = [w for w in workloads() if w["metadata"]["name"] == "secondround-discord"]
    assert discord["kind"] == "StatefulSet"
    [bot] = discord["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in bot["env"]}
    assert int(env["SECONDROUND_DISCORD_SHARD_COUNT"]["value"]) == discord["spec"]["replicas"]
    ref = env["SECONDROUND_DISCORD_SHARD_IDS"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert ref == "metadata.labels['apps.kubernetes.io/pod-index']"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_builds_the_bundle() -> None:
    p = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    built = [d for d in yaml.safe_load_all(p.stdout) if d]
    assert {d["kind"] for d in built} == {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "StatefulSet",
        "Service",
        "PodDisruptionBudget",
    }
    assert all(d["metadata"].get("namespace") == "secondround" for d in built if d["kind"] != "Namespace")


# systemd -----------------------------------------------------------------------------------------


def _unit_lines() -> dict[str, list[tuple[str, str]]]:
    """Section → (key, value) in order: systemd allows repeated keys (Environment=)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = []
        else:
            key, _, value = line.partition("=")
            sections[current].append((key.strip(), value.strip()))
    return sections


def test_systemd_unit_parses_and_runs_the_bot_as_a_service_user() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    assert set(parser.sections()) == {"Unit", "Service", "Install"}
    service = parser["Service"]
    assert service["User"] == "secondround" and service["Group"] == "secondround"
    assert service["EnvironmentFile"] == "/etc/secondround/secondround.env"
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) > SHUTDOWN_GRACE_SECONDS
    assert service["Restart"] == "on-failure"
    assert parser["Install"]["WantedBy"] == "multi-user.target"
    defaults = dict(v.split("=", 1) for k, v in _unit_lines()["Service"] if k == "Environment")
    for key, value in _unit_lines()["Service"]:
        if key in {"ExecStart", "ExecStartPre"}:
            argv = shlex.split(value.replace("$SECONDROUND_PLATFORMS", defaults["SECONDROUND_PLATFORMS"]))
            assert argv[0] == "/opt/secondround/bin/secondround"
            assert_cli_accepts(argv[1:], f"secondround.service {key}")
    assert "SECONDROUND_PLATFORMS" in documented()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    """With the program's real path in place of /opt/secondround (not installed on this machine)."""
    exe = shutil.which("secondround", path=str(Path(sys.executable).parent))
    assert exe is not None
    unit = tmp_path / "secondround.service"
    unit.write_text(UNIT.read_text().replace("/opt/secondround/bin/secondround", exe))
    p = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_deploy_guide_covers_each_path_and_says_what_was_verified() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for needle in (
        "docker compose up",
        "kubectl apply -k deploy/kubernetes",
        "systemctl enable --now secondround",
        "secondround db upgrade",
        "secondround db copy --to postgresql://",
        "pg_dump",
        "What was verified here, and how",
        "Not verified here",
    ):
        assert needle in guide, needle
    assert "docs/deploy.md" in (ROOT / "README.md").read_text()


# `secondround doctor` inside the documented Kubernetes pod ---------------------------------------


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = "mount -t tmpfs tmpfs /mnt && mount -o remount,bind,ro / && mount -o remount,ro /mnt"
    p = subprocess.run(["unshare", "-rm", "sh", "-c", probe], capture_output=True, timeout=30)
    return p.returncode == 0


def _image_env() -> dict[str, str]:
    """The runtime stage's ENV of deploy/Dockerfile."""
    env: dict[str, str] = {}
    for rest in [rest for ins, rest in dockerfile() if ins == "ENV"]:
        for item in shlex.split(rest):
            key, _, value = item.partition("=")
            env[key] = value
    return {k: v for k, v in env.items() if k.startswith("SECONDROUND_")}


def _in_the_pod(container: dict[str, Any], image_cache: str, argv: list[str]) -> list[str]:
    """``secondround *argv`` in a private mount namespace laid out like the pod's file system.

    The image's cache folder is empty (the language models ship in the package); then the root file
    system turns read-only (``readOnlyRootFilesystem``) and each volume the container mounts
    (``emptyDir``) is a fresh writable tmpfs.
    """
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    writable = [m["mountPath"] for m in container.get("volumeMounts", [])]
    for path in writable:  # a fresh tmpfs there would hide this checkout and its virtual environment
        if Path(sys.prefix).resolve().is_relative_to(path) or ROOT.resolve().is_relative_to(path):
            pytest.skip(f"the checkout lies under {path}, which the pod mounts as an empty volume")
    exe = shutil.which("secondround", path=str(Path(sys.executable).parent))
    assert exe is not None
    parent = str(Path(image_cache).parent)
    script = "\n".join(
        [
            "set -e",
            f"mount -t tmpfs tmpfs {shlex.quote(parent)}",  # stands for the image's layer
            f"mkdir -p {shlex.quote(image_cache)}",
            f"mount -o remount,ro {shlex.quote(parent)}",
            "mount -o remount,bind,ro /",
            *(f"mount -t tmpfs tmpfs {shlex.quote(path)}" for path in writable),
            f"exec {shlex.quote(exe)} {' '.join(shlex.quote(a) for a in argv)}",
        ]
    )
    return ["unshare", "-rm", "sh", "-c", script]


@pytest.mark.postgres
@pytest.mark.skipif(not _unshare_works(), reason="needs unshare(1) with user and mount namespaces")
async def test_doctor_passes_in_the_kubernetes_pod_with_its_read_only_root(postgres_url, cache_dir, env) -> None:
    """What docs/deploy.md has the operator run: the init container, then `secondround doctor` in the bot pod.

    Settings: the image's ENV, the ConfigMap, and the Secret's keys (the database is the test's
    PostgreSQL; the tokens are the local stand-ins', whose URLs are the only settings added).
    """
    import asyncio

    from tests.standins.discord import DiscordStandIn
    from tests.standins.slack import SlackStandIn

    [slack] = [w for w in workloads() if w["metadata"]["name"] == "secondround-slack"]
    spec = slack["spec"]["template"]["spec"]
    [init], [bot] = spec["initContainers"], spec["containers"]
    config = next(d for d in k8s_documents() if d["kind"] == "ConfigMap")["data"]
    secret = yaml.safe_load((K8S / "secret.template.yaml").read_text())["stringData"]
    slack_api = await SlackStandIn(bot_token="xoxb-1-2-podtoken", app_token="xapp-1-A1-3-podapp").start()
    discord_api = DiscordStandIn(token="MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.Gpodtk.pod-discord-token-0123456789")
    await discord_api.start()
    values = {
        "SECONDROUND_DATABASE_URL": postgres_url,
        "SLACK_BOT_TOKEN": slack_api.bot_token,
        "SLACK_APP_TOKEN": slack_api.app_token,
        "DISCORD_TOKEN": discord_api.token,
    }
    assert set(secret) == set(values)  # every key of the Secret gets a value, and nothing else
    pod_env = {k: v for k, v in env.items() if not k.startswith("SECONDROUND_")}
    pod_env |= _image_env() | {k: str(v) for k, v in config.items()} | values
    pod_env |= {"SECONDROUND_SLACK_API_URL": slack_api.api_url, "SECONDROUND_DISCORD_API_URL": discord_api.api_url}
    image_cache = pod_env["SECONDROUND_CACHE_DIR"]

    async def run_in(container: dict[str, Any], argv: list[str]) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            *_in_the_pod(container, image_cache, argv),
            env=pod_env,
            cwd=ROOT,  # the image's WORKDIR holds deploy/slack/manifest.yml; so does the checkout
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 300)
        return proc.returncode or 0, out.decode()

    try:
        status, out = await run_in(init, init["args"])
        assert status == 0 and "database at" in out, out
        status, out = await run_in(bot, ["doctor"])
    finally:
        await slack_api.close()
        await discord_api.stop()
    print(out)
    assert status == 0, out
    assert f"PASS  cache folder: {image_cache} is read-only (Read-only file system); the language models ship" in out
    assert "PASS  database: connected to postgresql" in out and "PASS  migrations" in out
    assert "PASS  slack credentials" in out and "PASS  discord credentials" in out
