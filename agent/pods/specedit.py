"""The bounded edits patch_deployment makes to a Deployment's spec, as pure functions: a new spec and the list of
field paths that changed, or an error a user can act on. No I/O; the tool reads the deployment and the nodes'
allocatable memory, and the engine writes.

The edits (each optional; nested values in Kubernetes' own camelCase, as `kubectl get -o json` shows them):
image, command, args (replace); env (set or replace by name); env_from (the whole envFrom list); resources
(requests / limits of cpu and memory, merged into the container's); liveness/readiness/startup probe (changed,
never removed: a new handler replaces the old one, timings are merged); node_selector (None removes a key);
tolerations (the whole list); replicas.
"""

from __future__ import annotations

import copy
from typing import Any

from agent.errors import ShipshapeError
from agent.pods.quantity import cpu_cores, format_memory, memory_bytes

PROBES = {"liveness_probe": "livenessProbe", "readiness_probe": "readinessProbe", "startup_probe": "startupProbe"}
HANDLERS = ("httpGet", "tcpSocket", "exec", "grpc")
CONTAINER_FIELDS = ("image", "command", "args", "env", "env_from", "resources", *PROBES)


def pick_container(spec: dict[str, Any], name: str | None) -> dict[str, Any]:
    """The named container of the pod template, or its first (the only one, usually)."""
    containers = spec["template"]["spec"].get("containers") or []
    if not containers:
        raise ShipshapeError("the deployment's pod template has no containers", code="bad-input")
    if name is None:
        return dict(containers[0])
    for c in containers:
        if c.get("name") == name:
            return dict(c)
    raise ShipshapeError(
        f"the deployment has no container {name!r}",
        f"its containers: {', '.join(str(c.get('name')) for c in containers)}",
        code="not-found",
    )


def merge_probe(current: dict[str, Any] | None, given: dict[str, Any], field: str) -> dict[str, Any]:
    """The probe after the change: a handler given replaces the old handler (merged into it when of the same
    kind, so {httpGet: {path}} keeps the port); timings given replace those timings; the rest stays."""
    given = {k: v for k, v in given.items() if v is not None}
    new_handlers = [h for h in HANDLERS if h in given]
    if len(new_handlers) > 1:
        raise ShipshapeError(f"{field}: give one of httpGet, tcpSocket, exec, not several", code="bad-input")
    if current is None:
        if not new_handlers:
            raise ShipshapeError(
                f"{field}: the container has no such probe yet; a new one needs httpGet, tcpSocket or exec",
                code="bad-input",
            )
        result: dict[str, Any] = {}
    else:
        result = copy.deepcopy(current)
    if new_handlers:
        handler = new_handlers[0]
        merged = {**result[handler], **given[handler]} if isinstance(result.get(handler), dict) else given[handler]
        for h in HANDLERS:
            result.pop(h, None)
        result[handler] = {k: v for k, v in merged.items() if v is not None}
        if handler in ("httpGet", "tcpSocket") and "port" not in result[handler]:
            raise ShipshapeError(f"{field}.{handler} needs a port", code="bad-input")
    for key, value in given.items():
        if key not in HANDLERS:
            result[key] = value
    return result


def merge_resources(
    current: dict[str, Any] | None, given: dict[str, Any], max_node_memory: int | None
) -> dict[str, Any]:
    """requests / limits merged; quantities checked; a memory request or limit above the largest node's allocatable
    memory refused (no pod could ever be scheduled, or it would be killed long before reaching it)."""
    result = copy.deepcopy(current or {})
    for section in ("requests", "limits"):
        for key, value in (given.get(section) or {}).items():
            if value is None:
                continue
            (memory_bytes if key == "memory" else cpu_cores)(value)
            result.setdefault(section, {})[key] = str(value)
    for key, check in (("memory", memory_bytes), ("cpu", cpu_cores)):
        request = (result.get("requests") or {}).get(key)
        limit = (result.get("limits") or {}).get(key)
        if request is not None and limit is not None and check(request) > check(limit):
            raise ShipshapeError(
                f"resources: the {key} request {request} is above the {key} limit {limit}",
                "raise the limit too, or lower the request",
                code="bad-input",
            )
    if max_node_memory is not None:
        for section in ("limits", "requests"):
            value = (result.get(section) or {}).get("memory")
            if value is not None and memory_bytes(value) > max_node_memory:
                raise ShipshapeError(
                    f"resources: a memory {section[:-1]} of {value} is more than any node can give "
                    f"(largest allocatable: {format_memory(max_node_memory, round_up=False)})",
                    f"choose at most {format_memory(max_node_memory, round_up=False)}",
                    code="over-allocatable",
                )
    return result


def merge_env(current: list[dict[str, Any]] | None, given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each given variable set (replacing one of the same name, in place) or appended."""
    result = [dict(e) for e in current or []]
    for item in given:
        entry: dict[str, Any] = {"name": item["name"]}
        if item.get("value") is not None and item.get("valueFrom") is not None:
            raise ShipshapeError(f"env {item['name']}: give value or value_from, not both", code="bad-input")
        if item.get("valueFrom") is not None:
            entry["valueFrom"] = item["valueFrom"]
        else:
            entry["value"] = str(item.get("value") or "")
        for i, old in enumerate(result):
            if old.get("name") == item["name"]:
                result[i] = entry
                break
        else:
            result.append(entry)
    return result


def edit_spec(
    spec: dict[str, Any], edits: dict[str, Any], container: str | None = None, max_node_memory: int | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The spec with `edits` applied (keys as patch_deployment's fields, unset ones absent or None) and the paths
    of the fields that changed."""
    new = copy.deepcopy(spec)
    pod = new["template"]["spec"]
    edits = {k: v for k, v in edits.items() if v is not None}
    target = pick_container(spec, container)
    name = target.get("name", "")
    if any(k in edits for k in CONTAINER_FIELDS):
        c = dict(target)
        for key in ("image", "command", "args"):
            if key in edits:
                c[key] = list(edits[key]) if key != "image" else edits[key]
        if "env" in edits:
            c["env"] = merge_env(c.get("env"), edits["env"])
        if "env_from" in edits:
            if edits["env_from"]:
                c["envFrom"] = edits["env_from"]
            else:
                c.pop("envFrom", None)
        if "resources" in edits:
            c["resources"] = merge_resources(c.get("resources"), edits["resources"], max_node_memory)
        for field, key in PROBES.items():
            if field in edits:
                c[key] = merge_probe(c.get(key), edits[field], field)
        pod["containers"] = [c if x.get("name") == name else x for x in pod["containers"]]
    if "node_selector" in edits:
        selector = dict(pod.get("nodeSelector") or {})
        for key, value in edits["node_selector"].items():
            if value is None:
                selector.pop(key, None)
            else:
                selector[key] = str(value)
        if selector:
            pod["nodeSelector"] = selector
        else:
            pod.pop("nodeSelector", None)
    if "tolerations" in edits:
        if edits["tolerations"]:
            pod["tolerations"] = edits["tolerations"]
        else:
            pod.pop("tolerations", None)
    if "replicas" in edits:
        new["replicas"] = int(edits["replicas"])
    return new, changed_paths(spec, new)


def changed_paths(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The field paths that differ between two deployment specs, as a person reads them
    (spec.replicas, spec.template.spec.containers[app].image, spec.template.spec.nodeSelector.disk)."""
    paths: list[str] = []
    if old.get("replicas") != new.get("replicas"):
        paths.append("spec.replicas")
    old_pod, new_pod = old["template"]["spec"], new["template"]["spec"]
    old_c = {c.get("name"): c for c in old_pod.get("containers") or []}
    for c in new_pod.get("containers") or []:
        before = old_c.get(c.get("name"), {})
        for key in sorted(set(before) | set(c)):
            if before.get(key) != c.get(key):
                paths.append(f"spec.template.spec.containers[{c.get('name')}].{key}")
    old_sel, new_sel = old_pod.get("nodeSelector") or {}, new_pod.get("nodeSelector") or {}
    for key in sorted(set(old_sel) | set(new_sel)):
        if old_sel.get(key) != new_sel.get(key):
            paths.append(f"spec.template.spec.nodeSelector.{key}")
    if old_pod.get("tolerations") != new_pod.get("tolerations"):
        paths.append("spec.template.spec.tolerations")
    if old["template"].get("metadata") != new["template"].get("metadata"):
        paths.append("spec.template.metadata")
    return paths
