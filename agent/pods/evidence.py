"""The facts a recovery rule acts on, read out of pods, events and messages: a container's state and last state
(exit code, reason, message), which ConfigMap / Secret / key a CreateContainerConfigError names, which probe
fails and how (status code, refused, path and port), why the scheduler finds no node (node selector / affinity,
untolerated taints, insufficient cpu or memory), and which ResourceQuota refused a pod. Pure functions over
what the API server returns; the live reads are agent.tools.evidence's.
"""

from __future__ import annotations

import re
from typing import Any

from agent.errors import ShipshapeError
from agent.pods import quantity as quantity_module
from agent.pods.model import _event_time, _one_line

# Messages of the kubelet (1.20 and later wordings) for a reference that does not resolve.
_NOT_FOUND = re.compile(r'(?P<kind>configmap|secret)s? "(?P<name>[\w.-]+)" not found', re.I)
_NO_KEY = re.compile(r"couldn't find key (?P<key>[\w.-]+) in (?P<kind>ConfigMap|Secret) (?:[\w.-]+/)?(?P<name>[\w.-]+)")
_PROBE = re.compile(r"(?P<probe>Readiness|Liveness|Startup) probe failed: (?P<detail>.*)", re.I | re.S)
_STATUS = re.compile(r"statuscode: (\d+)")
_URL = re.compile(r'"?(https?)://(?P<host>[\d.]+|[\w.-]+):(?P<port>\d+)(?P<path>/[^"\s]*)?"?')
_TAINT = re.compile(r"(?:had taint|untolerated taint)s? \{(?P<taint>[^}]*)\}")
_INSUFFICIENT = re.compile(r"Insufficient (?P<resource>[\w./-]+)")
_QUOTA = re.compile(
    r"exceeded quota: (?P<name>[\w.-]+), requested: (?P<requested>[^,]+(?:,[^,:]+)*?), used: (?P<used>.+?), "
    r"limited: (?P<limited>[^\n]+)"
)


def container_facts(pod: dict[str, Any]) -> list[dict[str, Any]]:
    """Per container: the current state and reason, the last termination (reason, exit code, message), restarts,
    readiness."""
    facts = []
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = cs.get("state") or {}
        kind = next((k for k in ("waiting", "running", "terminated") if state.get(k) is not None), "")
        now = state.get(kind) or {}
        last = (cs.get("lastState") or {}).get("terminated") or {}
        if kind == "terminated":
            last = now
        facts.append(
            {
                "name": cs.get("name", ""),
                "state": kind,
                "reason": now.get("reason", ""),
                "message": _one_line(str(now.get("message") or ""), 300),
                "ready": bool(cs.get("ready")),
                "restarts": int(cs.get("restartCount") or 0),
                "last_reason": last.get("reason", ""),
                "last_exit_code": last.get("exitCode"),
                "last_message": _one_line(str(last.get("message") or ""), 300),
            }
        )
    return facts


def missing_config(message: str) -> dict[str, str] | None:
    """{kind: ConfigMap|Secret, name, key?} named by a CreateContainerConfigError / FailedMount message."""
    found = _NO_KEY.search(message)
    if found:
        return {"kind": found["kind"], "name": found["name"], "key": found["key"]}
    found = _NOT_FOUND.search(message)
    if found:
        kind = "ConfigMap" if found["kind"].lower() == "configmap" else "Secret"
        return {"kind": kind, "name": found["name"], "key": ""}
    return None


def probe_failures(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Unhealthy events of a pod, newest last: which probe, the status code it got (0: no answer), the error
    ("connection refused", "timeout"), and the port and path when the message names them."""
    out = []
    for event in sorted(events, key=_event_time):
        if event.get("reason") != "Unhealthy":
            continue
        found = _PROBE.search(str(event.get("message", "")))
        if not found:
            continue
        detail = found["detail"].strip()
        status = _STATUS.search(detail)
        url = _URL.search(detail)
        error = ""
        if "connection refused" in detail:
            error = "connection refused"
        elif "timeout" in detail.lower() or "deadline exceeded" in detail:
            error = "timeout"
        out.append(
            {
                "probe": found["probe"].lower(),
                "status": int(status.group(1)) if status else 0,
                "error": error,
                "port": int(url["port"]) if url else None,
                "path": (url["path"] or "/") if url else None,
                "count": int(event.get("count") or 1),
                "message": _one_line(detail, 200),
            }
        )
    return out


def scheduling_failure(message: str) -> dict[str, Any]:
    """What a FailedScheduling / Unschedulable message says: node selector or affinity unmatched, the taints not
    tolerated, the resources the node lacks."""
    return {
        "node_selector": bool(re.search(r"didn't match (node selector|Pod's node affinity)", message)),
        "affinity": "affinity" in message and "selector" not in message,
        "taints": [t.strip() for t in _TAINT.findall(message)],
        "insufficient": sorted({r.rstrip(".,") for r in _INSUFFICIENT.findall(message)}),
        "message": _one_line(message, 300),
    }


def quota_failure(events: list[dict[str, Any]]) -> dict[str, str] | None:
    """The newest ReplicaSet FailedCreate event that a ResourceQuota caused: the quota's name and its figures."""
    for event in sorted(events, key=_event_time, reverse=True):
        if event.get("reason") != "FailedCreate":
            continue
        found = _QUOTA.search(str(event.get("message", "")))
        if found:
            return {
                "quota": found["name"],
                "requested": found["requested"].strip(),
                "used": found["used"].strip(),
                "limited": found["limited"].strip(),
                "message": _one_line(str(event.get("message", "")), 300),
            }
    return None


def node_facts(node: dict[str, Any]) -> dict[str, Any]:
    """A node's name, labels, taints and allocatable resources."""
    spec = node.get("spec") or {}
    return {
        "name": node["metadata"]["name"],
        "labels": node["metadata"].get("labels") or {},
        "taints": [
            f"{t.get('key')}={t.get('value', '')}:{t.get('effect')}"
            if t.get("value")
            else f"{t.get('key')}:{t.get('effect')}"
            for t in spec.get("taints") or []
        ],
        "unschedulable": bool(spec.get("unschedulable")),
        "allocatable": (node.get("status") or {}).get("allocatable") or {},
    }


def memory_bytes(quantity: str | int | None) -> int | None:
    """A Kubernetes memory quantity ("16Mi", "1G", "1048576") in bytes; None when absent or unreadable (the
    parsing is agent.pods.quantity's)."""
    if quantity in (None, ""):
        return None
    try:
        return quantity_module.memory_bytes(quantity)
    except ShipshapeError:
        return None


def cpu_millis(quantity: str | int | None) -> int | None:
    """A CPU quantity ("250m", "2", "0.5") in millicores; None when absent or unreadable."""
    if quantity in (None, ""):
        return None
    try:
        return int(quantity_module.cpu_cores(quantity) * 1000)
    except ShipshapeError:
        return None


def mebibytes(n: int) -> str:
    """Bytes as a Kubernetes quantity in whole Mi (rounded up)."""
    return f"{-(-n // 1024**2)}Mi"


def _split_ref(ref: str) -> tuple[str, str]:
    """`registry:5000/team/app:1.2` -> ("registry:5000/team/app", "1.2"); a ref without a tag has "latest"; a
    digest ref has the tag "" (it names content, not a version)."""
    if "@" in ref:
        return ref.split("@", 1)[0], ""
    name, _, tag = ref.rpartition(":")
    if not name or "/" in tag:
        return ref, "latest"
    return name, tag


def _short(repository: str) -> str:
    """The repository as the kubelet may report it: docker.io/library/nginx and nginx are one repository."""
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/", "library/"):
        if repository.startswith(prefix):
            return repository[len(prefix) :]
    return repository


def image_alternatives(images: list[str], nodes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """For each image reference, the other tags of its repository that a node holds (the kubelet's
    status.images), closest to the asked-for tag first: where a mistyped or missing tag can be replaced by one that
    is really there. An image with no other tag on any node is left out."""
    from difflib import SequenceMatcher

    held = [
        str(name) for n in nodes for i in (n.get("status") or {}).get("images") or [] for name in i.get("names") or []
    ]
    found: dict[str, list[dict[str, Any]]] = {}
    for ref in dict.fromkeys(images):
        repository, tag = _split_ref(ref)
        others = {}
        for name in held:
            other_repo, other_tag = _split_ref(name)
            if other_tag and other_tag != tag and _short(other_repo) == _short(repository):
                others[f"{repository}:{other_tag}"] = SequenceMatcher(None, tag, other_tag).ratio()
        if others:
            ranked = sorted(others, key=lambda r: (-others[r], r))
            found[ref] = [{"ref": r, "closeness": round(others[r], 2)} for r in ranked[:5]]
    return found
