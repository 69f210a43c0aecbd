"""Why an image pull failed: the pull's events and message, the pull policy and whether the build host has the
image decide between image-not-on-node, image-not-found, registry-auth, registry-unreachable and
latest-tag-pull-always.
"""

from __future__ import annotations

import re
from typing import Any

from agent.pods.model import ImageExists, PodDiagnosis, _events_text, _one_line, image_tag, registry_host

PULL_REASONS = {"ErrImagePull", "ImagePullBackOff", "ErrImagePullBackOff"}


_NOT_FOUND = re.compile(
    r"manifest unknown|manifest for \S+ not found|not found: manifest|repository does not exist|"
    r"name unknown|: not found|NotFound|404 Not Found",
    re.I,
)
_AUTH = re.compile(
    r"unauthorized|authentication required|no basic auth credentials|401 Unauthorized|403 Forbidden|"
    r"denied: requested access|incorrect username or password|pull access denied",
    re.I,
)
_NETWORK = re.compile(
    r"no such host|dial tcp|connection refused|i/o timeout|TLS handshake timeout|network is unreachable|"
    r"Temporary failure in name resolution|server misbehaving|context deadline exceeded|EOF$",
    re.I,
)


def _pull_policy(spec: dict[str, Any], image: str) -> str:
    if spec.get("imagePullPolicy"):
        return str(spec["imagePullPolicy"])
    if not spec:
        return ""  # a recorded status without the pod's spec: the policy is not known
    # Kubernetes' default: Always for :latest or no tag, IfNotPresent otherwise.
    return "Always" if image_tag(image) in ("", "latest") else "IfNotPresent"


def _pull_failure(
    reason: str,
    message: str,
    container: str,
    image: str,
    spec: dict[str, Any],
    events: list[dict[str, Any]],
    image_exists: ImageExists,
) -> PodDiagnosis:
    failed = [
        e for e in _events_text(events, {"Failed"}) if str(e.get("message", "")).lower().startswith("failed to pull")
    ]
    detail = _one_line(str(failed[-1].get("message", "")) if failed else message)
    evidence = detail or f"{reason} for {image}"
    text = f"{message}\n" + "\n".join(str(e.get("message", "")) for e in failed)
    policy = _pull_policy(spec, image)
    on_host = image_exists(image)

    def made(category: str, step: str) -> PodDiagnosis:
        return PodDiagnosis(reason, category, evidence, step, container, image)

    if policy == "Always" and image_tag(image) in ("", "latest"):
        hint = "" if on_host is not False else " (it is not on the build host either: build it first)"
        return made(
            "latest-tag-pull-always",
            f"{image} uses the latest tag, so Kubernetes pulls it on every start (imagePullPolicy "
            f"Always) and a loaded image is never used: give it a versioned tag and set "
            f"imagePullPolicy: IfNotPresent{hint}",
        )
    if on_host:
        return made(
            "image-not-on-node",
            f"{image} exists on the build host but not on the cluster's node: load it into the node "
            f"(shipshape build loads it), then restart the deployment",
        )
    if _NOT_FOUND.search(text):
        return made(
            "image-not-found",
            f"no registry has {image} and the build host does not either: check the image name and tag, or build it",
        )
    if _AUTH.search(text):
        return made(
            "registry-auth",
            f"the registry refused to serve {image} without credentials: add an imagePullSecret or "
            f"log in to the registry on the node",
        )
    if _NETWORK.search(text):
        if on_host is False and not registry_host(image):
            return made(
                "image-not-found",
                f"{image} is on neither the build host nor the node, and the registry cannot be "
                f"reached: build it and load it into the node (or fix the image name)",
            )
        return made(
            "registry-unreachable",
            f"the node cannot reach the registry for {image}: check DNS and network, or build the "
            f"image locally and load it into the node",
        )
    if on_host is False:
        return made(
            "image-not-found",
            f"{image} cannot be pulled and the build host does not have it: build it, or fix the name",
        )
    return made("unknown", f"the pull of {image} failed: read the pod's events (kubectl describe pod)")


def _pull_failure_status(pod: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The kubelet reports a failed pull in an event a moment before the container status says so: the
    container status the event implies, so the pull is classified the same way either way."""
    failed = [e for e in _events_text(events, {"Failed"}) if "Failed to pull image" in str(e.get("message", ""))]
    if not failed:
        return None
    message = str(failed[-1].get("message", ""))
    containers = (pod.get("spec") or {}).get("containers") or []
    named = [c for c in containers if f'"{c.get("image")}"' in message] or containers[:1]
    if not named:
        return None
    container = named[0]
    return {
        "name": container.get("name", ""),
        "image": container.get("image", ""),
        "ready": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": "ErrImagePull", "message": message}},
    }
