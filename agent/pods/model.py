"""What a pod diagnosis is (PodDiagnosis, CATEGORIES) and the small readers of image references, pod
conditions and events that every part of the diagnosis shares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

CATEGORIES = (
    "image-not-on-node",
    "image-not-found",
    "registry-unreachable",
    "registry-auth",
    "image-never-pull",
    "latest-tag-pull-always",
    "crash-loop",
    "oom-killed",
    "config-missing",
    "unschedulable",
    "probe-failing",
    "unknown",
)

ImageExists = Callable[[str], bool | None]


@dataclass
class PodDiagnosis:
    """What is wrong with one pod: Kubernetes' reason, shipshape's category, the evidence, the next step."""

    reason: str
    category: str
    evidence: str
    next_step: str
    container: str = ""
    image: str = ""
    log_signals: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def image_tag(image: str) -> str:
    """The tag of an image reference ('' when it names none; digests count as a tag)."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def registry_host(image: str) -> str:
    """The registry host an image reference names explicitly ('' for Docker Hub's short names)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return ""


def is_ready(pod: dict[str, Any]) -> bool:
    """The pod's Ready condition is True."""
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def _events_text(events: list[dict[str, Any]], reasons: set[str] | None = None) -> list[dict[str, Any]]:
    picked = [e for e in events if reasons is None or e.get("reason") in reasons]
    return sorted(picked, key=_event_time)


def _event_time(event: dict[str, Any]) -> str:
    return str(event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp") or "")


def _last_warning(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    warnings = [e for e in _events_text(events) if e.get("type") == "Warning"]
    return warnings[-1] if warnings else None


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def pod_summary(pod: dict[str, Any]) -> dict[str, Any]:
    """Name, phase, readiness, restarts and first image of a pod, for tables and JSON."""
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    containers = (pod.get("spec") or {}).get("containers") or []
    return {
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "phase": status.get("phase", ""),
        "ready": is_ready(pod),
        "restarts": sum(int(c.get("restartCount") or 0) for c in statuses),
        "image": containers[0].get("image", "") if containers else "",
        "pod_ip": status.get("podIP") or "",
    }
