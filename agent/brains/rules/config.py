"""A ConfigMap, a Secret or one of their keys that a container needs does not exist. Only the user knows the
value: say exactly which object and key, and how to create it; never invent a value, never write."""

from __future__ import annotations

from typing import Any

from agent.brains.playbook import Plan
from agent.brains.rules.case import Case


def _wanted(case: Case) -> list[dict[str, Any]]:
    found = list(case.evidence.get("missing_refs") or [])
    for pod in case.evidence.get("pods") or []:
        ref = pod.get("missing_config")
        if ref and not any(r["kind"] == ref["kind"] and r["name"] == ref["name"] for r in found):
            found.append({**ref, "container": "", "env": ""})
    return found


def describe(ref: dict[str, Any], namespace: str) -> str:
    """One missing reference in words, with the command that creates it from the user's own value."""
    kind, name, key = ref["kind"], ref["name"], ref.get("key") or ""
    # Worded so that redaction (which hides what follows "PASSWORD" or "password=") leaves the names readable.
    who = f" (container {ref['container']}, env var {ref['env']})" if ref.get("env") else ""
    make = "secret generic" if kind == "Secret" else "configmap"
    literal = f"--from-literal=<key>=<your value> (key: {key or ref.get('env') or 'the one the app reads'})"
    if key:
        what = f"{kind} {name} has no key {key}{who}"
        how = f"add the key with your value (kubectl -n {namespace} edit {kind.lower()} {name})"
    else:
        what = f"{kind} {name} does not exist in namespace {namespace}{who}"
        how = f"kubectl -n {namespace} create {make} {name} {literal}"
    return f"{what}; create it with your value: {how}"


def missing_config(case: Case, plan: Plan) -> bool:
    """CreateContainerConfigError / FailedMount for a missing object or key -> name it; no write."""
    wanted = _wanted(case)
    if not wanted and case.category != "config-missing":
        return False
    if not wanted:
        plan.stop = f"{case.deployment}: {(case.pod or {}).get('evidence', '')}. Nothing was changed."
        return True
    lines = [describe(ref, case.namespace) for ref in wanted]
    plan.summary.extend(lines)
    plan.stop = (
        f"{case.deployment} cannot start: "
        + "; ".join(lines)
        + ". shipshape does not make up configuration values, so nothing was changed; the pods start by "
        "themselves once it exists."
    )
    return True
