"""Tools: the evidence a recovery rule acts on, read from the live cluster.

deployment_evidence (read): one deployment's containers (image, command, ports, probes, resources), each pod's
container states and last states, probe failures, scheduling failure, missing config, last log lines, the
ReplicaSet history with the last good revision, a quota that refused pods, the nodes' labels, taints and
allocatable, and every Service of the namespace checked against the pods. probe_endpoints (read): GET the usual
health paths on a running pod's ports (pod IPs are reachable from the host) and say which answer.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field

from agent.engines import kubereads
from agent.pods.evidence import (
    container_facts,
    image_alternatives,
    missing_config,
    node_facts,
    probe_failures,
    quota_failure,
    scheduling_failure,
)
from agent.pods.history import REVISION, changed_since, last_good_revision, revisions
from agent.pods.model import is_ready
from agent.pods.services import service_check, unresolved_refs
from agent.safety import redact
from agent.tools import tool
from agent.tools.context import ToolContext

HEALTH_PATHS = ("/healthz", "/health", "/ready", "/readyz", "/livez", "/", "/api/health")
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


class EvidenceInput(BaseModel):
    namespace: str | None = None
    deployment: str | None = Field(None, description="omit: Services and quotas only")


def _container_spec(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": c.get("name", ""),
        "image": c.get("image", ""),
        "command": c.get("command") or [],
        "args": c.get("args") or [],
        "ports": [int(p.get("containerPort") or 0) for p in c.get("ports") or []],
        "resources": c.get("resources") or {},
        **{key: c[key] for key in PROBES if c.get(key)},
    }


def _pod_evidence(ctx: ToolContext, namespace: str, pod: dict[str, Any], events: list[dict[str, Any]]) -> dict:
    facts = container_facts(pod)
    status = pod.get("status") or {}
    unscheduled = [
        str(c.get("message") or "")
        for c in status.get("conditions") or []
        if c.get("type") == "PodScheduled" and c.get("reason") == "Unschedulable"
    ] + [str(e.get("message", "")) for e in events if e.get("reason") == "FailedScheduling"]
    config = None
    for fact in facts:
        config = config or missing_config(fact["message"])
    for event in events:
        if event.get("reason") in ("FailedMount", "Failed"):
            config = config or missing_config(str(event.get("message", "")))
    logs: list[str] = []
    troubled = next((f for f in facts if f["restarts"] or (f["state"] == "running" and not f["ready"])), None)
    if troubled is not None:
        logs = [redact(line) for line in ctx.kube.crash_logs(namespace, pod, troubled["name"], lines=10)]
    return {
        "name": pod["metadata"]["name"],
        "phase": status.get("phase", ""),
        "ready": is_ready(pod),
        "pod_ip": status.get("podIP") or "",
        "template_hash": (pod["metadata"].get("labels") or {}).get("pod-template-hash", ""),
        "containers": facts,
        "probe_failures": probe_failures(events)[-4:],
        "scheduling": scheduling_failure(unscheduled[-1]) if unscheduled else None,
        "missing_config": config,
        "logs": logs,
    }


@tool(
    "deployment_evidence",
    "After cluster_status, the facts for a deployment fix: pod states and exit codes, probe failures, Pending "
    "reasons, missing ConfigMap/Secret keys, log tails, revisions, quota refusals, nodes (labels, taints, "
    "allocatable), Services missing their pods.",
    EvidenceInput,
    writes=False,
)
def deployment_evidence(ctx: ToolContext, args: EvidenceInput) -> dict[str, Any]:
    namespace = ctx.namespace(args.namespace)
    kube = ctx.kube
    kube.require_namespace(namespace)
    deployments = kube.deployments(namespace)
    refs = kubereads.endpoints(kube, namespace)
    result: dict[str, Any] = {
        "namespace": namespace,
        "deployments": [d["metadata"]["name"] for d in deployments],
        "services": [
            service_check(s, deployments, refs.get(s["metadata"]["name"])) for s in kubereads.services(kube, namespace)
        ],
        "quotas": kubereads.resource_quotas(kube, namespace),
    }
    if not args.deployment:
        return result
    dep = next((d for d in deployments if d["metadata"]["name"] == args.deployment), None)
    if dep is None:
        dep = kube.deployment(namespace, args.deployment)  # the one-line error naming the ones that exist
    template = dep["spec"]["template"]
    selector = ",".join(f"{k}={v}" for k, v in (dep["spec"]["selector"].get("matchLabels") or {}).items())
    events = kube.events(namespace)
    by_pod: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        obj = event.get("involvedObject") or {}
        if obj.get("kind") == "Pod":
            by_pod.setdefault(str(obj.get("name")), []).append(event)
    pods = [p for p in kube.pods(namespace, selector) if not p["metadata"].get("deletionTimestamp")]
    pods.sort(key=lambda p: p["metadata"].get("creationTimestamp", ""), reverse=True)
    history = revisions(kube.replicasets(namespace, selector), dep["metadata"]["uid"])
    current = int((dep["metadata"].get("annotations") or {}).get(REVISION, 0) or 0)
    good = last_good_revision(history, current)
    rs_names = {r["name"] for r in history}
    rs_events = [e for e in events if (e.get("involvedObject") or {}).get("name") in rs_names]
    status = dep.get("status") or {}
    raw_nodes = kubereads.nodes(kube)
    result.update(
        deployment=args.deployment,
        replicas=int(dep["spec"].get("replicas", 1) or 0),
        ready_replicas=int(status.get("readyReplicas") or 0),
        pod_labels=template["metadata"].get("labels") or {},
        containers=[_container_spec(c) for c in template["spec"].get("containers") or []],
        node_selector=template["spec"].get("nodeSelector") or {},
        tolerations=template["spec"].get("tolerations") or [],
        pods=[_pod_evidence(ctx, namespace, p, by_pod.get(p["metadata"]["name"], [])) for p in pods[:3]],
        revision=current,
        revisions=history[:5],
        last_good_revision=good,
        changed=changed_since(history, current, good),
        quota_refusal=quota_failure(rs_events),
        nodes=[node_facts(n) for n in raw_nodes],
        image_alternatives=image_alternatives([c.get("image", "") for c in template["spec"]["containers"]], raw_nodes),
        missing_refs=unresolved_refs(dep, kubereads.config_keys(kube, namespace)),
    )
    return result


class ProbeInput(BaseModel):
    deployment: str
    namespace: str | None = None
    ports: list[int] = Field(default_factory=list, description="default: the containers' ports")
    paths: list[str] = Field(default_factory=list)
    wait_seconds: float = Field(90, ge=0, le=300, description="for a backed-off container to run")


ATTEMPTS = 3


def _running_pod(ctx: ToolContext, namespace: str, selector: str, deadline: float) -> dict[str, Any] | None:
    """The newest pod with an IP whose containers all run, waiting for one until `deadline`."""
    while True:
        live = [
            p
            for p in ctx.kube.pods(namespace, selector)
            if not p["metadata"].get("deletionTimestamp") and (p.get("status") or {}).get("podIP")
        ]
        live.sort(key=lambda p: p["metadata"].get("creationTimestamp", ""), reverse=True)
        for pod in live:
            statuses = (pod.get("status") or {}).get("containerStatuses") or []
            if statuses and all((s.get("state") or {}).get("running") is not None for s in statuses):
                return pod
        if time.monotonic() >= deadline:
            return None
        time.sleep(1)


@tool(
    "probe_endpoints",
    "Which health paths (/healthz, /health, /ready, /readyz, /livez, /, /api/health) and ports a deployment's "
    "running pod answers. Use before fixing a failing probe.",
    ProbeInput,
    writes=False,
)
def probe_endpoints(ctx: ToolContext, args: ProbeInput) -> dict[str, Any]:
    from agent.engines.http import probe

    namespace = ctx.namespace(args.namespace)
    dep = ctx.kube.deployment(namespace, args.deployment)
    selector = ",".join(f"{k}={v}" for k, v in (dep["spec"]["selector"].get("matchLabels") or {}).items())
    ports = list(args.ports)
    for c in dep["spec"]["template"]["spec"].get("containers") or []:
        ports += [int(p.get("containerPort") or 0) for p in c.get("ports") or []]
    ports = list(dict.fromkeys(p for p in ports if p)) or [80, 8080]
    paths = list(args.paths) or list(HEALTH_PATHS)
    started = time.monotonic()
    # A container that a failing liveness probe restarts spends most of its time in back-off: wait (reading
    # only) until one runs, then ask it a few times, since it may need a moment to listen.
    pod = _running_pod(ctx, namespace, selector, started + args.wait_seconds)
    if pod is None:
        return {
            "namespace": namespace,
            "deployment": args.deployment,
            "pod": "",
            "listening": [],
            "answers": [],
            "answering": [],
            "error": f"no container of {args.deployment} ran within {args.wait_seconds:.0f} s",
        }
    ip = pod["status"]["podIP"]
    answers: list[dict[str, Any]] = []
    listening: list[int] = []
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(1)
        for port in ports[:4]:
            for path in paths[:10]:
                got = probe(f"http://{ip}:{port}{path}", timeout=1.0, max_body=64)
                if got.status == 0:
                    break  # nothing listens on this port (or not yet): the other paths would say the same
                if port not in listening:
                    listening.append(port)
                answers.append({"port": port, "path": path, "status": got.status})
        if answers:
            break
    good = [a for a in answers if 200 <= int(a["status"]) < 400]
    return {
        "namespace": namespace,
        "deployment": args.deployment,
        "pod": pod["metadata"]["name"],
        "listening": listening,
        "answers": answers,
        "answering": good,
    }
