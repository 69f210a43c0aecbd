"""A deployment's revisions (its ReplicaSets) and which one `rollout_undo` goes back to. Pure functions.

Each ReplicaSet a Deployment owns carries the pod template of one revision (annotation
`deployment.kubernetes.io/revision`). `kubectl rollout undo` copies the chosen ReplicaSet's template, minus
its `pod-template-hash` label, into the Deployment; so does shipshape.

Which revision is "the last good one"? The evidence that exists, strongest first:
1. an older ReplicaSet that has Ready / available pods *now* (during a bad rolling update the old pods keep
   serving while the new ones fail: Kubernetes itself says they are Ready);
2. an older ReplicaSet whose pods shipshape itself saw Ready (cluster_status and wait_for_rollout remember
   each pod-template-hash they see Ready, in memory's `ready_revisions`);
3. otherwise the newest older revision whose containers (images, command, args) differ from the current
   one, which is kubectl's own choice. Kubernetes keeps no history of a scaled-down ReplicaSet's readiness
   (its status counts only present pods), so this one is "the previous revision", not "proven good": the
   result says which evidence it used, and wait_for_rollout afterwards is the proof.
"""

from __future__ import annotations

import copy
from typing import Any

from agent.errors import ShipshapeError

REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"


def revision_of(obj: dict[str, Any]) -> int:
    """The revision annotation of a Deployment or ReplicaSet (0 when it has none)."""
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0")
    try:
        return int(raw)
    except ValueError:
        return 0


def owned(deployment: dict[str, Any], replicasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ReplicaSets the deployment owns, newest revision first."""
    uid = deployment["metadata"].get("uid")
    mine = [
        rs
        for rs in replicasets
        if any(
            ref.get("kind") == "Deployment" and (ref.get("uid") == uid or not uid)
            for ref in rs["metadata"].get("ownerReferences") or []
        )
    ]
    return sorted(mine, key=revision_of, reverse=True)


def template_without_hash(template: dict[str, Any]) -> dict[str, Any]:
    """A ReplicaSet's pod template as a Deployment's: the controller's `pod-template-hash` label taken out."""
    result = copy.deepcopy(template)
    labels = (result.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return result


def runnable(template: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    """What decides whether the pods can start: each container's name, image, command and args."""
    spec = template.get("spec") or {}
    return [
        (c.get("name", ""), c.get("image", ""), c.get("command"), c.get("args"))
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])
    ]


def images(template: dict[str, Any]) -> list[str]:
    return [str(c.get("image", "")) for c in (template.get("spec") or {}).get("containers") or []]


def _ready_now(rs: dict[str, Any]) -> int:
    status = rs.get("status") or {}
    return int(status.get("availableReplicas") or status.get("readyReplicas") or 0)


def template_hash(rs: dict[str, Any]) -> str:
    labels = (rs["metadata"].get("labels") or {}) or (
        (rs["spec"]["template"].get("metadata") or {}).get("labels") or {}
    )
    return str(labels.get(HASH_LABEL, ""))


def choose_revision(
    deployment: dict[str, Any],
    replicasets: list[dict[str, Any]],
    to_revision: int | None = None,
    seen_ready: dict[str, str] | None = None,
) -> tuple[dict[str, Any], str]:
    """The ReplicaSet to roll back to and the evidence for choosing it; ShipshapeError (code no-revision) when
    there is none. `seen_ready`: pod-template-hash -> when shipshape saw that template's pods Ready."""
    name = deployment["metadata"]["name"]
    history = owned(deployment, replicasets)
    current_template = template_without_hash(deployment["spec"]["template"])
    known = ", ".join(str(revision_of(rs)) for rs in history) or "none"
    if to_revision is not None:
        for rs in history:
            if revision_of(rs) == to_revision:
                if template_without_hash(rs["spec"]["template"]) == current_template:
                    raise ShipshapeError(f"revision {to_revision} is already what {name!r} runs", code="no-revision")
                return rs, f"revision {to_revision} was asked for"
        raise ShipshapeError(
            f"deployment {name!r} has no revision {to_revision}", f"its revisions: {known}", code="no-revision"
        )
    # Compared by template, not by the deployment's revision annotation, which lags behind a spec change
    # until the controller has seen it.
    older = [
        rs for rs in history if runnable(template_without_hash(rs["spec"]["template"])) != runnable(current_template)
    ]
    if not older:
        raise ShipshapeError(
            f"deployment {name!r} has no earlier revision that runs something different (revisions: {known})",
            "Kubernetes keeps revisionHistoryLimit old ReplicaSets; fix the spec with patch_deployment instead",
            code="no-revision",
        )
    for rs in older:
        ready = _ready_now(rs)
        if ready:
            return rs, f"revision {revision_of(rs)} has {ready} Ready pod(s) now"
    for rs in older:
        seen = (seen_ready or {}).get(template_hash(rs))
        if seen:
            return rs, f"shipshape saw the pods of revision {revision_of(rs)} Ready (last at {seen})"
    rs = older[0]
    return rs, (
        f"revision {revision_of(rs)} is the newest earlier revision with different containers (what kubectl rollout "
        "undo picks); no earlier revision has Ready pods now or was seen Ready by shipshape, so it is not proven good"
    )


def current_revision(deployment: dict[str, Any], replicasets: list[dict[str, Any]]) -> int:
    """The revision the deployment's template is: its ReplicaSet's (the annotation lags behind a new spec)."""
    current_template = template_without_hash(deployment["spec"]["template"])
    for rs in owned(deployment, replicasets):
        if template_without_hash(rs["spec"]["template"]) == current_template:
            return revision_of(rs)
    return revision_of(deployment)
