"""Cluster tool benchmarks on the real local Kubernetes (make cluster):

- cluster_status with 50 pods: a namespace with a 50-replica deployment of the node's tiny pause image
  (busybox sleeping), the tool run in-process (median of 5; the first, cold call reported separately);
- how long after a pod turns Ready wait_for_rollout returns: an independent watch on the same pods records
  when it sees the new pod Ready; wait_for_rollout's return is compared with that moment (3 restarts).
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from agent.pods.rollout import watch_rollout
from bench import Result
from tests.scenario_kit import kubectl

REPO = Path(__file__).resolve().parents[1]
KUBECONFIG = REPO / ".cluster" / "kubeconfig"
IMAGE = "shipshape/pause:1"


def _deployment(name: str, replicas: int, probe: bool) -> str:
    container: dict[str, Any] = {
        "name": "main",
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", "sleep 2; touch /ready; sleep 100000"],
    }
    if probe:
        container["readinessProbe"] = {"exec": {"command": ["test", "-f", "/ready"]}, "periodSeconds": 1}
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"terminationGracePeriodSeconds": 1, "dnsPolicy": "Default", "containers": [container]},
                },
            },
        }
    )


def _context(namespace: str) -> Any:
    from agent.memory.store import Store
    from agent.project.config import project_from_dict
    from agent.tools.context import ToolContext

    project = project_from_dict(
        {
            "images": [{"name": "bench"}],
            "cluster": {"kubeconfig": str(KUBECONFIG), "namespace": namespace},
            "policy": {"allowed_namespaces": [namespace]},
        },
        REPO,
    )
    return ToolContext(project=project, store=Store(":memory:"))


def _status_with_50_pods(ns: str) -> list[Result]:
    from agent.tools import get

    kubectl("-n", ns, "apply", "-f", "-", stdin=_deployment("fifty", 50, probe=False))
    ctx = _context(ns)
    ready = watch_rollout(ctx.kube, ns, "fifty", timeout=600)
    tool = get("cluster_status")
    start = time.perf_counter()
    doc = tool.call(ctx, {"namespace": ns})
    cold = time.perf_counter() - start
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        doc = tool.call(ctx, {"namespace": ns})
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs)
    pods = len(doc["pods"])
    note = f"{pods} pods ({'all Ready' if ready['ready'] else 'NOT all Ready'}), first call {cold:.3f} s"
    return [Result("cluster_status, 50 pods (median of 5)", median, "s", "<= 1 s", median <= 1.0 and pods >= 50, note)]


def _status_with_50_failing_pods(ns: str) -> list[Result]:
    """The same with 50 pods in ImagePullBackOff: each is diagnosed (events, the build host's images)."""
    from agent.tools import get

    broken = json.loads(_deployment("broken", 50, probe=False))
    broken["spec"]["template"]["spec"]["containers"][0]["image"] = "bench-nowhere:v1"
    kubectl("-n", ns, "apply", "-f", "-", stdin=json.dumps(broken))
    ctx = _context(ns)
    tool = get("cluster_status")
    deadline = time.monotonic() + 300
    failing = 0
    while time.monotonic() < deadline and failing < 50:
        failing = sum(1 for p in tool.call(ctx, {"namespace": ns})["pods"] if p["category"])
        time.sleep(2)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        doc = tool.call(ctx, {"namespace": ns})
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs)
    cats = sorted({str(p["category"]) for p in doc["pods"]})
    return [
        Result(
            "cluster_status, 50 failing pods diagnosed (median of 5)",
            median,
            "s",
            "<= 1 s",
            median <= 1.0 and failing >= 50,
            f"{failing} diagnosed: {', '.join(cats)}",
        )
    ]


def _ready_latency(ns: str) -> list[Result]:
    from agent.pods import is_ready
    from agent.tools import get

    kubectl("-n", ns, "apply", "-f", "-", stdin=_deployment("one", 1, probe=True))
    ctx = _context(ns)
    kube = ctx.kube
    watch_rollout(kube, ns, "one", timeout=300)
    deltas = []
    for _ in range(3):
        known = {p["metadata"]["name"] for p in kube.pods(ns, "app=one")}
        seen: dict[str, float] = {}

        def observe(known: set[str] = known, seen: dict[str, float] = seen) -> None:
            for event in kube._watch(kube.core.list_namespaced_pod, ns, label_selector="app=one", timeout_seconds=120):
                obj = event.get("object") or {}
                name = (obj.get("metadata") or {}).get("name")
                if name and name not in known and is_ready(obj):
                    seen.setdefault("ready", time.monotonic())
                    return

        watcher = threading.Thread(target=observe, daemon=True)
        watcher.start()
        time.sleep(0.5)  # the observer's watch is open before the restart
        get("rollout_restart").call(ctx, {"deployment": "one", "namespace": ns})
        result = get("wait_for_rollout").call(ctx, {"deployment": "one", "namespace": ns, "timeout_seconds": 120})
        returned = time.monotonic()
        watcher.join(30)
        if result["ready"] and "ready" in seen:
            deltas.append(returned - seen["ready"])
    if not deltas:
        return [Result("wait_for_rollout return after Ready", 0, "s", "<= 1 s", False, "no rollout became Ready")]
    worst = max(deltas)
    return [
        Result(
            "wait_for_rollout return after pod Ready (worst of 3)",
            worst,
            "s",
            "<= 1 s",
            worst <= 1.0,
            "negative: returned before the observer saw it; " + ", ".join(f"{d:+.3f}" for d in deltas),
        )
    ]


def run() -> list[Result]:
    """Both measurements in a throw-away namespace; nothing is left behind."""
    if not KUBECONFIG.exists():
        return [Result("cluster tools", 0, "", note="no cluster (make cluster)")]
    os.environ.setdefault("SHIPSHAPE_DB", ":memory:")
    ns = f"bench-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", ns)
    try:
        results = _status_with_50_pods(ns)
        kubectl("-n", ns, "scale", "deployment/fifty", "--replicas=0")  # the node's pod limit is 110
        results += _status_with_50_failing_pods(ns)
        kubectl("-n", ns, "scale", "deployment/broken", "--replicas=0")  # less load for the next one
        return results + _ready_latency(ns)
    finally:
        kubectl("delete", "namespace", ns, "--wait=false", check=False)
