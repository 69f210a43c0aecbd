"""`status`, `logs` and `health` from a kubeconfig alone, in a directory with no shipshape.toml, on the real local
Kubernetes: kubectl's habits, with the namespace policy still in force."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from agent.engines.kubeconfig import context_namespace

pytestmark = pytest.mark.cluster
REPO = Path(__file__).resolve().parents[1]
SHIPSHAPE = str(REPO / ".venv" / "bin" / "shipshape")


def _run(args: list[str], cwd: Path, kubeconfig: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return subprocess.run([SHIPSHAPE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_status_without_a_project_reads_the_kubeconfig_context_namespace(tmp_path: Path, kubeconfig: Path) -> None:
    result = _run(["status", "--json"], tmp_path, kubeconfig)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["namespace"] == (context_namespace(kubeconfig) or "default")
    assert {"deployments", "pods", "healthy"} <= set(doc)
    named = _run(["status", "-n", "kube-system", "--json"], tmp_path, kubeconfig)  # -n names where to read
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["namespace"] == "kube-system"
    human = _run(["status"], tmp_path, kubeconfig)
    assert human.returncode == 0 and "deployments in" in human.stdout


def test_writes_still_need_a_project_and_logs_of_a_missing_pod_fail_in_one_line(
    tmp_path: Path, kubeconfig: Path
) -> None:
    restart = _run(["restart", "web", "--no-wait"], tmp_path, kubeconfig)
    assert restart.returncode == 1 and "no shipshape.toml" in restart.stderr
    logs = _run(["logs", "no-such-pod-xyz", "-p"], tmp_path, kubeconfig)
    assert logs.returncode == 1
    assert logs.stderr.startswith("shipshape: error:") and len(logs.stderr.strip().splitlines()) == 1
