"""The cluster tools against the real local Kubernetes (make cluster): every diagnosis category created for
real in its own namespace, a restart watched until Ready, HTTP health of a real pod, helm with the sample
chart, and the bad inputs through the real CLI.

Test images are tiny (Debian's static busybox in a FROM scratch image) and local: they are built straight
into the node's daemon (or only into the build host's, for the image-not-on-node case), never pulled.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.errors import ShipshapeError
from agent.project.config import project_from_dict
from agent.tools import get
from agent.tools.context import ToolContext

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[1]
TOOLS_BIN = REPO / ".tools" / "bin"
KUBECTL = str(TOOLS_BIN / "kubectl") if (TOOLS_BIN / "kubectl").exists() else "kubectl"
SHIPSHAPE = str(REPO / ".venv" / "bin" / "shipshape")
RUN = f"sst{uuid.uuid4().hex[:5]}"  # one suffix per test run: namespaces of an earlier run do not collide
APP_DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ARG PORT=8080
ENV PORT=$PORT
RUN mkdir -p /www/api /tmp && echo ok > /www/health && echo '{"status":"ok"}' > /www/api/health
CMD httpd -f -v -p $PORT -h /www
"""


def build_image(docker_host: str, tags: list[str], port: int = 8080) -> None:
    """Build the busybox test image into one daemon under the given tags."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy(busybox, Path(ctx) / "busybox")
        (Path(ctx) / "Dockerfile").write_text(APP_DOCKERFILE)
        cmd = ["docker", "-H", docker_host, "build", "-q", "--build-arg", f"PORT={port}"]
        for tag in tags:
            cmd += ["-t", tag]
        subprocess.run(
            [*cmd, ctx], check=True, capture_output=True, timeout=300, env={**os.environ, "DOCKER_BUILDKIT": "0"}
        )


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    proc = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {proc.stderr}")
    return proc.stdout


def deployment(
    name: str,
    image: str,
    *,
    command: str | None = None,
    policy: str | None = None,
    probe_path: str | None = None,
    port: int = 8080,
    memory_limit: str | None = None,
    config_map: str | None = None,
    node_selector: dict[str, str] | None = None,
    replicas: int = 1,
) -> dict[str, Any]:
    """A Deployment manifest with the settings each scenario needs."""
    container: dict[str, Any] = {"name": "app", "image": image}
    if policy:
        container["imagePullPolicy"] = policy
    if command:
        container["command"] = ["sh", "-c", command]
    if probe_path:
        container["readinessProbe"] = {"httpGet": {"path": probe_path, "port": port}, "periodSeconds": 1}
    if memory_limit:
        container["resources"] = {"limits": {"memory": memory_limit}}
    if config_map:
        container["envFrom"] = [{"configMapRef": {"name": config_map}}]
    spec: dict[str, Any] = {"containers": [container], "terminationGracePeriodSeconds": 1, "dnsPolicy": "Default"}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def make_context(
    kubeconfig: Path, namespaces: list[str], store: Any, root: Path, helm_chart: Path | None = None
) -> ToolContext:
    raw: dict[str, Any] = {
        "project": {"name": "todo"},
        "images": [
            {
                "name": "frontend",
                "context": ".",
                "repository": "todo-frontend",
                "deployment": "todo-frontend",
                "container": "frontend",
                "health": {"path": "/api/health", "port": 3000},
            },
            {
                "name": "backend",
                "context": ".",
                "repository": "todo-backend",
                "deployment": "todo-backend",
                "container": "backend",
                "health": {"path": "/health", "port": 8000},
            },
        ],
        "cluster": {"kubeconfig": str(kubeconfig), "namespace": namespaces[0]},
        "policy": {"allowed_namespaces": namespaces},
    }
    if helm_chart is not None:
        raw["helm"] = {"release": "todo", "chart": str(helm_chart), "namespace": namespaces[0]}
    return ToolContext(project=project_from_dict(raw, root), store=store)


def call(ctx: ToolContext, name: str, **args: Any) -> dict[str, Any]:
    return get(name).call(ctx, args)


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `check` (a test's view of the cluster, not the code under test) until it returns truthy."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def images(kubeconfig: Path, node_docker: str, host_docker: str) -> dict[str, str]:
    build_image(node_docker, ["sstest-app:v1", "sstest-app:latest"])
    build_image(host_docker, ["sstest-hostonly:v1"])
    for ref in ("sstest-hostonly:v1", "sstest-nowhere:v1", "sstest-never:v1"):
        subprocess.run(["docker", "-H", node_docker, "rmi", "-f", ref], capture_output=True, check=False)
    return {"app": "sstest-app:v1"}


# name -> (deployment manifest, Kubernetes reasons accepted, category)
PRISMA_CRASH = (
    "echo 'PrismaClientInitializationError: Prisma Client could not locate the Query Engine for "
    'runtime "linux-musl-openssl-3.0.x".\'; exit 1'
)
SCENARIOS: dict[str, tuple[dict[str, Any], set[str], str]] = {
    "hostonly": (
        deployment("web", "sstest-hostonly:v1", policy="IfNotPresent"),
        {"ImagePullBackOff", "ErrImagePull"},
        "image-not-on-node",
    ),
    "nowhere": (deployment("web", "sstest-nowhere:v1"), {"ImagePullBackOff", "ErrImagePull"}, "image-not-found"),
    "never": (deployment("web", "sstest-never:v1", policy="Never"), {"ErrImageNeverPull"}, "image-never-pull"),
    "latest": (deployment("web", "sstest-app:latest"), {"ImagePullBackOff", "ErrImagePull"}, "latest-tag-pull-always"),
    "crash": (
        deployment("web", "sstest-app:v1", command="echo starting; echo fatal: boom; exit 3"),
        {"CrashLoopBackOff"},
        "crash-loop",
    ),
    "oom": (
        deployment("web", "sstest-app:v1", command="head -c 200m /dev/zero | tail", memory_limit="20Mi"),
        {"OOMKilled"},
        "oom-killed",
    ),
    "config": (
        deployment("web", "sstest-app:v1", config_map="sstest-missing-config"),
        {"CreateContainerConfigError"},
        "config-missing",
    ),
    "unsched": (
        deployment("web", "sstest-app:v1", node_selector={"shipshape.test/nope": "true"}),
        {"Unschedulable"},
        "unschedulable",
    ),
    "probe": (deployment("web", "sstest-app:v1", probe_path="/nope"), {"Unhealthy"}, "probe-failing"),
    "prisma": (deployment("web", "sstest-app:v1", command=PRISMA_CRASH), {"CrashLoopBackOff"}, "crash-loop"),
}


@pytest.fixture(scope="module")
def scenarios(kubeconfig: Path, images: dict[str, str]) -> Iterator[dict[str, str]]:
    """Every broken deployment at once, each in its own namespace, so they break in parallel."""
    namespaces = {key: f"{RUN}-{key}" for key in SCENARIOS}
    for key, ns in namespaces.items():
        kubectl(kubeconfig, "create", "namespace", ns)
        kubectl(kubeconfig, "-n", ns, "apply", "-f", "-", stdin=json.dumps(SCENARIOS[key][0]))
    yield namespaces
    for ns in namespaces.values():
        kubectl(kubeconfig, "delete", "namespace", ns, "--wait=false", check=False)


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_cluster_status_diagnoses_each_category(
    key: str, scenarios: dict[str, str], kubeconfig: Path, store: Any, tmp_path: Path
) -> None:
    ns = scenarios[key]
    _, reasons, category = SCENARIOS[key]
    ctx = make_context(kubeconfig, [ns], store, tmp_path)

    def diagnosed() -> dict[str, Any] | None:
        pods = call(ctx, "cluster_status", namespace=ns)["pods"]
        return next((p for p in pods if p["category"] == category and p["reason"] in reasons), None)

    pod = wait_until(diagnosed, 150, f"{key}: {category}")
    assert pod["deployment"] == "web" and pod["ready"] is False
    assert pod["evidence"] and pod["next_step"]
    if key == "hostonly":
        assert "no such host" in pod["evidence"] or "registry" in pod["evidence"]
    if key == "crash":
        assert "fatal: boom" in pod["evidence"]
    if key == "prisma":
        assert pod["log_signals"] == ["prisma-engine"] and "binaryTargets" in pod["next_step"]
    doc = call(ctx, "cluster_status", namespace=ns)
    assert doc["healthy"] is False
    assert doc["deployments"][0]["name"] == "web" and doc["deployments"][0]["ready"] == 0


def test_status_json_through_the_cli(scenarios: dict[str, str], kubeconfig: Path, tmp_path: Path) -> None:
    ns = scenarios["hostonly"]
    write_config(tmp_path, kubeconfig, ns)
    doc = wait_until(lambda: _cli_pod(tmp_path, ns, "image-not-on-node"), 120, "status --json")
    assert doc["reason"] in ("ImagePullBackOff", "ErrImagePull")
    assert set(doc) >= {"namespace", "name", "deployment", "ready", "reason", "category", "evidence", "next_step"}


def _cli_pod(root: Path, ns: str, category: str) -> dict[str, Any] | None:
    proc = run_cli(root, "status", "-n", ns, "--json")
    assert proc.returncode == 0, proc.stderr
    return next((p for p in json.loads(proc.stdout)["pods"] if p["category"] == category), None)


def write_config(
    root: Path, kubeconfig: Path | str | None, namespace: str = "default", read_anywhere: bool = False
) -> None:
    kube_line = f'kubeconfig = "{kubeconfig}"\n' if kubeconfig else ""
    reads = 'read_namespaces = ["*"]\n' if read_anywhere else ""
    (root / "shipshape.toml").write_text(
        f'[project]\nname = "t"\n\n[[images]]\nname = "backend"\ncontext = "."\n\n'
        f'[cluster]\n{kube_line}namespace = "{namespace}"\n\n'
        f'[helm]\nrelease = "t"\nchart = "{REPO / "examples" / "todo" / "chart"}"\nnamespace = "{namespace}"\n\n'
        f'[policy]\nallowed_namespaces = ["{namespace}"]\n{reads}'
    )


def run_cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {**os.environ, "SHIPSHAPE_DB": str(root / "memory.db")}
    return subprocess.run(
        [SHIPSHAPE, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        check=False,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("shipshape: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_bad_input_gives_one_line_errors(kubeconfig: Path, tmp_path: Path) -> None:
    write_config(tmp_path, kubeconfig, "default", read_anywhere=True)  # past the policy, to the API server
    line = one_line_error(run_cli(tmp_path, "status", "-n", "no-such-namespace"))
    assert "namespace 'no-such-namespace' does not exist" in line and "kube-system" in line
    write_config(tmp_path, kubeconfig, "default")  # reads limited to allowed_namespaces, as by default
    line = one_line_error(run_cli(tmp_path, "status", "-n", "kube-system"))
    assert "namespace 'kube-system' is not allowed for reads" in line
    line = one_line_error(run_cli(tmp_path, "restart", "no-such-deployment", "-n", "default"))
    assert "no deployment 'no-such-deployment' in namespace 'default'" in line
    # The API server down: a kubeconfig that points to a closed port.
    down = tmp_path / "down-kubeconfig"
    down.write_text(kubeconfig.read_text().replace("127.0.0.1:6443", "127.0.0.1:1"))
    write_config(tmp_path, down)
    line = one_line_error(run_cli(tmp_path, "status"))
    assert "the API server at https://127.0.0.1:1 does not answer" in line and "make cluster" in line
    # No kubeconfig: none named, none in KUBECONFIG, none in ~/.kube.
    write_config(tmp_path, None)
    line = one_line_error(run_cli(tmp_path, "status", env={"KUBECONFIG": "", "HOME": str(tmp_path)}))
    assert "no kubeconfig found" in line
    write_config(tmp_path, tmp_path / "missing" / "kubeconfig")
    assert "no kubeconfig at" in one_line_error(run_cli(tmp_path, "status"))
    # helm missing: a PATH without it (and no .tools/bin above this project).
    write_config(tmp_path, kubeconfig)
    no_helm = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not (Path(p) / "helm").exists()
    )
    line = one_line_error(run_cli(tmp_path, "deploy", "--tag", "backend=v1", env={"PATH": no_helm}))
    assert "helm not found" in line and "make cluster" in line


@pytest.fixture(scope="module")
def web(kubeconfig: Path, images: dict[str, str]) -> Iterator[str]:
    """A healthy busybox httpd deployment (readiness probe on /health) in its own namespace."""
    ns = f"{RUN}-roll"
    kubectl(kubeconfig, "create", "namespace", ns)
    manifest = deployment(
        "web",
        images["app"],
        probe_path="/health",
        replicas=1,
        command='echo "starting with api_token=supersecret123"; exec httpd -f -v -p 8080 -h /www',
    )
    kubectl(kubeconfig, "-n", ns, "apply", "-f", "-", stdin=json.dumps(manifest))
    yield ns
    kubectl(kubeconfig, "delete", "namespace", ns, "--wait=false", check=False)


def test_restart_wait_health_logs(web: str, kubeconfig: Path, store: Any, tmp_path: Path) -> None:
    ctx = make_context(kubeconfig, [web], store, tmp_path)
    first = call(ctx, "wait_for_rollout", deployment="web", namespace=web, timeout_seconds=120)
    assert first["ready"] is True, first
    old = {p["name"] for p in first["pods"]}

    health = call(ctx, "check_health", deployment="web", namespace=web, port=8080, path="/health")
    assert (health["status"], health["ok"]) == (200, True) and health["body"].strip() == "ok"
    assert health["url"].startswith("http://172.30.")
    missing = call(ctx, "check_health", deployment="web", namespace=web, port=8080, path="/nope")
    assert (missing["status"], missing["ok"]) == (404, False)
    closed = call(ctx, "check_health", deployment="web", namespace=web, port=9, path="/health")
    assert closed["status"] == 0 and closed["ok"] is False and "refused" in closed["error"].lower()

    logs = call(ctx, "pod_logs", deployment="web", namespace=web, tail_lines=50)
    text = "\n".join(logs["pods"][0]["lines"])
    assert "starting with" in text and "supersecret123" not in text and "REDACTED" in text

    restarted = call(ctx, "rollout_restart", deployment="web", namespace=web)
    assert restarted["restarted_at"]
    second = call(ctx, "wait_for_rollout", deployment="web", namespace=web, timeout_seconds=120)
    assert second["ready"] is True and second["diagnosis"] is None
    new = {p["name"] for p in second["pods"]}
    assert new and not (new & old), "the new ReplicaSet's pods replace the old ones"
    assert second["seconds"] < 60

    # A broken image makes wait_for_rollout return at once with the diagnosis, long before its timeout.
    ctx.kube.set_image(web, "web", "app", "sstest-nowhere:v2")
    broken = call(ctx, "wait_for_rollout", deployment="web", namespace=web, timeout_seconds=110)
    assert broken["ready"] is False and broken["timed_out"] is False
    assert broken["diagnosis"]["category"] == "image-not-found"
    assert broken["seconds"] < 40
    ctx.kube.set_image(web, "web", "app", "sstest-app:v1")
    assert call(ctx, "wait_for_rollout", deployment="web", namespace=web, timeout_seconds=120)["ready"]


def test_writes_outside_allowed_namespaces_are_refused(web: str, kubeconfig: Path, store: Any, tmp_path: Path) -> None:
    ctx = make_context(kubeconfig, ["somewhere-else"], store, tmp_path)
    with pytest.raises(ShipshapeError) as err:
        call(ctx, "rollout_restart", deployment="web", namespace=web)
    assert err.value.code == "forbidden-namespace"
    with pytest.raises(ShipshapeError):
        ctx.kube.set_image(web, "web", "app", "sstest-app:v1")
    # Reads are not writes: status of that namespace still works.
    assert call(ctx, "cluster_status", namespace=web)["deployments"][0]["name"] == "web"


def test_helm_upgrade_deploys_the_sample_chart_with_built_tags(
    kubeconfig: Path, node_docker: str, store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    build_image(node_docker, ["todo-backend:sstest1"], port=8000)
    build_image(node_docker, ["todo-frontend:sstest1"], port=3000)
    ns = f"{RUN}-helm"
    kubectl(kubeconfig, "create", "namespace", ns)
    try:
        ctx = make_context(kubeconfig, [ns], store, tmp_path, helm_chart=REPO / "examples" / "todo" / "chart")
        for image in ("frontend", "backend"):
            store.record_build(image=image, repository=f"todo-{image}", tag="sstest1", outcome="built")
        result = call(ctx, "helm_upgrade", wait=True, timeout_seconds=180)
        assert result["status"] == "deployed" and result["namespace"] == ns
        assert result["values"]["backend"]["image"] == {"repository": "todo-backend", "tag": "sstest1"}
        images = {d["name"]: d["images"] for d in call(ctx, "cluster_status", namespace=ns)["deployments"]}
        assert images == {"todo-backend": ["todo-backend:sstest1"], "todo-frontend": ["todo-frontend:sstest1"]}
        for image in ("backend", "frontend"):
            health = call(ctx, "check_health", image=image, namespace=ns)
            assert (health["status"], health["ok"]) == (200, True), health
        assert ctx.helm.status("todo", ns)["status"] == "deployed"
    finally:
        kubectl(kubeconfig, "delete", "namespace", ns, "--wait=false", check=False)


def _images(docker_host: str, repository: str) -> list[str]:
    out = subprocess.run(
        ["docker", "-H", docker_host, "images", repository, "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [ref for ref in out.split() if re.fullmatch(r"[\w.-]+:[0-9a-f]{12}", ref)]


def test_sample_app_backend_missing_from_node_then_loaded(
    kubeconfig: Path,
    node_docker: str,
    host_docker: str,
    store: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's story with the sample app's real images (built by `shipshape build`): the backend's tag
    exists only on the build host -> ImagePullBackOff / image-not-on-node; once the image is loaded into the
    node (docker save | docker load, what the daemon loader does), a restart becomes Ready and /health is 200."""
    backends = _images(host_docker, "todo-backend")
    frontends = [ref for ref in _images(node_docker, "todo-frontend") if ref in _images(host_docker, "todo-frontend")]
    if not backends or not frontends:
        pytest.skip("the sample app's images are not built (shipshape build in examples/todo)")
    monkeypatch.setenv("PATH", f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    tag = uuid.uuid4().hex[:12]
    backend = f"todo-backend:{tag}"
    subprocess.run(["docker", "-H", host_docker, "tag", backends[0], backend], check=True, timeout=60)
    ns = f"{RUN}-sample"
    kubectl(kubeconfig, "create", "namespace", ns)
    try:
        ctx = make_context(kubeconfig, [ns], store, tmp_path, helm_chart=REPO / "examples" / "todo" / "chart")
        tags = {"backend": tag, "frontend": frontends[0].split(":", 1)[1]}
        call(ctx, "helm_upgrade", tags=tags, wait=False)
        write_config(tmp_path, kubeconfig, ns)
        pod = wait_until(lambda: _cli_pod(tmp_path, ns, "image-not-on-node"), 120, "backend image-not-on-node")
        assert pod["deployment"] == "todo-backend" and pod["reason"] in ("ImagePullBackOff", "ErrImagePull")
        save = subprocess.Popen(["docker", "-H", host_docker, "save", backend], stdout=subprocess.PIPE)
        subprocess.run(
            ["docker", "-H", node_docker, "load"], stdin=save.stdout, check=True, capture_output=True, timeout=300
        )
        assert save.wait(60) == 0
        call(ctx, "rollout_restart", deployment="todo-backend", namespace=ns)
        rollout = call(ctx, "wait_for_rollout", deployment="todo-backend", namespace=ns, timeout_seconds=120)
        assert rollout["ready"] is True, rollout
        health = call(ctx, "check_health", image="backend", namespace=ns)
        assert (health["status"], health["ok"]) == (200, True), health
        assert "ok" in health["body"]
    finally:
        kubectl(kubeconfig, "delete", "namespace", ns, "--wait=false", check=False)
        for host in (host_docker, node_docker):
            subprocess.run(["docker", "-H", host, "rmi", "-f", backend], capture_output=True, check=False, timeout=60)
