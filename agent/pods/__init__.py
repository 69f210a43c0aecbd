"""Why is this pod not healthy? Pure functions over a pod's status, its events and its last log lines.

Input is the pod as the API server serialises it (camelCase keys, as `kubectl get pod -o json` prints it),
its events as dicts (`type`, `reason`, `message`), its last log lines, and a callable telling whether an
image exists on the build host (True / False / None when that cannot be known). No I/O happens here, so the
same code classifies live pods and recorded cases (tests/fixtures/pod_cases).

`diagnose()` returns None for a healthy or normally progressing pod, else a PodDiagnosis whose `reason` is
Kubernetes' own word (ImagePullBackOff, CrashLoopBackOff, OOMKilled, Unschedulable, ...) and whose `category`
is one of CATEGORIES: the root cause shipshape acts on.

The package: model.py (PodDiagnosis, CATEGORIES, the shared readers), pull.py (why an image pull failed),
classify.py (diagnose() itself, log signals).
"""

from agent.pods.classify import (
    LOG_SIGNALS,
    OTHER_FAILED_WAITING,
    PROGRESSING_WAITING,
    diagnose,
    log_signals,
    restarted_recently,
)
from agent.pods.model import CATEGORIES, ImageExists, PodDiagnosis, image_tag, is_ready, pod_summary, registry_host
from agent.pods.pull import PULL_REASONS

__all__ = [
    "CATEGORIES",
    "LOG_SIGNALS",
    "OTHER_FAILED_WAITING",
    "PROGRESSING_WAITING",
    "PULL_REASONS",
    "ImageExists",
    "PodDiagnosis",
    "diagnose",
    "image_tag",
    "is_ready",
    "log_signals",
    "pod_summary",
    "registry_host",
    "restarted_recently",
]
