"""The rulebook's recovery rules for pod failures that a rebuild does not fix, one small module per failure:

- image.py: someone else's image cannot be pulled -> back to the last good revision;
- config.py: a ConfigMap / Secret / key is missing -> say exactly which; never invent a value;
- oom.py: OOMKilled -> raise the memory limit, bounded by the node's allocatable;
- crash.py: a crash loop that came with a rollout (exit 127, exec format error, a missing file) -> roll back;
- probes.py: a probe fails while the container runs -> the path/port that answers, or time for a slow start;
- pending.py: unmatched nodeSelector, untolerated taint, insufficient cpu/memory, a quota that refuses pods;
- service.py: a Service whose selector or targetPort misses the pods;
- scale.py: "scale frontend to 3".

Each is `rule(case, plan) -> bool` (agent.brains.rules.case): the first that claims the case decides.
"""

from __future__ import annotations

import re
from typing import Any

from agent.brains.base import Trajectory
from agent.brains.playbook import Plan
from agent.brains.rules import config, crash, image, oom, pending, probes, service
from agent.brains.rules.case import Case, Rule
from agent.brains.rules.scale import scale_plan, scale_request

__all__ = ["RULES", "Case", "plan_recovery", "recover", "scale_plan", "scale_request"]
# Words that point at a Service when every pod is Ready.
SERVICE_WORDS = re.compile(r"service|endpoint|connect|refused|traffic|rout|unreachable|\b50[234]\b", re.I)

RULES: tuple[Rule, ...] = (
    image.third_party_image,
    config.missing_config,
    oom.oom_killed,
    crash.crash_after_rollout,
    probes.probe_failing,
    pending.pending,
    pending.quota_exceeded,
    service.service_unreachable,
)


def recover(case: Case, plan: Plan) -> bool:
    """Run the rules in order; True when one claimed the case (its calls and stop are in `plan`)."""
    return any(rule(case, plan) for rule in RULES)


def _first(traj: Trajectory, tool: str, args: dict[str, Any]) -> dict[str, Any] | None:
    for obs in traj.observations():
        if obs.call.name == tool and obs.call.input == args and obs.result is not None:
            return obs.result
    return None


def plan_recovery(
    traj: Trajectory, plan: Plan, namespace: str, status: dict[str, Any], failing: list[dict[str, Any]]
) -> Plan:
    """After cluster_status, when no rebuild applies: read the evidence of the first failing deployment (or of
    the namespace's Services, when every pod is Ready and the report speaks of one) and let the rules decide.
    What no rule claims is reported with the diagnosis's own next step."""
    pod = next((p for p in failing if p.get("deployment")), None)
    short = [
        d["name"] for d in status.get("deployments") or [] if int(d.get("ready") or 0) < int(d.get("desired") or 0)
    ]
    deployment = pod["deployment"] if pod else (short[0] if short else None)
    if deployment is None and not SERVICE_WORDS.search(traj.report):
        if failing:
            odd = failing[0]
            plan.stop = (
                f"pod {odd.get('name')} is in {odd.get('reason')} ({odd.get('category')}): {odd.get('evidence')}. "
                f"Next step: {odd.get('next_step') or 'read its events'}. Nothing was changed."
            )
        else:
            plan.stop, plan.benign = "every pod in the namespace is ready; nothing to recover", True
        return plan
    args: dict[str, Any] = {"namespace": namespace}
    if deployment:
        args["deployment"] = deployment
    plan.add("deployment_evidence", "Read the evidence: states, events, revisions, nodes, services.", **args)
    evidence = _first(traj, "deployment_evidence", args)
    if evidence is None:
        return plan
    if recover(Case(namespace, deployment or "", pod, evidence, traj), plan):
        return plan
    if pod is not None:
        plan.stop = (
            f"{deployment} is in {pod.get('reason')} ({pod.get('category')}): {pod.get('evidence')}. "
            f"Next step: {pod.get('next_step') or 'read the logs'}. Nothing was changed."
        )
    elif deployment:
        plan.stop = f"{deployment} has fewer Ready pods than it wants, for no reason the evidence shows."
    else:
        plan.stop, plan.benign = "every pod is ready and every Service reaches its pods; nothing to recover", True
    return plan
