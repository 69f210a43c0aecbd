"""Setting up the sample app in its own namespace on the real cluster, breaking it, and checking the outcome
independently of shipshape (kubectl and plain HTTP), for the recovery scenario tests."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import tomllib
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent import tools as registry
from agent.memory.store import Store
from agent.project.config import Project, project_from_dict
from agent.tools.context import ToolContext

REPO = Path(__file__).resolve().parents[1]
KUBECONFIG = REPO / ".cluster" / "kubeconfig"
NODE = f"unix://{REPO / '.cluster' / 'node-docker.sock'}"
# The loopback Prisma engines mirror the sample's frontend builds from (scripts/prisma-mirror.sh).
MIRROR = tomllib.loads((REPO / "examples" / "todo" / "shipshape.toml").read_text())["images"][0]["build_args"][
    "PRISMA_ENGINES_MIRROR"
]


def kubectl_bin() -> str:
    local = REPO / ".tools" / "bin" / "kubectl"
    return str(local) if local.exists() else (shutil.which("kubectl") or "kubectl")


def kubectl(*args: str, check: bool = True, stdin: str | None = None) -> str:
    """kubectl against the local cluster; a failure raises with kubectl's own message."""
    result = subprocess.run(
        [kubectl_bin(), "--kubeconfig", str(KUBECONFIG), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


@dataclass
class App:
    root: Path
    namespace: str
    project: Project
    ctx: ToolContext

    def call(self, tool: str, **args: Any) -> dict[str, Any]:
        """Run a tool directly (set-up steps, not the agent)."""
        return registry.get(tool).call(self.ctx, args)

    def reload(self) -> None:
        self.project = load(self.root, self.namespace)
        self.ctx.project = self.project
        self.ctx._cache.clear()


def load(root: Path, namespace: str) -> Project:
    raw = tomllib.loads((REPO / "examples" / "todo" / "shipshape.toml").read_text())
    raw["cluster"].update({"kubeconfig": str(KUBECONFIG), "node_docker_host": NODE, "namespace": namespace})
    raw["helm"].update({"release": f"todo-{namespace}", "namespace": namespace})
    raw["policy"]["allowed_namespaces"] = [namespace]
    return project_from_dict(raw, root)


def make_app(tmp_path: Path, store: Store) -> App:
    """A copy of examples/todo (with its engine files) in a fresh namespace."""
    namespace = f"scn-{uuid.uuid4().hex[:8]}"
    root = tmp_path / "todo"
    shutil.copytree(REPO / "examples" / "todo", root, ignore=shutil.ignore_patterns("*.backup"))
    kubectl("create", "namespace", namespace)
    project = load(root, namespace)
    return App(root, namespace, project, ToolContext(project=project, store=store))


def remove_app(app: App) -> None:
    kubectl("delete", "namespace", app.namespace, "--wait=false", check=False)


def deploy(app: App) -> dict[str, Any]:
    """Build, load and helm-install the sample; wait until both deployments are Ready."""
    build = app.call("build_and_load_images")
    assert build["ok"], build
    helm = app.call("helm_upgrade", wait=True, timeout_seconds=180)
    assert helm.get("ok", True), helm
    for deployment in ("todo-frontend", "todo-backend"):
        rolled_out(app.namespace, deployment)
    return build


def new_version(app: App, image: str = "backend") -> str:
    """Change one line in the image's context, as a developer's edit would."""
    if image == "backend":
        (app.root / "backend" / "app" / "VERSION").write_text(f"{uuid.uuid4().hex}\n")
    else:
        (app.root / "frontend" / "public" / "index.html").write_text(f"<p>{uuid.uuid4().hex}</p>\n")
    return image


def deployment(namespace: str, name: str) -> dict[str, Any]:
    return json.loads(kubectl("-n", namespace, "get", "deployment", name, "-o", "json"))


def rolled_out(namespace: str, name: str, timeout: int = 120) -> dict[str, Any]:
    """kubectl rollout status, then the deployment as Kubernetes reports it."""
    kubectl("-n", namespace, "rollout", "status", f"deployment/{name}", f"--timeout={timeout}s")
    dep = deployment(namespace, name)
    status, want = dep["status"], dep["spec"]["replicas"]
    assert status.get("availableReplicas") == want and status.get("updatedReplicas") == want, status
    return dep


def pod_waiting_reason(namespace: str, app_label: str, reasons: set[str], timeout: float = 90) -> str:
    """Wait until a pod of the app shows one of `reasons` (a waiting reason, or not-ready for 'Unready')."""
    deadline = time.monotonic() + timeout
    seen = ""
    unready_since: float | None = None
    while time.monotonic() < deadline:
        pods = json.loads(kubectl("-n", namespace, "get", "pods", "-l", f"app={app_label}", "-o", "json"))
        for pod in pods["items"]:
            if pod["metadata"].get("deletionTimestamp"):
                continue  # a pod on its way out says nothing about the new rollout
            for cs in pod.get("status", {}).get("containerStatuses", []) or []:
                seen = (cs.get("state", {}).get("waiting") or {}).get("reason", "") or seen
                if seen in reasons:
                    return seen
                unready = cs.get("state", {}).get("running") and not cs.get("ready")
                if "Unready" in reasons and unready:
                    unready_since = unready_since or time.monotonic()
                    if time.monotonic() - unready_since >= 8:  # the readiness probe has failed a few periods
                        return "Unready"
        time.sleep(1)
    raise AssertionError(f"no pod of {app_label} reached {reasons} in {timeout} s (last seen: {seen!r})")


def health(namespace: str, app_label: str, port: int, path: str) -> int:
    """GET the health path on a Ready pod's IP; the status code."""
    pods = json.loads(kubectl("-n", namespace, "get", "pods", "-l", f"app={app_label}", "-o", "json"))
    ready = [
        p
        for p in pods["items"]
        if not p["metadata"].get("deletionTimestamp")
        and any(c.get("type") == "Ready" and c.get("status") == "True" for c in p["status"].get("conditions", []))
    ]
    assert ready, f"no Ready pod of {app_label}"
    url = f"http://{ready[0]['status']['podIP']}:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def node_has(image_ref: str) -> bool:
    result = subprocess.run(["docker", "-H", NODE, "image", "inspect", image_ref], capture_output=True)
    return result.returncode == 0
