"""Tools that change a Deployment's spec, each journalled so that `shipshape undo` reverses it:

rollout_undo (back to the last revision whose pods were Ready, or a given one), patch_deployment (a bounded set
of fields: image, command/args, env and envFrom, resources, probes, nodeSelector, tolerations, replicas),
scale_deployment. All three write (approval-gated by the Policy), refuse namespaces outside
[policy] allowed_namespaces, and in a dry run say what they would change without changing it.
The edits themselves are pure (agent/pods/specedit.py, agent/pods/revisions.py); the journalled write is the
engine's (agent/engines/kube_write.py).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.errors import ShipshapeError
from agent.pods.quantity import memory_bytes
from agent.pods.revisions import choose_revision, current_revision, images, revision_of, template_without_hash
from agent.pods.specedit import edit_spec
from agent.tools import tool
from agent.tools.context import ToolContext

MAX_REPLICAS = 50


class Strict(BaseModel):
    """Unknown fields are errors: a field the tool does not change must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Kubernetes(Strict):
    """An object spelled as Kubernetes spells it: the model is shown only its kind (agent/tools/__init__.py's
    schema), since it knows the Kubernetes API; the fields are still checked here."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"x-kubernetes": True})


class WorkloadInput(Strict):
    deployment: str = Field(..., min_length=1)
    namespace: str | None = None


class RollbackInput(WorkloadInput):
    to_revision: int | None = Field(None, ge=1, description="default: the last with Ready pods")


class ScaleInput(WorkloadInput):
    replicas: int = Field(..., ge=0, le=MAX_REPLICAS)


class HTTPGetAction(Strict):
    path: str | None = Field(None, description="e.g. /healthz")
    port: int | str | None = Field(None, description="container port number or name")
    scheme: Literal["HTTP", "HTTPS"] | None = None
    host: str | None = None
    httpHeaders: list[dict[str, str]] | None = None


class TCPSocketAction(Strict):
    port: int | str
    host: str | None = None


class ExecAction(Strict):
    command: list[str] = Field(..., min_length=1)


class GRPCAction(Strict):
    port: int
    service: str | None = None


class Probe(Kubernetes):
    """A probe as Kubernetes spells it. A handler replaces the old one; timings given replace those timings."""

    httpGet: HTTPGetAction | None = None
    tcpSocket: TCPSocketAction | None = None
    exec: ExecAction | None = None
    grpc: GRPCAction | None = None
    initialDelaySeconds: int | None = Field(None, ge=0, le=3600)
    periodSeconds: int | None = Field(None, ge=1, le=3600)
    timeoutSeconds: int | None = Field(None, ge=1, le=3600)
    successThreshold: int | None = Field(None, ge=1, le=100)
    failureThreshold: int | None = Field(None, ge=1, le=1000)
    terminationGracePeriodSeconds: int | None = Field(None, ge=1)


class EnvVar(Strict):
    name: str = Field(..., min_length=1)
    value: str | None = None
    value_from: dict[str, Any] | None = Field(
        None, description="a Kubernetes EnvVarSource, e.g. {secretKeyRef: {name, key}}"
    )


class SourceRef(Strict):
    name: str = Field(..., min_length=1)
    optional: bool | None = None


class EnvFromSource(Kubernetes):
    configMapRef: SourceRef | None = None
    secretRef: SourceRef | None = None
    prefix: str | None = None


class ResourceList(Strict):
    cpu: str | int | float | None = Field(None, description="e.g. 250m, 0.5, 2")
    memory: str | int | None = Field(None, description="e.g. 128Mi, 1Gi")


class ResourceRequirements(Kubernetes):
    requests: ResourceList | None = None
    limits: ResourceList | None = None


class Toleration(Kubernetes):
    key: str | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    tolerationSeconds: int | None = None


class PatchInput(WorkloadInput):
    container: str | None = Field(None, description="default: the first")
    image: str | None = Field(None, min_length=1, description="new image reference")
    command: list[str] | None = Field(None, description="entrypoint, replaced whole")
    args: list[str] | None = Field(None, description="replaced whole")
    env: list[EnvVar] | None = Field(None, description="set by name; others stay")
    env_from: list[EnvFromSource] | None = Field(None, description="whole list, replaced")
    resources: ResourceRequirements | None = Field(None, description="requests/limits, merged")
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    startup_probe: Probe | None = None
    node_selector: dict[str, str | None] | None = Field(None, description="keys to set; null removes one")
    tolerations: list[Toleration] | None = Field(None, description="whole list, replaced")
    replicas: int | None = Field(None, ge=0, le=MAX_REPLICAS)


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True)
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _edits(args: PatchInput) -> dict[str, Any]:
    """The fields given, as plain data in Kubernetes' spelling (what agent.pods.specedit reads)."""
    skip = {"deployment", "namespace", "container"}
    edits = {k: _dump(getattr(args, k)) for k in PatchInput.model_fields if k not in skip}
    if args.env is not None:
        edits["env"] = [{"name": e.name, "value": e.value, "valueFrom": e.value_from} for e in args.env]
    if args.resources is not None:
        edits["resources"] = {
            section: {k: str(v) for k, v in values.items()} for section, values in edits["resources"].items()
        }
    return {k: v for k, v in edits.items() if v is not None}


def largest_allocatable_memory(ctx: ToolContext) -> int | None:
    """The most memory any node can give a pod (bytes), or None when no node says."""
    sizes = [memory_bytes(n["allocatable"]["memory"]) for n in ctx.kube.node_info() if n["allocatable"].get("memory")]
    return max(sizes) if sizes else None


def _write(
    ctx: ToolContext, namespace: str, current: dict[str, Any], new_spec: dict[str, Any], tool_name: str, summary: str
) -> dict[str, Any]:
    """The journalled write (or, in a dry run, nothing): {change_id, generation} for the result."""
    if ctx.dry_run:
        return {"change_id": None, "dry_run": True}
    written = ctx.deployments.replace_spec(
        namespace, current["metadata"]["name"], current, new_spec, tool_name, summary
    )
    return {"change_id": written["change_id"], "generation": written["generation"]}


@tool(
    "rollout_undo",
    "Roll a deployment back to its last revision with Ready pods, or to_revision (`kubectl rollout undo`): "
    "the fix for a bad rollout of an image the project does not build.",
    RollbackInput,
    writes=True,
)
def rollout_undo(ctx: ToolContext, args: RollbackInput) -> dict[str, Any]:
    namespace = ctx.namespace(args.namespace)
    kube = ctx.kube
    kube.check_namespace_allowed(namespace)
    current = kube.deployment(namespace, args.deployment)
    replicasets = kube.replicasets(namespace)
    seen_ready = ctx.store.ready_revisions(namespace, args.deployment)
    target, evidence = choose_revision(current, replicasets, args.to_revision, seen_ready)
    from_revision = current_revision(current, replicasets)
    new_spec = copy.deepcopy(current["spec"])
    new_spec["template"] = template_without_hash(target["spec"]["template"])
    summary = f"rollout_undo {args.deployment}: revision {from_revision} -> {revision_of(target)}"
    written = _write(ctx, namespace, current, new_spec, "rollout_undo", summary)
    return {
        "ok": True,
        "deployment": args.deployment,
        "namespace": namespace,
        "from_revision": from_revision,
        "to_revision": revision_of(target),
        "images_before": images(current["spec"]["template"]),
        "images_after": images(new_spec["template"]),
        "evidence": evidence,
        **written,
    }


@tool(
    "patch_deployment",
    "The least change to a deployment: a container's image, command/args, env (by name), envFrom, resources "
    "(no memory limit above the node's allocatable), probes (never removed), nodeSelector, tolerations, "
    "replicas. E.g. a wrong probe path or port, an OOMKilled limit, an unmatched nodeSelector.",
    PatchInput,
    writes=True,
)
def patch_deployment(ctx: ToolContext, args: PatchInput) -> dict[str, Any]:
    namespace = ctx.namespace(args.namespace)
    edits = _edits(args)
    if not edits:
        raise ShipshapeError("patch_deployment was given nothing to change", code="bad-input")
    kube = ctx.kube
    kube.check_namespace_allowed(namespace)
    current = kube.deployment(namespace, args.deployment)
    max_memory = largest_allocatable_memory(ctx) if "resources" in edits else None
    new_spec, changed = edit_spec(current["spec"], edits, args.container, max_memory)
    result: dict[str, Any] = {
        "ok": True,
        "deployment": args.deployment,
        "namespace": namespace,
        "changed": changed,
        "images_before": images(current["spec"]["template"]),
        "images_after": images(new_spec["template"]),
        "change_id": None,
    }
    if not changed:
        result["note"] = "the deployment already has these values; nothing was written"
        return result
    summary = f"patch_deployment {args.deployment}: {', '.join(changed)}"
    result.update(_write(ctx, namespace, current, new_spec, "patch_deployment", summary))
    return result


@tool(
    "scale_deployment",
    'Set a deployment\'s replicas (`kubectl scale`) when asked, e.g. "scale frontend to 3".',
    ScaleInput,
    writes=True,
)
def scale_deployment(ctx: ToolContext, args: ScaleInput) -> dict[str, Any]:
    namespace = ctx.namespace(args.namespace)
    kube = ctx.kube
    kube.check_namespace_allowed(namespace)
    current = kube.deployment(namespace, args.deployment)
    before = int(current["spec"].get("replicas", 1) or 0)
    result: dict[str, Any] = {
        "ok": True,
        "deployment": args.deployment,
        "namespace": namespace,
        "replicas_before": before,
        "replicas": args.replicas,
        "change_id": None,
    }
    if before == args.replicas:
        result["note"] = f"already {before} replica(s); nothing was written"
        return result
    new_spec = {**copy.deepcopy(current["spec"]), "replicas": args.replicas}
    summary = f"scale_deployment {args.deployment}: {before} -> {args.replicas}"
    result.update(_write(ctx, namespace, current, new_spec, "scale_deployment", summary))
    return result
