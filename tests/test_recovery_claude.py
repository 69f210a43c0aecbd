"""Three scenarios of the recovery suite with the ClaudeBrain: the real `anthropic` SDK against the stand-in
Messages server (tests/standin_anthropic.py), whose scripted "model" reads the tool results it is sent (the
evidence, the answering health paths) and decides from them, as a model would. Judged like the rulebook runs:
by the outcome on the cluster, every write asked for, nothing outside the namespace changed. The brain sees the
same tools (deployment_evidence, probe_endpoints, rollout_undo, patch_deployment) and the skill
recover-pod-failures, which the script loads first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent import tools as registry
from agent.run.loop import Agent
from agent.safety import FunctionApprover, Policy
from agent.tools.context import ToolContext
from tests.cluster_scenarios import SCENARIOS
from tests.scenario_suite import prepare, run_all, table
from tests.standin_anthropic import reply, text, tool_use

pytestmark = pytest.mark.cluster
CHOSEN = ("exit-127-after-rollout", "oom-killed", "readiness-wrong-path")


def _number(pattern: str, seen: str) -> int:
    found = re.search(pattern, seen)
    assert found, f"{pattern!r} not in {seen[:300]}"
    return int(found.group(1))


def script(ns: str, name: str) -> list[Any]:
    """What the scripted model does for one scenario, deciding each write from what the tools returned."""
    evidence = {"namespace": ns, "deployment": "web"}
    wait = {"namespace": ns, "deployment": "web", "timeout_seconds": 120}
    steps: list[Any] = [
        reply(tool_use("activate_skill", {"name": "recover-pod-failures"})),
        reply(tool_use("cluster_status", {"namespace": ns})),
        reply(tool_use("deployment_evidence", evidence)),
    ]

    def decide(req: Any) -> Any:
        seen = req.result_of("deployment_evidence")
        if name == "exit-127-after-rollout":
            good = _number(r'"last_good_revision":(\d+)', seen)
            return reply(
                text(f"exit 127 came with the rollout; back to {good}."),
                tool_use("rollout_undo", {**evidence, "to_revision": good}),
            )
        if name == "oom-killed":
            old = _number(r'"limits":\{"memory":"(\d+)Mi"\}', seen)
            change = {**evidence, "container": "app", "resources": {"limits": {"memory": f"{old * 2}Mi"}}}
            return reply(text("OOMKilled at its limit: twice the limit."), tool_use("patch_deployment", change))
        return reply(tool_use("probe_endpoints", {**evidence, "ports": [8080]}))

    steps.append(decide)
    if name == "readiness-wrong-path":

        def retarget(req: Any) -> Any:
            answering = json.loads(req.result_of("probe_endpoints"))["answering"]
            path = next(a["path"] for a in answering if a["path"] in ("/healthz", "/health"))
            probe = {"httpGet": {"path": path, "port": 8080}, "periodSeconds": 2, "failureThreshold": 2}
            return reply(tool_use("patch_deployment", {**evidence, "container": "app", "readiness_probe": probe}))

        steps.append(retarget)
    steps += [reply(tool_use("wait_for_rollout", wait)), reply(text("Fixed and watched until Ready."))]
    return steps


def claude_factory(url: str) -> Callable[[ToolContext, FunctionApprover], Agent]:
    def make(ctx: ToolContext, approver: FunctionApprover) -> Agent:
        from agent.brains.claude import ClaudeBrain
        from agent.brains.rulebook import RulebookBrain
        from agent.prompts import system_prompt

        brain = ClaudeBrain(base_url=url, api_key="test-key", max_retries=1, timeout=30)
        return Agent(
            brain,
            ctx,
            Policy.from_project(ctx.project),
            approver=approver,
            fallback=lambda: RulebookBrain(ctx.project, registry.writes),
            system=system_prompt(ctx.project),
        )

    return make


def test_three_scenarios_with_the_claude_brain(
    kubeconfig: Path, node_docker: str, tmp_path: Path, standin: Any
) -> None:
    suite = prepare(tmp_path, [s for s in SCENARIOS if s.name in CHOSEN])
    try:
        for run in suite.runs:
            standin.script(*script(run.namespace, run.scenario.name))
        run_all(suite, claude_factory(standin.url), model_calls_allowed=True)
        rows = table(suite.runs)
        assert all(r["passed"] for r in rows), rows
        for run in suite.runs:
            assert run.result is not None and run.result.brain == "claude" and run.result.model_calls >= 5
            assert run.result.ok, run.result.verification  # shipshape's own outcome check agrees
        assert standin.violations == [] and standin.remaining == 0
        assert "recover-pod-failures" in standin.message_requests[0].body["system"][0]["text"]
    finally:
        suite.remove()
