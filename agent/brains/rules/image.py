"""Someone else's image cannot be pulled (a tag that does not exist, a registry that refuses): the project does
not build it, so a rebuild cannot help. The least change is the last revision whose pods ran; with no earlier
revision, a tag of the same repository that the node really holds (the kubelet's image list), when one is clearly
the one meant."""

from __future__ import annotations

from typing import Any

from agent.brains.playbook import Plan
from agent.brains.rules.case import Case, after_write, roll_back, wait_for

PULL_CATEGORIES = {"image-not-found", "registry-auth", "registry-unreachable", "latest-tag-pull-always"}


def third_party_image(case: Case, plan: Plan) -> bool:
    """An image outside the project fails to pull -> rollout_undo to the last good revision (or say which)."""
    if case.category not in PULL_CATEGORIES:
        return False
    image = str((case.pod or {}).get("image") or "")
    good = case.evidence.get("last_good_revision")
    if good is None and _other_tag(case, plan, image):
        return True
    if good is None:
        plan.stop = (
            f"{case.deployment} runs {image}, which cannot be pulled: {(case.pod or {}).get('evidence', '')}. "
            f"There is no earlier revision to go back to. Next step: {(case.pod or {}).get('next_step', '')}. "
            "Nothing was changed."
        )
        return True
    previous: dict[str, Any] = next((r for r in case.evidence.get("revisions") or [] if r["revision"] == good), {})
    plan.summary.append(
        f"{case.deployment} revision {case.evidence.get('revision')} runs {image}, which cannot be pulled; "
        f"revision {good} ran {', '.join(previous.get('images') or ['?'])}"
    )
    roll_back(
        plan,
        case,
        good,
        f"{image} is not an image this project builds: go back to revision {good}, the last one that ran.",
    )
    return True


CLEAR_LEAD = 0.15  # how much closer to the asked-for tag the best held tag must be than the next one


def _other_tag(case: Case, plan: Plan, image: str) -> bool:
    """No revision to go back to: point the container at the held tag closest to the asked-for one, if one is
    clearly it (the only one, or well ahead of the next); several equally likely -> name them, change nothing."""
    held = (case.evidence.get("image_alternatives") or {}).get(image) or []
    if not held:
        return False
    best = held[0]
    clear = len(held) == 1 or best["closeness"] - held[1]["closeness"] >= CLEAR_LEAD
    if not clear:
        plan.stop = (
            f"{case.deployment} runs {image}, which cannot be pulled, and has no earlier revision. The node holds "
            f"{', '.join(h['ref'] for h in held)}; which one is meant is not clear. Nothing was changed: "
            f"shipshape patch {case.deployment} --image REF sets the one you choose."
        )
        return True
    container = next((c["name"] for c in case.containers() if c.get("image") == image), None)
    plan.summary.append(f"{case.deployment} runs {image}, which cannot be pulled; the node holds {best['ref']}")
    plan.add(
        "patch_deployment",
        f"{image} does not exist and there is no earlier revision: use {best['ref']}, the tag of the same "
        "repository that the node holds.",
        namespace=case.namespace,
        deployment=case.deployment,
        image=best["ref"],
        **({"container": container} if container else {}),
    )
    wait_for(plan, case)
    after_write(plan, case, f"set {case.deployment}'s image to {best['ref']}")
    return True
