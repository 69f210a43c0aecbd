"""Someone else's image cannot be pulled (a tag that does not exist, a registry that refuses): the project does
not build it, so a rebuild cannot help. The least change is the last revision whose pods ran."""

from __future__ import annotations

from typing import Any

from agent.brains.playbook import Plan
from agent.brains.rules.case import Case, after_write, wait_for

PULL_CATEGORIES = {"image-not-found", "registry-auth", "registry-unreachable", "latest-tag-pull-always"}


def third_party_image(case: Case, plan: Plan) -> bool:
    """An image outside the project fails to pull -> rollout_undo to the last good revision (or say which)."""
    if case.category not in PULL_CATEGORIES:
        return False
    image = str((case.pod or {}).get("image") or "")
    good = case.evidence.get("last_good_revision")
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
    plan.add(
        "rollout_undo",
        f"{image} is not an image this project builds: go back to revision {good}, the last one that ran.",
        namespace=case.namespace,
        deployment=case.deployment,
        to_revision=good,
    )
    wait_for(plan, case)
    after_write(plan, case, f"rolled {case.deployment} back to revision {good}")
    return True
