"""Watching a deployment's rollout until its new ReplicaSet's pods are Ready or one fails for good.

`watch_rollout(kube, ...)` is the entry point (the wait_for_rollout tool); it reads and watches through the
Kubernetes engine's public API and decides, with the pod diagnosis, when waiting is over.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from agent.errors import EngineUnavailable
from agent.pods.classify import diagnose
from agent.pods.live import diagnose_live
from agent.pods.model import CATEGORIES, ImageExists, is_ready

if TYPE_CHECKING:
    from agent.engines.kube import KubeEngine

REVISION = "deployment.kubernetes.io/revision"
# Failures that no amount of waiting fixes: wait_for_rollout returns on them at once. The others can clear up on
# their own (a probe that starts passing, a node that frees room) or are not known to be final.
DEFINITIVE = frozenset(CATEGORIES) - {"unschedulable", "probe-failing", "unknown"}


def observed_deployment(kube: KubeEngine, namespace: str, name: str, deadline: float) -> dict[str, Any]:
    """The deployment once its controller has seen the latest spec (observedGeneration)."""
    dep = kube.deployment(namespace, name)
    while (dep.get("status") or {}).get("observedGeneration", 0) < dep["metadata"].get("generation", 0):
        left = int(deadline - time.monotonic())
        if left <= 0:
            break
        for event in kube.watch_deployment(namespace, name, dep["metadata"]["resourceVersion"], max(left, 1)):
            obj = event.get("object") or {}
            if event.get("type") == "ERROR":
                dep = kube.deployment(namespace, name)  # the watch expired: start again from now
                break
            if event.get("type") in ("ADDED", "MODIFIED") and obj.get("metadata"):
                dep = obj
                status = dep.get("status") or {}
                if status.get("observedGeneration", 0) >= dep["metadata"].get("generation", 0):
                    break
    return dep


def new_replicaset(kube: KubeEngine, namespace: str, dep: dict[str, Any]) -> dict[str, Any] | None:
    """The deployment's current ReplicaSet: the one with the deployment's revision."""
    revision = (dep["metadata"].get("annotations") or {}).get(REVISION)
    labels = dep["spec"]["selector"].get("matchLabels") or {}
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    owned = [
        rs
        for rs in kube.replicasets(namespace, selector)
        if any(r.get("uid") == dep["metadata"]["uid"] for r in rs["metadata"].get("ownerReferences") or [])
    ]
    for rs in owned:
        if (rs["metadata"].get("annotations") or {}).get(REVISION) == revision:
            return rs
    return max(owned, key=lambda rs: int((rs["metadata"].get("annotations") or {}).get(REVISION, 0)), default=None)


def watch_rollout(
    kube: KubeEngine,
    namespace: str,
    name: str,
    timeout: float = 120.0,
    image_exists: ImageExists | None = None,
) -> dict[str, Any]:
    """Watch until the new ReplicaSet's pods are all Ready, one of them fails for good, or time runs out.

    Old pods are not waited for (they linger ~55 s after termination). Returns ready, seconds,
    the new pods' summaries, and on failure the failing pod's diagnosis (with events and log lines).
    """
    start = time.monotonic()
    deadline = start + timeout
    dep = observed_deployment(kube, namespace, name, deadline)
    desired = int(dep["spec"].get("replicas", 1) or 0)
    rs = new_replicaset(kube, namespace, dep)
    result: dict[str, Any] = {
        "namespace": namespace,
        "deployment": name,
        "desired": desired,
        "ready": False,
        "timed_out": False,
        "diagnosis": None,
    }
    if rs is None:
        result.update(seconds=round(time.monotonic() - start, 3), pods=[], error="the deployment has no ReplicaSet yet")
        return result
    template_hash = rs["metadata"]["labels"].get("pod-template-hash", "")
    labels = dict(dep["spec"]["selector"].get("matchLabels") or {})
    labels["pod-template-hash"] = template_hash
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    listing = kube.pod_list(namespace, selector)
    pods = {p["metadata"]["name"]: p for p in listing.get("items", [])}
    version = listing["metadata"].get("resourceVersion")
    failed: dict[str, Any] | None = None

    def verdict() -> bool:
        nonlocal failed
        live = [p for p in pods.values() if not p["metadata"].get("deletionTimestamp")]
        for p in live:
            found = diagnose(p)
            if found is not None and found.category in DEFINITIVE:
                failed = p
                return True
        return sum(1 for p in live if is_ready(p)) >= desired

    done = verdict()
    outage: float | None = None  # when the API server stopped answering, while it does not
    while not done and time.monotonic() < deadline:
        left = max(int(deadline - time.monotonic()) + 1, 1)
        try:
            if version is None:
                listing = kube.pod_list(namespace, selector)
                pods = {p["metadata"]["name"]: p for p in listing.get("items", [])}
                version = listing["metadata"].get("resourceVersion")
                if verdict():
                    done = True
                    break
            for event in kube.watch_pods(namespace, selector, version, left):
                if outage is not None:
                    result["api_outage_seconds"] = round(time.monotonic() - outage, 1)
                    outage = None
                obj = event.get("object") or {}
                if event.get("type") == "ERROR" or not obj.get("metadata"):
                    version = None  # expired: relist
                    break
                version = obj["metadata"].get("resourceVersion", version)
                if event.get("type") == "DELETED":
                    pods.pop(obj["metadata"]["name"], None)
                else:
                    pods[obj["metadata"]["name"]] = obj
                if verdict() or time.monotonic() >= deadline:
                    done = True
                    break
        except EngineUnavailable:
            # The API server went away mid-watch (a control-plane restart): keep trying until the deadline, then
            # say so; the pods go on without it, so the watch picks up from a fresh listing when it is back.
            if outage is None:
                outage = time.monotonic()
            if time.monotonic() + 1 >= deadline:
                raise
            time.sleep(1)
            version = None
    result["seconds"] = round(time.monotonic() - start, 3)
    result["revision"] = (rs["metadata"].get("annotations") or {}).get(REVISION)
    result["template_hash"] = template_hash
    result["pods"] = [_summary(p) for p in pods.values()]
    result["ready_pods"] = sum(1 for p in pods.values() if is_ready(p))
    if failed is None:
        result["ready"] = done and sum(1 for p in pods.values() if is_ready(p)) >= desired
        result["timed_out"] = not result["ready"]
        if result["timed_out"]:
            failed = next((p for p in pods.values() if not is_ready(p)), None)
    if failed is not None:
        found = diagnose_live(kube, namespace, failed, image_exists=image_exists)
        result["diagnosis"] = found.to_dict() if found else None
        result["failed_pod"] = failed["metadata"]["name"]
    return result


def _summary(pod: dict[str, Any]) -> dict[str, Any]:
    status = pod.get("status") or {}
    return {
        "name": pod["metadata"]["name"],
        "phase": status.get("phase", ""),
        "ready": is_ready(pod),
        "pod_ip": status.get("podIP") or "",
    }
