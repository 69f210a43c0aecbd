"""Daemon faults in the middle of an operation, against the real components (they need exclusive use of them):

- the host Docker daemon restarted during a real build of the sample's backend (pip install running);
- the node's Docker daemon restarted while the frontend image (about 270 MB) is streamed onto it;
- the API server stopped during a rollout watch, and started again (scripts/cluster-up.sh resumes it).

Each says what the user saw, the seconds from the fault until the same command succeeded again, and what was
lost: the memory database's integrity, the project's files, and (for the load) the image on the node by ID.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.faults import FaultRow

REPO = Path(__file__).resolve().parents[1]
SHIPSHAPE = REPO / ".venv" / "bin" / "shipshape"
HOST_PID = Path("/var/run/docker.pid")
NODE = f"unix://{REPO / '.cluster' / 'node-docker.sock'}"
NODE_PID = REPO / ".cluster" / "pids" / "node-dockerd.pid"
API_PID = REPO / ".cluster" / "pids" / "kube-apiserver.pid"


def _project(work: Path, prefix: str) -> Path:
    root = work / f"todo-{prefix}"
    shutil.copytree(REPO / "examples" / "todo", root, ignore=shutil.ignore_patterns("*.backup", "node_modules"))
    toml = root / "shipshape.toml"
    text = re.sub(r'repository = "todo-(\w+)"', rf'repository = "{prefix}-\1"', toml.read_text())
    toml.write_text(text.replace("../../.cluster", str(REPO / ".cluster")))
    return root


def _shipshape(root: Path, db: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHIPSHAPE_DB": str(db), "SHIPSHAPE_NODE_DOCKER_HOST": NODE}
    return subprocess.run(
        [str(SHIPSHAPE), *args], cwd=root, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def _files_digest(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _db_ok(db: Path) -> bool:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _stop(pidfile: Path, timeout: float = 30) -> None:
    pid = int(pidfile.read_text().strip())
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def _lost(root: Path, before: dict[str, bytes], db: Path, ignore: tuple[str, ...] = ("logs/",)) -> list[str]:
    after = _files_digest(root)
    changed = [
        name
        for name in set(before) | set(after)
        if not name.startswith(ignore) and before.get(name) != after.get(name) and not name.endswith(".json")
    ]
    lost = [f"file changed: {name}" for name in sorted(changed)]
    if not _db_ok(db):
        lost.append("memory database fails its integrity check")
    return lost


def _first_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    return lines[-1][:200] if lines else f"exit {proc.returncode}"


# The build stage's `pip install` as the host sees it: a process of the build container, started by the daemon.
PIP_IN_BUILD = re.compile(r"/opt/venv/bin/pip install\b")


def _wait_until(seen: Callable[[], bool], while_alive: threading.Thread, every: float, timeout: float = 120.0) -> bool:
    """Whether `seen()` came true (polled every `every` s) while `while_alive` ran."""
    deadline = time.monotonic() + timeout
    while while_alive.is_alive() and time.monotonic() < deadline:
        if seen():
            return True
        time.sleep(every)
    return False


def _process_running(command: re.Pattern[str]) -> bool:
    """Whether a process whose command line matches `command` runs (read in /proc)."""
    for proc in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = proc.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if command.search(line):
            return True
    return False


# The node daemon unpacks an image it is sent (POST /images/load) in a temporary folder under its data root's tmp/
# (dockerd points TMPDIR there): a `docker-import-*` folder exists there while a load is under way.
NODE_IMPORTS = Path(os.environ.get("SHIPSHAPE_NODE_DATA", "/var/lib/shipshape-node")) / "tmp"


def host_daemon_restart_during_build(work: Path) -> FaultRow:
    prefix = f"fh{uuid.uuid4().hex[:6]}"
    root, db = _project(work, prefix), work / f"{prefix}.db"
    (root / "backend" / "app" / "main.py").write_text(
        (root / "backend" / "app" / "main.py").read_text() + f"# {prefix}\n"
    )
    before = _files_digest(root)
    holder: dict[str, subprocess.CompletedProcess[str]] = {}
    build = threading.Thread(
        target=lambda: holder.update(run=_shipshape(root, db, "build", "--only", "backend", "--no-load", "--no-cache"))
    )
    build.start()
    # inside the pip install of the build stage: waited for, not guessed (a warm machine built the whole stage in less
    # than the 8 s this once slept, and the fault landed after the build)
    in_pip = _wait_until(lambda: _process_running(PIP_IN_BUILD), build, every=0.05)
    faulted = time.monotonic()
    _stop(HOST_PID)
    subprocess.run(["bash", str(REPO / "scripts" / "start-docker.sh")], check=True, capture_output=True)
    build.join()
    first = holder["run"]
    again = _shipshape(root, db, "build", "--only", "backend", "--no-load", "--json")
    recovered = time.monotonic() - faulted
    ok_again = again.returncode == 0 and json.loads(again.stdout or "{}").get("ok") is True
    lost = _lost(root, before, db)
    return FaultRow(
        "host Docker daemon restarted during a build",
        ("" if in_pip else "the build ended before pip started; ")
        + f"exit {first.returncode}: {_first_line(first)}; the same command then built the image",
        round(recovered, 1),
        "; ".join(lost) or "none",
        first.returncode != 0 and ok_again and not lost and "Traceback" not in first.stderr,
        {"first_exit": first.returncode, "rebuild_exit": again.returncode, "in_pip": in_pip},
    )


def node_daemon_restart_during_load(work: Path) -> FaultRow:
    prefix = f"fn{uuid.uuid4().hex[:6]}"
    root, db = _project(work, prefix), work / f"{prefix}.db"
    (root / "frontend" / "public" / "fault.txt").write_text(prefix)  # a new image ID: the load moves every layer
    built = _shipshape(root, db, "build", "--only", "frontend", "--no-load", "--json")
    tag = json.loads(built.stdout)["images"][0]["tag"]
    image_id = json.loads(built.stdout)["images"][0]["image_id"]
    before = _files_digest(root)
    holder: dict[str, subprocess.CompletedProcess[str]] = {}
    load = threading.Thread(target=lambda: holder.update(run=_shipshape(root, db, "build", "--only", "frontend")))
    load.start()
    # the image is built already: the fault lands once the node daemon is receiving it (its temporary import folder)
    in_load = _wait_until(lambda: any(NODE_IMPORTS.glob("docker-import-*")), load, every=0.02)
    faulted = time.monotonic()
    _stop(NODE_PID)
    subprocess.run(["bash", str(REPO / "scripts" / "node-daemon.sh"), "up"], check=True, capture_output=True)
    load.join()
    first = holder["run"]
    again = _shipshape(root, db, "build", "--only", "frontend", "--json")
    recovered = time.monotonic() - faulted
    listed = subprocess.run(
        ["docker", "-H", NODE, "image", "inspect", "--format", "{{.Id}}", tag], capture_output=True, text=True
    ).stdout.strip()
    lost = _lost(root, before, db)
    if listed != image_id:
        lost.append(f"{tag} is not on the node with its image ID after the reload")
    subprocess.run(["docker", "-H", NODE, "rmi", "-f", tag], capture_output=True, check=False)
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, check=False)
    return FaultRow(
        "node Docker daemon restarted during a load",
        ("" if in_load else "the load ended before the node received it; ")
        + f"exit {first.returncode}: {_first_line(first)}; the same command then loaded and verified the image",
        round(recovered, 1),
        "; ".join(lost) or "none",
        again.returncode == 0 and not lost and "Traceback" not in first.stderr,
        {"first_exit": first.returncode, "reload_exit": again.returncode, "in_load": in_load},
    )


def apiserver_stopped_during_rollout_watch(work: Path) -> FaultRow:
    from tests.scenario_kit import kubectl

    namespace = f"fault-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", namespace)
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "dnsPolicy": "Default",
                    "containers": [
                        {
                            "name": "web",
                            # the node's pause image: busybox, already on the node
                            "image": "shipshape/pause:1",
                            "imagePullPolicy": "Never",
                            "command": ["sh", "-c", "sleep 4; touch /ready; exec sleep 3600"],
                            "readinessProbe": {"exec": {"command": ["cat", "/ready"]}, "periodSeconds": 1},
                        }
                    ],
                },
            },
        },
    }
    try:
        kubectl("apply", "-f", "-", stdin=json.dumps(manifest))
        from agent import tools as registry
        from agent.memory.store import Store
        from agent.project.config import project_from_dict
        from agent.tools.context import ToolContext

        db = work / f"{namespace}.db"
        raw = {
            "project": {"name": "fault"},
            "images": [{"name": "web", "context": ".", "repository": "web"}],  # a project lists its images
            "cluster": {"kubeconfig": str(REPO / ".cluster" / "kubeconfig"), "namespace": namespace},
            "policy": {"allowed_namespaces": [namespace]},
        }
        ctx = ToolContext(project=project_from_dict(raw, work), store=Store(db))
        registry.get("rollout_restart").call(ctx, {"deployment": "web", "namespace": namespace})
        holder: dict[str, object] = {}

        def watch_rollout() -> None:
            try:
                holder["doc"] = registry.get("wait_for_rollout").call(
                    ctx, {"deployment": "web", "namespace": namespace, "timeout_seconds": 120}
                )
            except Exception as exc:  # what the user would see instead of a result
                holder["error"] = f"{type(exc).__name__}: {exc}"

        watch = threading.Thread(target=watch_rollout)
        watch.start()
        time.sleep(1.5)
        faulted = time.monotonic()
        _stop(API_PID)
        time.sleep(3)  # the watch runs without an API server
        subprocess.run(["bash", str(REPO / "scripts" / "cluster-up.sh")], check=True, capture_output=True)
        watch.join()
        recovered = time.monotonic() - faulted
        found = holder.get("doc")
        doc: dict[str, object] = found if isinstance(found, dict) else {}
        ready = kubectl("-n", namespace, "rollout", "status", "deployment/web", "--timeout=60s", check=False)
        lost = [] if _db_ok(db) else ["memory database fails its integrity check"]
        saw = str(holder.get("error") or f"ready={doc.get('ready')} after {doc.get('seconds')} s")
        return FaultRow(
            "API server stopped during a rollout watch (then started again)",
            f"wait_for_rollout: {saw[:200]}",
            round(recovered, 1),
            "; ".join(lost) or "none",
            "successfully rolled out" in ready and not lost and "Traceback" not in saw,
            {"ready": doc.get("ready"), "rollout": ready.strip()[-80:]},
        )
    finally:
        kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def _cluster_up() -> str:
    """Why the daemon faults cannot run here, or "" when they can."""
    for pidfile in (HOST_PID, NODE_PID, API_PID):
        if not pidfile.is_file():
            return f"{pidfile} is missing: run 'make cluster'"
    return ""


def _guarded(fault: Callable[[Path], FaultRow], name: str) -> Callable[[Path], FaultRow]:
    def run(work: Path) -> FaultRow:
        missing = _cluster_up()
        if missing:
            return FaultRow(name, "", 0.0, "", True, skipped=missing)
        return fault(work)

    return run


DAEMON_FAULTS: dict[str, Callable[[Path], FaultRow]] = {
    "host-daemon-during-build": _guarded(
        host_daemon_restart_during_build, "host Docker daemon restarted during a build"
    ),
    "node-daemon-during-load": _guarded(node_daemon_restart_during_load, "node Docker daemon restarted during a load"),
    "apiserver-during-watch": _guarded(
        apiserver_stopped_during_rollout_watch, "API server stopped during a rollout watch"
    ),
}
