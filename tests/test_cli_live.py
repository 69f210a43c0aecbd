"""Commands on live pods of the real local Kubernetes, through the real console script as a subprocess:
`shipshape logs -f` streams a pod's new lines as they are printed, redacted, until Ctrl-C; `shipshape wait` and
`shipshape set-image` (then `undo`) on a deployment, and set-image refused outside the allowed namespaces."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_cluster_tools import SHIPSHAPE, build_image, deployment, kubectl

pytestmark = pytest.mark.cluster

NS = f"sslive{uuid.uuid4().hex[:5]}"
IMAGE, OTHER = "sslive-app:v1", "sslive-app:v2"
SECRET = "hunter2-not-for-logs"
# One numbered line every half second, each carrying a secret that must never reach the terminal.
TICKER = f'i=0; while true; do i=$((i+1)); echo "tick $i DB_PASSWORD={SECRET}"; sleep 0.5; done'


@pytest.fixture(scope="module")
def project(kubeconfig: Path, node_docker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    build_image(node_docker, [IMAGE, OTHER])
    kubectl(kubeconfig, "create", "namespace", NS)
    manifest = deployment("ticker", IMAGE, command=TICKER)
    kubectl(kubeconfig, "-n", NS, "apply", "-f", "-", stdin=json.dumps(manifest))
    root = tmp_path_factory.mktemp("live")
    (root / "shipshape.toml").write_text(
        f'[project]\nname = "live"\n\n[[images]]\nname = "ticker"\ncontext = "."\ndeployment = "ticker"\n'
        f'container = "app"\n\n[cluster]\nkubeconfig = "{kubeconfig}"\nnamespace = "{NS}"\n\n'
        f'[policy]\nallowed_namespaces = ["{NS}"]\n'
    )
    yield root
    kubectl(kubeconfig, "delete", "namespace", NS, "--wait=false", check=False)


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "SHIPSHAPE_DB": str(root / "memory.db")}


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SHIPSHAPE, *args],
        cwd=root,
        env=_env(root),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _ticks(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines if line.startswith("tick ")]


def test_wait_then_logs_follow_streams_new_lines_redacted(project: Path) -> None:
    ready = _run(project, "wait", "ticker", "--timeout", "120", "--json")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert json.loads(ready.stdout)["ready"] is True

    proc = subprocess.Popen(
        [SHIPSHAPE, "logs", "-d", "ticker", "--tail", "2", "-f"],
        cwd=project,
        env=_env(project),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as at a terminal: a test run started in the background (`cmd &` in a script) inherits SIGINT
        # ignored, and Python then installs no KeyboardInterrupt handler in the child.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x.rstrip("\n")) for x in proc.stdout or []], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    try:
        # the 2-line tail, then at least 6 lines printed after the command started: streamed, not read once
        while len(_ticks(seen)) < 8 and time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                break
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C ends a follow
        try:
            code = proc.wait(timeout=20)
        finally:
            proc.kill()
    assert seen and seen[0].startswith("==> ticker-"), seen
    ticks = _ticks(seen)
    assert len(ticks) >= 8, (seen, proc.stderr.read() if proc.stderr else "")
    assert ticks == sorted(ticks) and len(set(ticks)) == len(ticks)  # new lines only, in order, none twice
    assert ticks[-1] - ticks[1] >= 6
    assert all("DB_PASSWORD=[REDACTED]" in line and SECRET not in line for line in seen if line.startswith("tick"))
    assert code == 130  # interrupted, as the console script reports Ctrl-C


def test_set_image_waits_then_undo_and_refused_elsewhere(project: Path, kubeconfig: Path) -> None:
    def image_now() -> str:
        dep: dict[str, Any] = json.loads(kubectl(kubeconfig, "-n", NS, "get", "deployment", "ticker", "-o", "json"))
        return str(dep["spec"]["template"]["spec"]["containers"][0]["image"])

    dry = _run(project, "set-image", "ticker", OTHER, "--dry-run")
    assert dry.returncode == 0 and f"would set app {IMAGE} -> {OTHER}" in dry.stdout, dry.stdout + dry.stderr
    assert image_now() == IMAGE

    done = _run(project, "set-image", "ticker", OTHER, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["set_image"]["previous_image"] == IMAGE and doc["set_image"]["change_id"]
    assert doc["rollout"]["ready"] is True and image_now() == OTHER

    undone = _run(project, "undo", "--yes", "--json")
    assert undone.returncode == 0, undone.stderr
    assert json.loads(undone.stdout)["kind"] == "cluster" and image_now() == IMAGE

    refused = _run(project, "set-image", "ticker", OTHER, "-n", "kube-system", "--no-wait")
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "kube-system" in refused.stderr and image_now() == IMAGE


def test_wait_from_a_kubeconfig_alone(project: Path, kubeconfig: Path, tmp_path: Path) -> None:
    """No shipshape.toml: `wait` reads the namespace named with -n, as status and logs do."""
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "SHIPSHAPE_DB": str(tmp_path / "memory.db")}
    proc = subprocess.run(
        [SHIPSHAPE, "wait", "ticker", "-n", NS, "--timeout", "60"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("ticker: ready after"), proc.stdout + proc.stderr
