"""Verifying an incident's outcome independently of what the brain said.

`ok` of a chat run comes from here: the last build succeeded (if the run built), the project's deployments are
available with every replica updated and ready, and every health check answers as expected (if the run touched
the cluster), the images are on the node (if the run checked that). A run that changed nothing and verified
nothing is not ok: explaining a failure is not recovering from it.
"""

from __future__ import annotations

from typing import Any

from agent import tools as registry
from agent.brains.base import Trajectory
from agent.run.call import run_direct
from agent.safety import Policy
from agent.tools.context import ToolContext

# The tools that touch the cluster: after one of them ran, the deployments and health checks are verified.
# (Which tools write is the registry's answer, `Tool.writes`, not a list kept here.)
CLUSTER_TOOLS = {
    "rollout_restart",
    "wait_for_rollout",
    "helm_upgrade",
    "set_deployment_image",
    "rollout_undo",
    "patch_deployment",
    "scale_deployment",
}


def _call(ctx: ToolContext, policy: Policy, name: str, args: dict[str, Any]) -> dict[str, Any]:
    obs = run_direct(ctx, policy, name, args)
    return obs.result if obs.result is not None else {"ok": False, "error": obs.error}


def _acted(used: set[str]) -> bool:
    """A write ran, or a rollout was watched to its end (someone else's restart that this run saw through)."""
    return any(registry.writes(name) for name in used) or "wait_for_rollout" in used


def verify_outcome(ctx: ToolContext, policy: Policy, traj: Trajectory) -> dict[str, Any]:
    """{"ok": bool, "checks": [{"check", "ok", "detail"}]} for what the run did."""
    used = {o.call.name for o in traj.observations() if o.ok and not o.denied}
    checks: list[dict[str, Any]] = []
    if ctx.dry_run:
        return {"ok": False, "checks": [{"check": "dry-run", "ok": False, "detail": "nothing was changed"}]}
    if not _acted(used):
        return {"ok": False, "checks": [{"check": "action", "ok": False, "detail": "nothing was changed"}]}
    build = traj.last("build_and_load_images")
    if build is not None:
        checks.append({"check": "build", "ok": build.ok, "detail": "last build " + ("ok" if build.ok else "failed")})
    if used & CLUSTER_TOOLS or traj.last("cluster_status") is not None:
        checks.extend(_cluster_checks(ctx, policy, _touched(ctx, traj)))
    checks.extend(_service_checks(ctx, policy, traj))
    if traj.last("verify_images") is not None and not used & CLUSTER_TOOLS:
        result = _call(ctx, policy, "verify_images", {})
        checks.append({"check": "images on node", "ok": bool(result.get("ok")), "detail": _images_detail(result)})
    return {"ok": bool(checks) and all(c["ok"] for c in checks), "checks": checks}


def _service_checks(ctx: ToolContext, policy: Policy, traj: Trajectory) -> list[dict[str, Any]]:
    """Each Service the run patched has endpoints and reaches its pods (deployment_evidence's own check)."""
    patched = {
        (o.call.input.get("namespace"), o.call.input.get("service")) for o in traj.results_of("patch_service") if o.ok
    }
    checks = []
    for namespace, name in sorted(patched, key=str):
        found = _call(ctx, policy, "deployment_evidence", {"namespace": namespace or ctx.project.cluster.namespace})
        svc: dict[str, Any] = next((s for s in found.get("services") or [] if s.get("name") == name), {})
        ok = bool(svc.get("endpoints")) and not svc.get("problem")
        detail = f"{svc.get('endpoints', 0)} endpoint(s)" + (f"; {svc['problem']}" if svc.get("problem") else "")
        checks.append({"check": f"service {name}", "ok": ok, "detail": detail})
    return checks


def _images_detail(result: dict[str, Any]) -> str:
    images = result.get("images") or []
    return ", ".join(f"{i.get('name')}: {'on node' if i.get('on_node') else 'missing'}" for i in images) or str(
        result.get("error", "")
    )


def _touched(ctx: ToolContext, traj: Trajectory) -> set[str]:
    """The deployments of the project's namespace that the run changed or watched (a rollout_undo of a deployment
    the project does not build is verified as well as the project's own)."""
    namespace = ctx.project.cluster.namespace
    return {
        str(o.call.input["deployment"])
        for o in traj.observations()
        if o.ok
        and o.call.name in CLUSTER_TOOLS
        and o.call.input.get("deployment")
        and o.call.input.get("namespace", namespace) == namespace
    }


def _cluster_checks(ctx: ToolContext, policy: Policy, touched: set[str]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    wanted = {i.deployment for i in ctx.project.images if i.deployment} | touched
    status = _call(ctx, policy, "cluster_status", {"namespace": ctx.project.cluster.namespace})
    if status.get("ok") is False and "deployments" not in status:
        return [{"check": "cluster", "ok": False, "detail": status.get("error", "cluster_status failed")}]
    for dep in status.get("deployments", []):
        if dep.get("name") not in wanted:
            continue
        desired = int(dep.get("desired") or 0)
        counts = all(int(dep.get(k) or 0) >= desired for k in ("ready", "updated", "available"))
        # An old pod still serving while the new one fails counts as ready and available: a rollout is only
        # complete when no live pod of the deployment is failing.
        failing = [
            p["name"]
            for p in status.get("pods", [])
            if p.get("deployment") == dep["name"] and not p.get("ready") and p.get("reason") != "Terminating"
        ]
        detail = f"{dep.get('ready')}/{desired} ready, {dep.get('updated')} updated"
        if failing:
            detail += f"; not ready: {', '.join(failing)}"
        checks.append(
            {"check": f"deployment {dep['name']}", "ok": desired > 0 and counts and not failing, "detail": detail}
        )
    for image in ctx.project.images:
        if image.health is None or not image.deployment:
            continue
        health = _call(ctx, policy, "check_health", {"image": image.name})
        checks.append(
            {
                "check": f"health {image.name}",
                "ok": bool(health.get("ok")),
                "detail": f"HTTP {health.get('status')} from {health.get('url', '?')}"
                if health.get("status")
                else str(health.get("error", "no answer")),
            }
        )
    return checks
