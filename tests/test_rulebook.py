"""The RulebookBrain's decisions on recorded observations (no cluster): what it calls next is driven by what
the tools reported, and it stops with the evidence when there is nothing it can repair."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent import tools as registry
from agent.brains.base import Observation, Step, ToolCall, Trajectory, Turn
from agent.brains.rulebook import RulebookBrain
from agent.project.config import load_project

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[1]
TOOLS: list[dict[str, Any]] = [{"name": "any"}]


def brain() -> RulebookBrain:
    return RulebookBrain(load_project(REPO / "examples" / "todo"), registry.writes)


def observed(traj: Trajectory, name: str, args: dict[str, Any], result: dict[str, Any], ok: bool = True) -> None:
    call = ToolCall(f"c{len(traj.steps)}", name, args)
    traj.steps.append(Step(Turn(calls=[call]), [Observation(call, ok, result, "")]))


def pod(category: str | None, ready: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "name": "todo-backend-1",
        "deployment": "todo-backend",
        "ready": ready,
        "reason": extra.pop("reason", "X"),
        "category": category,
        "image": extra.pop("image", "todo-backend:aaa"),
        **extra,
    }


def status(*pods: dict[str, Any]) -> dict[str, Any]:
    return {"deployments": [{"name": "todo-backend", "managed_by": "Helm"}], "pods": list(pods)}


def test_it_looks_before_it_acts() -> None:
    turn = brain().next(Trajectory("pods show ImagePullBackOff"), TOOLS)
    assert [c.name for c in turn.calls] == ["cluster_status"]


def test_an_image_missing_on_the_node_is_built_and_loaded_then_restarted() -> None:
    traj = Trajectory("pods show ImagePullBackOff")
    observed(traj, "cluster_status", {"namespace": "todo"}, status(pod("image-not-on-node")))
    turn = brain().next(traj, TOOLS)
    assert [(c.name, c.input) for c in turn.calls] == [("build_and_load_images", {"only": ["backend"]})]
    observed(
        traj,
        "build_and_load_images",
        {"only": ["backend"]},
        {"ok": True, "images": [{"name": "backend", "tag": "todo-backend:aaa"}]},
    )
    turn = brain().next(traj, TOOLS)
    assert [c.name for c in turn.calls] == ["rollout_restart"]  # same tag: a restart picks up the loaded image


def test_a_latest_tag_is_moved_to_the_built_tag_with_helm() -> None:
    traj = Trajectory("pods show ImagePullBackOff")
    observed(
        traj,
        "cluster_status",
        {"namespace": "todo"},
        status(pod("latest-tag-pull-always", image="todo-backend:latest")),
    )
    observed(
        traj,
        "build_and_load_images",
        {"only": ["backend"]},
        {"ok": True, "images": [{"name": "backend", "tag": "todo-backend:bbb"}]},
    )
    assert [c.name for c in brain().next(traj, TOOLS).calls] == ["helm_upgrade"]


def test_a_crash_loop_with_no_earlier_revision_is_explained_not_touched() -> None:
    traj = Trajectory("the backend keeps restarting")
    observed(
        traj,
        "cluster_status",
        {"namespace": "todo"},
        status(pod("crash-loop", reason="CrashLoopBackOff", next_step="read the logs of backend")),
    )
    turn = brain().next(traj, TOOLS)
    assert [c.name for c in turn.calls] == ["deployment_evidence"]
    facts = {"name": "backend", "last_exit_code": 3, "last_message": "", "message": "", "restarts": 4}
    evidence = {"pods": [{"containers": [facts], "logs": ["fatal: boom"]}], "last_good_revision": None}
    observed(traj, "deployment_evidence", turn.calls[0].input, evidence)
    answer = brain().next(traj, TOOLS)
    assert answer.final and "crashes: exit code 3" in answer.text and "fatal: boom" in answer.text
    # the diagnosis's next step is kept, and nothing was written
    assert "Next step: read the logs of backend" in answer.text and "Nothing was changed" in answer.text


def test_a_declined_write_ends_the_run_with_the_reason() -> None:
    traj = Trajectory("pods show ImagePullBackOff")
    observed(traj, "cluster_status", {"namespace": "todo"}, status(pod("image-not-found")))
    call = ToolCall("c9", "build_and_load_images", {"only": ["backend"]})
    traj.steps.append(
        Step(
            Turn(calls=[call]),
            [Observation(call, False, None, "", denied=True, error="build_and_load_images was not approved: later")],
        )
    )
    answer = brain().next(traj, TOOLS)
    assert answer.final and "not approved: later" in answer.text


def test_pods_still_starting_are_watched_before_judging() -> None:
    traj = Trajectory("pods show ImagePullBackOff")
    observed(traj, "cluster_status", {"namespace": "todo"}, status(pod(None, reason="ContainerCreating")))
    turn = brain().next(traj, TOOLS)
    assert [c.name for c in turn.calls] == ["wait_for_rollout"]


def test_a_failed_build_is_diagnosed_and_the_best_fix_that_changes_something_applied() -> None:
    traj = Trajectory("docker build fails with ETIMEDOUT")
    failed = {"ok": False, "images": [{"name": "frontend", "error": "npm", "log_path": "/tmp/b.log"}]}
    observed(traj, "build_and_load_images", {"only": ["frontend", "backend"]}, failed)
    observed(
        traj, "detect_build_failures", {"log_path": "/tmp/b.log", "image": "frontend"}, {"root_cause": "npm-network"}
    )
    observed(
        traj,
        "suggest_dockerfile_fixes",
        {"log_path": "/tmp/b.log", "image": "frontend"},
        {
            "signature": "sig",
            "fixes": [
                {"fix_id": "done-before", "automatic": True, "diff": ""},
                {"fix_id": "npm-retries", "automatic": True, "diff": "+x"},
            ],
        },
    )
    turn = brain().next(traj, TOOLS)
    assert [(c.name, c.input) for c in turn.calls] == [
        ("apply_fix", {"fix_id": "npm-retries", "image": "frontend", "signature": "sig"})
    ]
