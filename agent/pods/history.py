"""A deployment's ReplicaSet history: each revision with its images, command and how many of its pods are Ready,
and which revision was last good (the one to roll back to). Pure functions over the ReplicaSets the API returns.
"""

from __future__ import annotations

from typing import Any

REVISION = "deployment.kubernetes.io/revision"


def revisions(replicasets: list[dict[str, Any]], deployment_uid: str) -> list[dict[str, Any]]:
    """The deployment's ReplicaSets, newest revision first: revision, name, images, command, replicas, ready."""
    owned = [
        rs
        for rs in replicasets
        if any(r.get("uid") == deployment_uid for r in rs["metadata"].get("ownerReferences") or [])
    ]
    out = []
    for rs in owned:
        containers = rs["spec"]["template"]["spec"].get("containers") or []
        status = rs.get("status") or {}
        out.append(
            {
                "revision": int((rs["metadata"].get("annotations") or {}).get(REVISION, 0) or 0),
                "name": rs["metadata"]["name"],
                "images": [c.get("image", "") for c in containers],
                "commands": [c.get("command") or [] for c in containers],
                "replicas": int(status.get("replicas") or 0),
                "ready": int(status.get("readyReplicas") or 0),
                "available": int(status.get("availableReplicas") or 0),
            }
        )
    return sorted(out, key=lambda r: r["revision"], reverse=True)


def last_good_revision(history: list[dict[str, Any]], current: int) -> int | None:
    """The revision to go back to: an older one whose pods are still Ready (a stalled rolling update keeps
    them), else the newest older one (it was what ran before the change). None when there is no older one."""
    older = [r for r in history if r["revision"] < current]
    serving = [r for r in older if r["ready"] > 0]
    if serving:
        return int(serving[0]["revision"])
    return int(older[0]["revision"]) if older else None


def changed_since(history: list[dict[str, Any]], current: int, good: int | None) -> list[str]:
    """What differs between the current revision and the good one (images, command), in words."""
    by_rev = {r["revision"]: r for r in history}
    now, then = by_rev.get(current), by_rev.get(good or -1)
    if now is None or then is None:
        return []
    changes = []
    if now["images"] != then["images"]:
        changes.append(f"image {', '.join(then['images'])} -> {', '.join(now['images'])}")
    if now["commands"] != then["commands"]:
        changes.append("command " + " ".join(str(x) for x in (now["commands"][0] if now["commands"] else [])))
    return changes
