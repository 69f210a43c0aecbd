"""The recovery rules (agent/brains/rules/) driven through the RulebookBrain on recorded observations (no cluster):
for each failure, the evidence it reads, the least change it plans (or the exact thing it says, writing nothing),
and the check after the write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent import tools as registry
from agent.brains.base import Observation, Step, ToolCall, Trajectory, Turn
from agent.brains.rulebook import RulebookBrain
from agent.brains.rules.oom import new_limit
from agent.brains.rules.probes import best_target
from agent.brains.rules.scale import resolve, scale_request
from agent.project.config import load_project

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[1]
TOOLS: list[dict[str, Any]] = [{"name": "any"}]
NS = "todo"
EVIDENCE_ARGS = {"namespace": NS, "deployment": "web"}
NODE = {
    "name": "localhost",
    "labels": {"kubernetes.io/hostname": "localhost"},
    "taints": [],
    "allocatable": {"cpu": "2", "memory": "4Gi"},
}


def brain() -> RulebookBrain:
    return RulebookBrain(load_project(REPO / "examples" / "todo"), registry.writes)


def observed(traj: Trajectory, name: str, args: dict[str, Any], result: dict[str, Any]) -> None:
    call = ToolCall(f"c{len(traj.steps)}", name, args)
    traj.steps.append(Step(Turn(calls=[call]), [Observation(call, True, result, "")]))


def failing(category: str, **extra: Any) -> dict[str, Any]:
    pod = {
        "name": "web-1",
        "deployment": "web",
        "ready": False,
        "reason": "X",
        "category": category,
        "image": "nginx:1",
    }
    return {"deployments": [{"name": "web", "desired": 1, "ready": 0}], "pods": [{**pod, **extra}]}


def evidence(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "deployment": "web",
        "containers": [{"name": "app", "image": "nginx:1", "ports": [8080], "resources": {}}],
        "pods": [],
        "revision": 2,
        "revisions": [{"revision": 2, "images": ["nginx:9.9"]}, {"revision": 1, "images": ["nginx:1"]}],
        "last_good_revision": 1,
        "nodes": [NODE],
        "services": [],
        "missing_refs": [],
        "node_selector": {},
    }
    return {**base, **extra}


def step(report: str, status: dict[str, Any], *more: tuple[str, dict[str, Any], dict[str, Any]]) -> Turn:
    traj = Trajectory(report)
    observed(traj, "cluster_status", {"namespace": NS}, status)
    for name, args, result in more:
        observed(traj, name, args, result)
    return brain().next(traj, TOOLS)


def calls(turn: Turn) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, c.input) for c in turn.calls]


def test_someone_elses_image_goes_back_to_the_last_good_revision() -> None:
    status = failing("image-not-found", image="nginx:9.9")
    assert calls(step("pods show ImagePullBackOff", status)) == [("deployment_evidence", EVIDENCE_ARGS)]
    turn = step("pods show ImagePullBackOff", status, ("deployment_evidence", EVIDENCE_ARGS, evidence()))
    assert calls(turn) == [("rollout_undo", {"namespace": NS, "deployment": "web", "to_revision": 1})]
    undo = ("rollout_undo", {"namespace": NS, "deployment": "web", "to_revision": 1}, {"ok": True})
    turn = step("x", status, ("deployment_evidence", EVIDENCE_ARGS, evidence()), undo)
    assert [c.name for c in turn.calls] == ["wait_for_rollout"]


def _first_rollout(image: str, held: list[dict[str, Any]]) -> dict[str, Any]:
    return evidence(
        containers=[{"name": "app", "image": image, "ports": [8080], "resources": {}}],
        revision=1,
        revisions=[{"revision": 1, "images": [image]}],
        last_good_revision=None,
        image_alternatives={image: held} if held else {},
    )


def test_no_earlier_revision_uses_the_tag_the_node_holds_when_it_is_clearly_meant() -> None:
    status = failing("image-not-found", image="nginx:1.27.0-alpnie")
    held = [{"ref": "nginx:1.27.0-alpine", "closeness": 0.89}, {"ref": "nginx:1.25", "closeness": 0.5}]
    found = ("deployment_evidence", EVIDENCE_ARGS, _first_rollout("nginx:1.27.0-alpnie", held))
    turn = step("pods show ImagePullBackOff", status, found)
    want = {"namespace": NS, "deployment": "web", "image": "nginx:1.27.0-alpine", "container": "app"}
    assert calls(turn) == [("patch_deployment", want)]
    turn = step("x", status, found, ("patch_deployment", want, {"ok": True, "changed": ["image"]}))
    assert [c.name for c in turn.calls] == ["wait_for_rollout"]


def test_no_earlier_revision_and_two_likely_tags_names_them_and_writes_nothing() -> None:
    status = failing("image-not-found", image="nginx:2")
    held = [{"ref": "nginx:1", "closeness": 0.0}, {"ref": "nginx:3", "closeness": 0.0}]
    turn = step(
        "pods show ImagePullBackOff", status, ("deployment_evidence", EVIDENCE_ARGS, _first_rollout("nginx:2", held))
    )
    assert not turn.calls
    assert "nginx:1, nginx:3" in turn.text and "Nothing was changed" in turn.text


def test_no_earlier_revision_and_no_held_tag_says_so() -> None:
    status = failing("image-not-found", image="nginx:2")
    turn = step(
        "pods show ImagePullBackOff", status, ("deployment_evidence", EVIDENCE_ARGS, _first_rollout("nginx:2", []))
    )
    assert not turn.calls and "no earlier revision" in turn.text


def test_image_alternatives_reads_the_kubelets_image_list() -> None:
    from agent.pods.evidence import image_alternatives

    node = {
        "status": {
            "images": [
                {"names": ["docker.io/library/nginx:1.27.0-alpine", "docker.io/library/nginx@sha256:ab"]},
                {"names": ["nginx:1.25"]},
                {"names": ["registry.local:5000/team/api:v2"]},
                {"names": ["other:1.27.0-alpnie"]},
            ]
        }
    }
    got = image_alternatives(["nginx:1.27.0-alpnie", "registry.local:5000/team/api:v3", "busybox:1"], [node])
    assert [h["ref"] for h in got["nginx:1.27.0-alpnie"]] == ["nginx:1.27.0-alpine", "nginx:1.25"]
    assert got["nginx:1.27.0-alpnie"][0]["closeness"] > got["nginx:1.27.0-alpnie"][1]["closeness"] + 0.15
    assert [h["ref"] for h in got["registry.local:5000/team/api:v3"]] == ["registry.local:5000/team/api:v2"]
    assert "busybox:1" not in got


def _crash(code: int, log: str) -> dict[str, Any]:
    fact = {
        "name": "app",
        "last_exit_code": code,
        "restarts": 3,
        "last_message": "",
        "message": "",
        "reason": "CrashLoopBackOff",
    }
    return {"containers": [fact], "logs": [log], "probe_failures": []}


def test_exit_127_after_a_rollout_is_rolled_back() -> None:
    ev = evidence(pods=[_crash(127, "sh: python3: not found")], changed=["command sh -c python3"])
    turn = step("web crashes", failing("crash-loop"), ("deployment_evidence", EVIDENCE_ARGS, ev))
    assert calls(turn) == [("rollout_undo", {"namespace": NS, "deployment": "web", "to_revision": 1})]
    assert "command not found" in turn.text


def test_a_crash_with_no_earlier_revision_is_said_with_the_next_step() -> None:
    ev = evidence(pods=[_crash(1, "panic: boom")], last_good_revision=None)
    turn = step(
        "web crashes", failing("crash-loop", next_step="fix the command"), ("deployment_evidence", EVIDENCE_ARGS, ev)
    )
    assert turn.final and "panic: boom" in turn.text and "Next step: fix the command" in turn.text
    assert "Nothing was changed" in turn.text


def test_a_missing_secret_is_named_and_nothing_is_written() -> None:
    ref = {"kind": "Secret", "name": "db-credentials", "key": "", "container": "app", "env": "DB_PASSWORD"}
    turn = step(
        "web is stuck", failing("config-missing"), ("deployment_evidence", EVIDENCE_ARGS, evidence(missing_refs=[ref]))
    )
    assert turn.final and not turn.calls
    assert "Secret db-credentials does not exist" in turn.text and "env var DB_PASSWORD" in turn.text
    assert ("<your value>" in turn.text and "Nothing was changed" in turn.text) or "nothing was changed" in turn.text


def test_oomkilled_raises_the_limit_twice_bounded_by_the_node() -> None:
    fact = {"name": "app", "last_reason": "OOMKilled", "last_exit_code": 137, "restarts": 2}
    ev = evidence(
        containers=[{"name": "app", "ports": [], "resources": {"limits": {"memory": "64Mi"}}}],
        pods=[{"containers": [fact], "logs": []}],
    )
    turn = step("web is OOMKilled", failing("oom-killed"), ("deployment_evidence", EVIDENCE_ARGS, ev))
    assert calls(turn) == [
        (
            "patch_deployment",
            {"namespace": NS, "deployment": "web", "container": "app", "resources": {"limits": {"memory": "128Mi"}}},
        )
    ]
    assert new_limit(100, None, 150) == 150 and new_limit(100, 80, None) == 125 and new_limit(100, 200, None) == 300


def test_a_sigkill_under_a_memory_limit_read_as_oom_raises_the_limit_too() -> None:
    """kubernetes#19825: the runtime said Error (exit 137), the pod diagnosis oom-killed (agent/pods/classify.py)."""
    fact = {"name": "app", "last_reason": "Error", "last_exit_code": 137, "restarts": 4}
    ev = evidence(
        containers=[{"name": "app", "ports": [], "resources": {"limits": {"memory": "16Mi"}}}],
        pods=[{"containers": [fact], "logs": ["Killed"]}],
    )
    turn = step("web keeps getting OOMKilled", failing("oom-killed"), ("deployment_evidence", EVIDENCE_ARGS, ev))
    assert calls(turn) == [
        (
            "patch_deployment",
            {"namespace": NS, "deployment": "web", "container": "app", "resources": {"limits": {"memory": "32Mi"}}},
        )
    ]


def test_a_probe_on_the_wrong_path_is_pointed_at_what_answers() -> None:
    probe = {"httpGet": {"path": "/is_ready", "port": 8080}, "periodSeconds": 2}
    ev = evidence(
        containers=[{"name": "app", "ports": [8080], "readinessProbe": probe}],
        pods=[
            {
                "containers": [{"name": "app", "restarts": 0}],
                "probe_failures": [{"probe": "readiness", "status": 404, "error": "", "message": "404"}],
            }
        ],
    )
    status = failing("probe-failing")
    probe_args = {"namespace": NS, "deployment": "web", "ports": [8080]}
    turn = step("web is not ready", status, ("deployment_evidence", EVIDENCE_ARGS, ev))
    assert calls(turn) == [("probe_endpoints", probe_args)]
    answers = {
        "listening": [8080],
        "answering": [{"port": 8080, "path": "/health", "status": 200}, {"port": 8080, "path": "/", "status": 200}],
    }
    turn = step("x", status, ("deployment_evidence", EVIDENCE_ARGS, ev), ("probe_endpoints", probe_args, answers))
    ((name, args),) = calls(turn)
    assert name == "patch_deployment" and args["readiness_probe"]["httpGet"] == {"path": "/health", "port": 8080}
    assert args["readiness_probe"]["periodSeconds"] == 2  # only the target changes; the probe stays


def test_best_target_prefers_the_probes_own_port_then_its_own_path() -> None:
    answering = [(8080, "/"), (8080, "/healthz"), (9000, "/ready")]
    assert best_target(8080, "/ready", answering) == (8080, "/healthz")
    assert best_target(7000, "/ready", answering) == (9000, "/ready")
    assert best_target(8080, "/healthz", answering) == (8080, "/healthz")
    assert best_target(8080, "/x", []) is None


def test_a_liveness_probe_killing_a_slow_start_gets_a_startup_probe() -> None:
    live = {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 2, "failureThreshold": 1}
    ev = evidence(
        containers=[{"name": "app", "ports": [8080], "livenessProbe": live}],
        pods=[
            {
                "containers": [{"name": "app", "restarts": 3, "last_exit_code": 137}],
                "probe_failures": [
                    {"probe": "liveness", "status": 0, "error": "connection refused", "message": "refused"}
                ],
                "logs": ["warming up"],
            }
        ],
    )
    status = failing("crash-loop")
    probe_args = {"namespace": NS, "deployment": "web", "ports": [8080]}
    turn = step("web restarts", status, ("deployment_evidence", EVIDENCE_ARGS, ev))
    assert calls(turn) == [("probe_endpoints", probe_args)]  # a liveness kill is not read as a crash
    nothing = {"listening": [], "answering": []}
    turn = step("x", status, ("deployment_evidence", EVIDENCE_ARGS, ev), ("probe_endpoints", probe_args, nothing))
    ((name, args),) = calls(turn)
    assert name == "patch_deployment" and args["startup_probe"]["httpGet"] == live["httpGet"]
    assert args["startup_probe"]["failureThreshold"] * args["startup_probe"]["periodSeconds"] >= 60
    assert "liveness_probe" not in args  # never removed or weakened


def _pending(message: str) -> dict[str, Any]:
    from agent.pods.evidence import scheduling_failure

    return {"containers": [], "scheduling": scheduling_failure(message)}


def test_an_unmatched_node_selector_key_is_removed_and_named() -> None:
    ev = evidence(
        node_selector={"disktype": "ssd"},
        pods=[_pending("0/1 nodes are available: 1 node(s) didn't match node selector.")],
    )
    turn = step("web is Pending", failing("unschedulable"), ("deployment_evidence", EVIDENCE_ARGS, ev))
    assert calls(turn) == [
        ("patch_deployment", {"namespace": NS, "deployment": "web", "node_selector": {"disktype": None}})
    ]
    assert "disktype=ssd" in turn.text


def test_an_untolerated_taint_is_said_and_nothing_is_written() -> None:
    node = {**NODE, "taints": ["dedicated=gpu:NoSchedule"]}
    msg = "0/1 nodes are available: 1 node(s) had taint {dedicated: gpu}, that the pod didn't tolerate."
    ev = evidence(nodes=[node], pods=[_pending(msg)])
    turn = step("web is Pending", failing("unschedulable"), ("deployment_evidence", EVIDENCE_ARGS, ev))
    assert turn.final and "dedicated=gpu:NoSchedule" in turn.text and "Nothing was changed" in turn.text


def test_insufficient_memory_lowers_the_request_within_the_node() -> None:
    ev = evidence(
        containers=[{"name": "app", "ports": [], "resources": {"requests": {"memory": "64Gi"}}}],
        pods=[_pending("0/1 nodes are available: 1 Insufficient memory.")],
    )
    turn = step("web is Pending", failing("unschedulable"), ("deployment_evidence", EVIDENCE_ARGS, ev))
    ((name, args),) = calls(turn)
    assert name == "patch_deployment" and args["resources"] == {"requests": {"memory": "1024Mi"}}


def test_an_exceeded_quota_is_named_with_its_figures() -> None:
    status = {"deployments": [{"name": "web", "desired": 2, "ready": 1}], "pods": []}
    refusal = {"quota": "pod-cap", "requested": "pods=1", "used": "pods=1", "limited": "pods=1"}
    ev = evidence(quota_refusal=refusal, replicas=2, ready_replicas=1)
    turn = step("web has 1 of 2 pods", status, ("deployment_evidence", EVIDENCE_ARGS, ev))
    assert turn.final and "ResourceQuota pod-cap" in turn.text and "Nothing was changed" in turn.text


def test_a_service_that_misses_its_pods_is_read_when_the_report_names_it() -> None:
    status = {"deployments": [{"name": "web", "desired": 1, "ready": 1}], "pods": [{"name": "web-1", "ready": True}]}
    assert step("all good?", status).final  # every pod ready, no word of a service: nothing to recover
    turn = step("the web service has no endpoints", status)
    assert calls(turn) == [("deployment_evidence", {"namespace": NS})]
    svc = {"name": "web", "problem": "service web selects app=website, which no pod carries", "fix": None}
    turn = step(
        "the web service has no endpoints", status, ("deployment_evidence", {"namespace": NS}, {"services": [svc]})
    )
    assert turn.final and "app=website" in turn.text


@pytest.mark.parametrize(
    ("report", "want"),
    [
        ("scale frontend to 3", ("frontend", 3)),
        ("scale the deployment to 2 replicas", (None, 2)),
        ("please scale up web to 4 pods", ("web", 4)),
        ("scale deployment api to 0", ("api", 0)),
        ("pods show ImagePullBackOff", None),
    ],
)
def test_scale_requests_in_words(report: str, want: Any) -> None:
    assert scale_request(report) == want


def test_scale_resolves_the_deployment_and_asks_through_scale_deployment() -> None:
    assert resolve("frontend", ["todo-frontend", "todo-backend"]) == "todo-frontend"
    assert resolve(None, ["web"]) == "web" and resolve(None, ["a", "b"]) is None
    status = {"deployments": [{"name": "todo-frontend"}, {"name": "todo-backend"}], "pods": []}
    turn = step("scale frontend to 3", status)
    assert calls(turn) == [("scale_deployment", {"namespace": NS, "deployment": "todo-frontend", "replicas": 3})]


def test_patch_service_edits_only_what_it_is_given() -> None:
    from agent.errors import ShipshapeError
    from agent.tools.service import ServicePatchInput, edit_service_spec

    spec = {
        "selector": {"app": "website", "tier": "x"},
        "ports": [{"port": 80, "targetPort": 80}],
        "clusterIP": "10.0.0.9",
    }
    args = ServicePatchInput(
        service="web", selector={"app": "web", "tier": None}, ports=[{"port": 80, "targetPort": 8080}]
    )
    new, changed = edit_service_spec(spec, args)
    assert new == {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}], "clusterIP": "10.0.0.9"}
    assert changed == ["selector app=website -> web", "selector tier removed", "port 80 targetPort 80 -> 8080"]
    assert spec["selector"]["app"] == "website"  # the spec read is left as it was (the journal keeps it)
    with pytest.raises(ShipshapeError, match="no port 81"):
        edit_service_spec(spec, ServicePatchInput(service="web", ports=[{"port": 81, "targetPort": 8080}]))
    assert edit_service_spec(spec, ServicePatchInput(service="web", selector={"app": "website"}))[1] == []
