"""Diagnosing a live pod: `diagnose()` with the pod's events and, for crashes and failing probes, its last log
lines, read through the Kubernetes engine. The engine only reads; what the reads mean is decided here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.pods.classify import diagnose
from agent.pods.model import ImageExists, PodDiagnosis

if TYPE_CHECKING:
    from agent.engines.kube import KubeEngine

# Categories whose evidence is in the container's log: its last lines are read for them.
LOG_CATEGORIES = ("crash-loop", "probe-failing", "oom-killed", "unknown")


def diagnose_live(
    kube: KubeEngine,
    namespace: str,
    pod: dict[str, Any],
    events: list[dict[str, Any]] | None = None,
    image_exists: ImageExists | None = None,
) -> PodDiagnosis | None:
    """diagnose() with the pod's events (read when not given) and, for crashes and failing probes, its last log
    lines."""
    if events is None:
        events = kube.events(namespace, pod["metadata"]["name"])
    found = diagnose(pod, events, [], image_exists)
    if found is not None and found.category in LOG_CATEGORIES:
        logs = kube.crash_logs(namespace, pod, found.container)
        if logs:
            found = diagnose(pod, events, logs, image_exists)
    return found
