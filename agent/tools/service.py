"""Tools: patch_service (write): change a Service's selector keys or a port's targetPort, journalled so that
`shipshape undo` reverses it (agent/engines/kube_service.py), then wait a moment for its endpoints."""

from __future__ import annotations

import copy
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.engines import kubereads
from agent.errors import ShipshapeError
from agent.tools import tool
from agent.tools.context import ToolContext

ENDPOINTS_WAIT = 10.0


class PortTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = Field(..., ge=1, le=65535)
    targetPort: int | str


class ServicePatchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(..., min_length=1)
    namespace: str | None = None
    selector: dict[str, str | None] | None = None
    ports: list[PortTarget] | None = None


def edit_service_spec(spec: dict[str, Any], args: ServicePatchInput) -> tuple[dict[str, Any], list[str]]:
    """The new spec and what changed, in words. Unknown port numbers are errors: nothing is added silently."""
    new = copy.deepcopy(spec)
    changed = []
    for key, value in (args.selector or {}).items():
        selector = new.setdefault("selector", {})
        if value is None and key in selector:
            selector.pop(key)
            changed.append(f"selector {key} removed")
        elif value is not None and selector.get(key) != value:
            changed.append(f"selector {key}={selector.get(key)} -> {value}")
            selector[key] = value
    for target in args.ports or []:
        port = next((p for p in new.get("ports") or [] if p.get("port") == target.port), None)
        if port is None:
            known = ", ".join(str(p.get("port")) for p in new.get("ports") or [])
            raise ShipshapeError(f"the service has no port {target.port}", f"its ports: {known}", code="bad-input")
        if port.get("targetPort") != target.targetPort:
            changed.append(f"port {target.port} targetPort {port.get('targetPort')} -> {target.targetPort}")
            port["targetPort"] = target.targetPort
    return new, changed


@tool(
    "patch_service",
    "Make a Service reach its pods: set selector keys (null removes one) or a port's targetPort, as "
    "deployment_evidence says.",
    ServicePatchInput,
    writes=True,
)
def patch_service(ctx: ToolContext, args: ServicePatchInput) -> dict[str, Any]:
    from agent.engines.kube_service import ServiceWriter

    namespace = ctx.namespace(args.namespace)
    if not args.selector and not args.ports:
        raise ShipshapeError("patch_service was given nothing to change", code="bad-input")
    kube = ctx.kube
    kube.check_namespace_allowed(namespace)
    current = kube.service(namespace, args.service)
    new_spec, changed = edit_service_spec(current.get("spec") or {}, args)
    result: dict[str, Any] = {"ok": True, "service": args.service, "namespace": namespace, "changed": changed}
    if not changed:
        result["note"] = "the service already has these values; nothing was written"
        return result
    if ctx.dry_run:
        return {**result, "dry_run": True}
    summary = f"patch_service {args.service}: {', '.join(changed)}"
    written = ServiceWriter(kube, ctx.store, str(ctx.project.root)).replace_spec(
        namespace, args.service, current, new_spec, "patch_service", summary
    )
    deadline = time.monotonic() + ENDPOINTS_WAIT
    ready = 0
    while True:
        found = kubereads.endpoints(kube, namespace).get(args.service) or {}
        ready = sum(len(s.get("addresses") or []) for s in found.get("subsets") or [])
        if ready or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    return {**result, "change_id": written["change_id"], "endpoints": ready}
