"""RulebookBrain: the offline planner. The recovery decision tree of the mission, driven by what the tools
actually report (cluster_status categories, build results, the Prisma check), not by the report's words alone;
the words only pick where to start looking.

It is stateless between steps: every `next()` derives the plan from the trajectory, so it can also take over a
run that the model brain started (fallback) and continue from what has been observed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agent.brains.base import Observation, ToolCall, Trajectory, Turn
from agent.brains.playbook import (
    Plan,
    brief,
    build_stop,
    built_ref,
    dedupe,
    live,
    match,
    prisma_status,
    result_of,
    short,
)
from agent.brains.rules import plan_recovery, scale_plan, scale_request
from agent.project.config import Project

IMAGE_CATEGORIES = {"image-not-on-node", "image-not-found", "image-never-pull", "latest-tag-pull-always"}
MAX_BUILD_FIXES = 2
MAX_STATUS_READS = 3


def _workflow(report: str) -> str:
    text = report.lower()
    if scale_request(report):
        return "scale"
    if re.search(r"\b(build|docker build|dockerfile)\b", text) and re.search(
        r"fail|error|etimedout|econnreset|timeout|font|broken|cannot|can't", text
    ):
        return "build"
    if re.search(r"slow|takes? (too )?long|startup|start-up|cold start", text):
        return "slow"
    return "cluster"


class RulebookBrain:
    """The deterministic planner: no network, no model calls."""

    name = "rulebook"

    def __init__(self, project: Project, writes: Callable[[str], bool]) -> None:
        """`writes(tool)` is the registry's answer (agent.tools.writes): brains keep no list of their own."""
        self.project = project
        self.writes = writes
        self.model_calls = 0
        self._counter = 0

    # -- the Brain protocol -------------------------------------------------------------------------

    def next(self, trajectory: Trajectory, tools: list[dict[str, Any]] | None) -> Turn:
        workflow = _workflow(trajectory.report)
        plans = {"build": self._build_plan, "slow": self._slow_plan, "scale": self._scale_plan}
        plan = plans.get(workflow, self._cluster_plan)(trajectory)
        done, failure = match(plan, trajectory)
        if failure is not None:
            return self._answer(trajectory, plan, f"{failure.call.name} failed: {failure.error or short(failure)}")
        if any(o.result and o.result.get("dry_run") for o in trajectory.observations()):
            rest = [p.tool for p in plan.calls[done:]]
            return self._answer(trajectory, plan, "dry run: nothing was changed", planned=rest)
        if plan.stop and done >= len(plan.calls):
            return self._answer(trajectory, plan, plan.stop)
        if done >= len(plan.calls):
            return self._answer(trajectory, plan, "")
        if tools is None:
            return self._answer(trajectory, plan, "the step limit was reached")
        batch = [plan.calls[done]]
        if not self.writes(batch[0].tool):
            # Reads of the same kind run together (two rollouts watched at once); a different read may depend
            # on the one before it (check_health after wait_for_rollout), so it waits for the next turn.
            for item in plan.calls[done + 1 :]:
                if item.tool != batch[0].tool:
                    break
                batch.append(item)
        calls = []
        for item in batch:
            self._counter += 1
            calls.append(ToolCall(f"rule-{self._counter}", item.tool, item.input, item.why))
        return Turn(text=batch[0].why, calls=calls)

    # -- matching the plan against what happened ----------------------------------------------------

    # -- workflows ----------------------------------------------------------------------------------

    def _cluster_plan(self, traj: Trajectory) -> Plan:
        plan = Plan()
        namespace = self.project.cluster.namespace
        plan.add("cluster_status", "Look at the pods and rollouts first.", namespace=namespace)
        first = self._settled_status(traj, plan, namespace)
        if first is None:
            return plan
        if not first.ok or first.result is None:
            plan.stop = f"the cluster could not be read: {first.error}"
            return plan
        # A Ready pod has a category only when a liveness probe restarted it minutes ago (Ready between kills).
        pods = [p for p in live(first.result) if p.get("category")]
        by_image = {i.deployment: i for i in self.project.images if i.deployment}
        prisma_images = {i.name for i in self.project.images if i.prisma_schema}
        image_fix: dict[str, dict[str, Any]] = {}
        prisma_fix: dict[str, dict[str, Any]] = {}
        for pod in pods:
            image = by_image.get(pod.get("deployment") or "")
            plan.summary.append(
                f"pod {pod.get('name')}: {pod.get('reason')} ({pod.get('category')}): {pod.get('evidence', '')}"
            )
            if image is None:
                continue
            signals = pod.get("log_signals") or []
            if pod.get("category") in IMAGE_CATEGORIES:
                image_fix.setdefault(image.name, pod)
            elif "prisma-engine" in signals or (image.name in prisma_images and "prisma" in traj.report.lower()):
                prisma_fix.setdefault(image.name, pod)
        if not image_fix and not prisma_fix:
            return plan_recovery(traj, plan, namespace, first.result, pods)
        for name, pod in prisma_fix.items():
            plan.add(
                "pod_logs",
                "Confirm the Prisma error in the logs.",
                namespace=namespace,
                deployment=pod.get("deployment"),
                tail_lines=40,
            )
            plan.add("check_prisma_targets", "Is the engine's binary target in schema.prisma?", image=name)
            check = result_of(traj, "check_prisma_targets", {"image": name})
            if check is None:
                return plan
            if prisma_status(check) == "missing-target":
                plan.add("fix_prisma_targets", "Add the missing binary target (with a .backup).", image=name)
        names = sorted(set(image_fix) | set(prisma_fix))
        plan.add(
            "build_and_load_images",
            "Build the images the failing pods need and load them onto the node.",
            only=names,
        )
        build = result_of(traj, "build_and_load_images", {"only": names})
        if build is None:
            return plan
        if not build.get("ok"):
            plan.stop = build_stop(build)
            return plan
        built = {i["name"]: built_ref(i) for i in build.get("images", [])}
        deployments = []
        for name in names:
            image = self.project.image(name)
            pod = image_fix.get(name) or prisma_fix[name]
            deployments.append(image.deployment)
            if pod.get("image") != built.get(name) or name in prisma_fix:
                if self._helm_managed(first.result, image.deployment):
                    plan.add("helm_upgrade", "Roll the release to the built tags.")
                else:
                    plan.add(
                        "set_deployment_image",
                        f"Point {image.deployment} at the built tag.",
                        image=name,
                        ref=built.get(name),
                    )
            else:
                plan.add(
                    "rollout_restart",
                    f"Restart {image.deployment} so its pods start from the loaded image.",
                    namespace=namespace,
                    deployment=image.deployment,
                )
        plan.calls = dedupe(plan.calls)
        for deployment in deployments:
            plan.add(
                "wait_for_rollout",
                f"Watch {deployment} until its new pods are Ready.",
                namespace=namespace,
                deployment=deployment,
                timeout_seconds=120,
            )
        for name in names:
            if self.project.image(name).health is not None:
                plan.add("check_health", f"Check {name}'s health endpoint.", image=name)
        return plan

    def _scale_plan(self, traj: Trajectory) -> Plan:
        """ "scale frontend to 3": read the deployments, then scale_deployment and watch the rollout."""
        plan = Plan()
        namespace = self.project.cluster.namespace
        plan.add("cluster_status", "Which deployments are there?", namespace=namespace)
        status = traj.last("cluster_status")
        if status is None:
            return plan
        if not status.ok or status.result is None:
            plan.stop = f"the cluster could not be read: {status.error}"
            return plan
        scale_plan(plan, namespace, status.result, traj)
        return plan

    @staticmethod
    def _settled_status(traj: Trajectory, plan: Plan, namespace: str) -> Observation | None:
        """The cluster_status to act on. Pods that are not ready yet for no visible reason (ContainerCreating,
        a first pull in progress) are watched with wait_for_rollout, which returns as soon as they are Ready or
        fail for good, and the status is read again (at most twice)."""
        statuses = traj.results_of("cluster_status")
        for i in range(MAX_STATUS_READS):
            if len(statuses) <= i:
                return None
            status = statuses[i]
            if not status.ok or status.result is None or i == MAX_STATUS_READS - 1:
                return status
            pods = live(status.result)
            # "unknown" on a pod that is still starting is often the kubelet's events running ahead of its
            # status: watching the rollout settles it, as it does a pod with no diagnosis yet.
            failing = [p for p in pods if not p.get("ready") and p.get("category") not in (None, "", "unknown")]
            unsettled = sorted(
                {
                    p["deployment"]
                    for p in pods
                    if not p.get("ready") and p.get("category") in (None, "", "unknown") and p.get("deployment")
                }
            )
            if failing or not unsettled:
                return status
            for deployment in unsettled:
                plan.add(
                    "wait_for_rollout",
                    f"{deployment} is still starting: watch it settle.",
                    namespace=namespace,
                    deployment=deployment,
                    timeout_seconds=60,
                )
            plan.add("cluster_status", "Look again now that the pods have settled.", namespace=namespace)
        return None

    def _helm_managed(self, status: dict[str, Any], deployment: str | None) -> bool:
        """A Helm release is redeployed with helm_upgrade; plain manifests get their image set."""
        if self.project.helm is None:
            return False
        for dep in status.get("deployments", []):
            if dep.get("name") == deployment and "managed_by" in dep:
                return str(dep.get("managed_by")).lower() == "helm"
        return True

    def _build_plan(self, traj: Trajectory) -> Plan:
        plan = Plan()
        mentioned = [i.name for i in self.project.images if i.name in traj.report.lower()]
        only = mentioned or [i.name for i in self.project.images]
        for attempt in range(MAX_BUILD_FIXES + 1):
            why = "Build and see whether it fails." if attempt == 0 else "Rebuild with the fix."
            plan.add("build_and_load_images", why, only=only)
            builds = traj.results_of("build_and_load_images")
            if len(builds) <= attempt:
                return plan
            seen = builds[attempt]
            build = seen.result or {"ok": False, "error": seen.error, "denied": seen.denied}
            if build.get("ok"):
                plan.stop, plan.benign = ("", True) if attempt else ("the build succeeds now; nothing to fix", True)
                return plan
            failed = [i for i in build.get("images", []) if i.get("error") or i.get("ok") is False]
            if not failed:
                plan.stop = build_stop(build)
                return plan
            image = failed[0]
            log_path = image.get("log_path")
            if not log_path or attempt == MAX_BUILD_FIXES:
                plan.stop = f"{image.get('name')} still fails: {image.get('error', 'see the build log')}"
                return plan
            plan.add(
                "detect_build_failures",
                "Find the root cause in the build log.",
                log_path=log_path,
                image=image.get("name"),
            )
            diagnosis = result_of(traj, "detect_build_failures", {"log_path": log_path, "image": image.get("name")})
            if diagnosis is None:
                return plan
            plan.summary.append(f"{image.get('name')}: root cause {diagnosis.get('root_cause')}")
            plan.add(
                "suggest_dockerfile_fixes",
                "Rank the fixes, the ones that worked before first.",
                log_path=log_path,
                image=image.get("name"),
            )
            suggestions = result_of(
                traj, "suggest_dockerfile_fixes", {"log_path": log_path, "image": image.get("name")}
            )
            if suggestions is None:
                return plan
            # The best-ranked fix that still changes something (one applied before has an empty diff).
            fix = next((f for f in suggestions.get("fixes", []) if f.get("automatic") and f.get("diff")), None)
            if fix is None:
                plan.stop = (
                    f"{image.get('name')} fails with {diagnosis.get('root_cause')}; no safe automatic edit is left. "
                    "Suggestions: "
                    + "; ".join(
                        str(f.get("suggestion") or f.get("description")) for f in suggestions.get("fixes", [])[:3]
                    )
                )
                return plan
            apply_args: dict[str, Any] = {"fix_id": fix.get("fix_id"), "image": image.get("name")}
            if suggestions.get("signature"):
                apply_args["signature"] = suggestions["signature"]
            plan.add("apply_fix", f"Apply the best-ranked fix: {fix.get('description')}", **apply_args)
            if result_of(traj, "apply_fix", plan.calls[-1].input) is None:
                return plan
        return plan

    def _slow_plan(self, traj: Trajectory) -> Plan:
        plan = Plan()
        plan.add("verify_images", "Are the images cached on the node?")
        check = result_of(traj, "verify_images", {})
        if check is None:
            return plan
        missing = sorted(i["name"] for i in check.get("images", []) if not i.get("on_node"))
        if not missing:
            plan.stop, plan.benign = "every image is already cached on the node; the slowness is elsewhere", True
            return plan
        plan.summary.append("not cached on the node: " + ", ".join(missing))
        plan.add(
            "build_and_load_images",
            "Load the missing images onto the node (no rebuild when unchanged).",
            only=missing,
        )
        if result_of(traj, "build_and_load_images", {"only": missing}) is None:
            return plan
        plan.add("verify_images", "Confirm they are on the node now.", only=missing)
        return plan

    # -- the answer ---------------------------------------------------------------------------------

    def _answer(self, traj: Trajectory, plan: Plan, stop: str, planned: list[str] | None = None) -> Turn:
        lines = []
        if plan.summary:
            lines.append("What was wrong:")
            lines.extend(f"- {s}" for s in plan.summary)
        acted = [o for o in traj.observations() if o.ok and self.writes(o.call.name)]
        if acted:
            lines.append("What I did:")
            lines.extend(f"- {o.call.name} {brief(o.call.input)}" for o in acted)
        checks = [
            o for o in traj.observations() if o.call.name in ("wait_for_rollout", "check_health", "verify_images")
        ]
        if checks:
            lines.append("How it was checked:")
            lines.extend(f"- {o.call.name} {brief(o.call.input)}: {'ok' if o.ok else 'FAILED'}" for o in checks[-4:])
        if planned:
            lines.append("Planned next: " + ", ".join(planned))
        if stop:
            lines.append(stop if plan.benign else f"Stopped: {stop}")
        for note in traj.notes:
            lines.append(f"Note: {note}")
        return Turn(text="\n".join(lines) or "Nothing to do.", final=True)
