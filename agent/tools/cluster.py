"""Tools: the agent's eyes and hands on the cluster.

cluster_status (read): deployments and pods, every unhealthy pod diagnosed (agent/pods/);
pod_logs (read): bounded, redacted log tails; rollout_restart (write); wait_for_rollout (read: watches
until the new pods are Ready or fail); check_health (read: HTTP GET on a Ready pod); helm_upgrade (write:
`helm upgrade --install` with the tags of the latest successful builds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from agent.errors import ShipshapeError
from agent.pods import diagnose, is_ready, restarted_recently
from agent.pods.live import diagnose_live
from agent.pods.rollout import watch_rollout
from agent.safety import redact
from agent.tools import tool
from agent.tools.context import ToolContext

GOOD_BUILDS = ("built", "cache-hit")


def host_image_checker(ctx: ToolContext) -> Callable[[str], bool | None]:
    """image ref -> is it on the build host? None when the host daemon cannot be asked. Cached per ref."""
    seen: dict[str, bool | None] = {}

    def exists(ref: str) -> bool | None:
        if ref not in seen:
            try:
                seen[ref] = ctx.docker.image_id(ref) is not None
            except ShipshapeError:
                seen[ref] = None
        return seen[ref]

    return exists


def status_text(pod: dict[str, Any]) -> str:
    """What `kubectl get pods` shows in STATUS: a waiting or terminated reason, Terminating, or the phase."""
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    status = pod.get("status") or {}
    for cstatus in status.get("containerStatuses") or []:
        state = cstatus.get("state") or {}
        for key in ("waiting", "terminated"):
            if state.get(key) and state[key].get("reason"):
                return str(state[key]["reason"])
    return str(status.get("reason") or status.get("phase") or "Unknown")


def _deployment_row(dep: dict[str, Any]) -> dict[str, Any]:
    status = dep.get("status") or {}
    containers = dep["spec"]["template"]["spec"].get("containers") or []
    return {
        "namespace": dep["metadata"].get("namespace", ""),
        "name": dep["metadata"]["name"],
        "desired": int(dep["spec"].get("replicas", 1) or 0),
        "ready": int(status.get("readyReplicas") or 0),
        "updated": int(status.get("updatedReplicas") or 0),
        "available": int(status.get("availableReplicas") or 0),
        "images": [c.get("image", "") for c in containers],
    }


class StatusInput(BaseModel):
    namespace: str | None = None


@tool(
    "cluster_status",
    "A namespace's deployments and pods, each unhealthy pod diagnosed (Kubernetes' reason such as "
    "ImagePullBackOff or OOMKilled, a category, evidence, next step). Use it first when a deployment "
    "misbehaves.",
    StatusInput,
    writes=False,
)
def cluster_status(ctx: ToolContext, args: StatusInput) -> dict[str, Any]:
    namespace = ctx.namespace(args.namespace)
    kube = ctx.kube
    kube.require_namespace(namespace)
    deployments = [_deployment_row(d) for d in kube.deployments(namespace)]
    pods_with_owner = kube.pods_with_deployments(namespace)
    exists = host_image_checker(ctx)
    events: dict[str, list[dict[str, Any]]] | None = None
    rows = []
    for pod, deployment in sorted(pods_with_owner, key=lambda pd: pd[0]["metadata"]["name"]):
        found = diagnose(pod)
        waiting = not is_ready(pod) and (pod.get("status") or {}).get("phase") not in ("Succeeded",)
        if found is not None or ((waiting or restarted_recently(pod)) and not pod["metadata"].get("deletionTimestamp")):
            # Events are read once per namespace, and only when some pod needs them.
            events = kube.events_by_pod(namespace) if events is None else events
            found = diagnose_live(kube, namespace, pod, events.get(pod["metadata"]["name"], []), exists)
        containers = (pod.get("spec") or {}).get("containers") or []
        rows.append(
            {
                "namespace": namespace,
                "name": pod["metadata"]["name"],
                "deployment": deployment,
                "ready": is_ready(pod),
                "phase": (pod.get("status") or {}).get("phase", ""),
                "reason": found.reason if found else status_text(pod),
                "category": found.category if found else None,
                "evidence": redact(found.evidence) if found else None,
                "next_step": found.next_step if found else None,
                "image": found.image
                if found and found.image
                else (containers[0].get("image", "") if containers else ""),
                "log_signals": found.log_signals if found else [],
                "restarts": sum(
                    int(c.get("restartCount") or 0) for c in (pod.get("status") or {}).get("containerStatuses") or []
                ),
            }
        )
    remember_ready(ctx, namespace, pods_with_owner)
    healthy = all(r["category"] is None for r in rows) and all(d["ready"] >= d["desired"] for d in deployments)
    return {"namespace": namespace, "healthy": healthy, "deployments": deployments, "pods": rows}


def remember_ready(ctx: ToolContext, namespace: str, pods_with_owner: list[tuple[dict[str, Any], str]]) -> None:
    """Each pod template seen Ready, in memory: the evidence rollout_undo goes by once its pods are gone."""
    seen = {
        (deployment, str((pod["metadata"].get("labels") or {}).get("pod-template-hash", "")))
        for pod, deployment in pods_with_owner
        if deployment and is_ready(pod) and not pod["metadata"].get("deletionTimestamp")
    }
    done: set[tuple[str, str, str]] = ctx._lazy("remembered_ready", set)  # once per run is enough
    for deployment, template_hash in sorted(seen):
        if (namespace, deployment, template_hash) not in done:
            ctx.store.remember_ready(namespace, deployment, template_hash)
            done.add((namespace, deployment, template_hash))


class LogsInput(BaseModel):
    pod: str | None = Field(None, description="or give deployment")
    deployment: str | None = Field(None, description="its 3 newest pods' logs")
    namespace: str | None = None
    container: str | None = Field(None, description="default: the first")
    tail_lines: int = Field(100, ge=1, le=2000, description="lines per pod")
    max_bytes: int = Field(16_000, ge=256, le=1_000_000, description="bytes per pod")
    previous: bool = Field(False, description="the previous (crashed) run")


@tool(
    "pod_logs",
    "A pod's (or a deployment's pods') last log lines, bounded, secrets redacted: why a container crashes or "
    "fails its probe.",
    LogsInput,
    writes=False,
)
def pod_logs(ctx: ToolContext, args: LogsInput) -> dict[str, Any]:
    namespace = ctx.namespace(args.namespace)
    kube = ctx.kube
    if args.pod:
        pods = [kube.pod(namespace, args.pod)]
    elif args.deployment:
        dep = kube.deployment(namespace, args.deployment)
        selector = ",".join(f"{k}={v}" for k, v in (dep["spec"]["selector"].get("matchLabels") or {}).items())
        live = [p for p in kube.pods(namespace, selector) if not p["metadata"].get("deletionTimestamp")]
        pods = sorted(live, key=lambda p: p["metadata"].get("creationTimestamp", ""), reverse=True)[:3]
    else:
        raise ShipshapeError("pod_logs needs a pod or a deployment", code="bad-input")
    result = []
    for pod in pods:
        container = args.container or pod["spec"]["containers"][0]["name"]
        lines = kube.log_tail(
            namespace, pod["metadata"]["name"], container, args.tail_lines, args.max_bytes, previous=args.previous
        )
        result.append(
            {"pod": pod["metadata"]["name"], "container": container, "lines": [redact(line) for line in lines]}
        )
    return {"namespace": namespace, "pods": result}


class DeploymentInput(BaseModel):
    deployment: str
    namespace: str | None = None


@tool(
    "rollout_restart",
    "Restart a deployment (`kubectl rollout restart`): new pods pick up a newly loaded image or fixed ConfigMap.",
    DeploymentInput,
    writes=True,
)
def rollout_restart(ctx: ToolContext, args: DeploymentInput) -> dict[str, Any]:
    namespace = ctx.namespace(args.namespace)
    kube = ctx.kube
    kube.check_namespace_allowed(namespace)
    if ctx.dry_run:
        kube.deployment(namespace, args.deployment)
        return {"namespace": namespace, "name": args.deployment, "dry_run": True}
    return kube.rollout_restart(namespace, args.deployment)


class WaitInput(DeploymentInput):
    timeout_seconds: float = Field(120, gt=0, le=1800)


@tool(
    "wait_for_rollout",
    "Wait until a deployment's new pods are Ready, or return at once with the diagnosis of a pod that fails "
    "for good (image pull, crash loop, OOM, missing config), or time out.",
    WaitInput,
    writes=False,
)
def wait_for_rollout(ctx: ToolContext, args: WaitInput) -> dict[str, Any]:
    namespace = ctx.namespace(args.namespace)
    result = watch_rollout(ctx.kube, namespace, args.deployment, args.timeout_seconds, host_image_checker(ctx))
    if result.get("ready"):
        ctx.store.remember_ready(
            namespace, args.deployment, str(result.get("template_hash") or ""), result.get("revision")
        )
    return result


class HealthInput(BaseModel):
    image: str | None = Field(None, description="a shipshape.toml image")
    deployment: str | None = None
    url: str | None = Field(None, description="any URL")
    port: int | None = Field(None, description="default: the image's health port")
    path: str | None = Field(None, description="default: the image's health path, else /health")
    expect_status: int | None = Field(None, description="default: the image's or 200")
    namespace: str | None = None
    timeout_seconds: float = Field(5, gt=0, le=60)


def _probe_target(ctx: ToolContext, args: HealthInput, namespace: str) -> tuple[str, str, int]:
    """(url, pod, expected status) for a health check named by image, deployment or service."""
    from agent.project.config import HealthCheck

    health = HealthCheck()
    deployment = args.deployment
    if args.image:
        image = ctx.project.image(args.image)
        health = image.health or health
        deployment = deployment or image.deployment
    expect = args.expect_status or health.expect_status
    path = args.path or health.path
    if not path.startswith("/"):
        path = "/" + path
    if health.url and not (args.port or args.path or args.deployment):
        return health.url, "", expect
    kube = ctx.kube
    port = args.port or health.port
    if deployment:
        dep = kube.deployment(namespace, deployment)
        selector = ",".join(f"{k}={v}" for k, v in (dep["spec"]["selector"].get("matchLabels") or {}).items())
    elif health.service:
        svc = kube.service(namespace, health.service)
        selector = ",".join(f"{k}={v}" for k, v in (svc["spec"].get("selector") or {}).items())
        ports = svc["spec"].get("ports") or []
        match = next((p for p in ports if p.get("port") == port), ports[0] if ports else {})
        if isinstance(match.get("targetPort"), int):
            port = int(match["targetPort"])
    else:
        raise ShipshapeError("check_health needs an image, a deployment or a url", code="bad-input")
    live = [p for p in kube.pods(namespace, selector) if not p["metadata"].get("deletionTimestamp")]
    ready = [p for p in live if is_ready(p) and (p.get("status") or {}).get("podIP")]
    running = [p for p in live if (p.get("status") or {}).get("podIP")]
    if not (ready or running):
        raise ShipshapeError(
            f"no running pod of {deployment or health.service!r} in {namespace!r} has an IP",
            "run cluster_status to see why",
            code="no-pod",
        )
    chosen = (ready or running)[0]
    return f"http://{chosen['status']['podIP']}:{port}{path}", chosen["metadata"]["name"], expect


@tool(
    "check_health",
    "HTTP GET of an image's health path on a Ready pod of its deployment, or of any URL: status code, ok, body start.",
    HealthInput,
    writes=False,
)
def check_health(ctx: ToolContext, args: HealthInput) -> dict[str, Any]:
    from agent.engines.http import probe

    namespace = ctx.namespace(args.namespace)
    if args.url:
        url, pod, expect = args.url, "", args.expect_status or 200
    else:
        url, pod, expect = _probe_target(ctx, args, namespace)
    result = probe(url, expect, timeout=args.timeout_seconds, max_body=2048).to_dict()
    result["body"] = redact(result["body"][:500])
    result["pod"] = pod
    result["expect_status"] = expect
    return result


class HelmInput(BaseModel):
    release: str | None = Field(None, description="default: [helm] release")
    chart: str | None = Field(None, description="default: [helm] chart")
    namespace: str | None = Field(None, description="default: [helm] namespace")
    tags: dict[str, str] = Field(
        default_factory=dict, description="image -> tag; default: the latest successful builds"
    )
    wait: bool = Field(True)
    timeout_seconds: float = Field(300, gt=0, le=3600)


def built_tags(ctx: ToolContext, explicit: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Chart values {image: {image: {repository, tag}}} and the images left at the chart's default."""
    values: dict[str, Any] = {}
    skipped = []
    for image in ctx.project.images:
        tag = explicit.get(image.name)
        if not tag:
            good = [b for b in ctx.store.builds(image.name) if b.get("outcome") in GOOD_BUILDS and b.get("tag")]
            tag = good[0]["tag"] if good else None
        if tag:
            # Builds record full refs (`repo:hex`); the chart wants the tag alone.
            repository, _, bare = tag.rpartition(":") if ":" in tag else (image.repository, "", tag)
            values[image.name] = {"image": {"repository": repository or image.repository, "tag": bare}}
        else:
            skipped.append(image.name)
    unknown = set(explicit) - {i.name for i in ctx.project.images}
    if unknown:
        raise ShipshapeError(f"no image named {', '.join(sorted(unknown))} in shipshape.toml", code="bad-input")
    return values, skipped


@tool(
    "helm_upgrade",
    "`helm upgrade --install` the project's chart, each image's tag set to its latest successful build or the "
    "given one.",
    HelmInput,
    writes=True,
)
def helm_upgrade(ctx: ToolContext, args: HelmInput) -> dict[str, Any]:
    from pathlib import Path

    conf = ctx.project.helm
    release = args.release or (conf.release if conf else None)
    chart = Path(args.chart) if args.chart else (conf.chart if conf else None)
    if not release or chart is None:
        raise ShipshapeError("no helm release or chart: add a [helm] section to shipshape.toml", code="config")
    if not chart.is_absolute():
        chart = ctx.project.root / chart
    namespace = ctx.namespace(args.namespace or (conf.namespace if conf else None))
    values, skipped = built_tags(ctx, args.tags)
    if ctx.dry_run:
        return {
            "release": release,
            "chart": str(chart),
            "namespace": namespace,
            "values": values,
            "defaults_kept": skipped,
            "dry_run": True,
        }
    summary = ctx.helm.upgrade_install(
        release, chart, namespace, values, list(conf.values_files) if conf else [], args.wait, args.timeout_seconds
    )
    summary.update(values=values, defaults_kept=skipped)
    return summary
