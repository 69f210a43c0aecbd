"""The write tools against the real local Kubernetes (make cluster): rollout_undo after a bad rollout,
patch_deployment of a probe, a memory limit and a nodeSelector key, scale_deployment; each refused outside the
allowed namespaces and behind approval; and `shipshape undo` through the real CLI putting each deployment's spec
back as it was (bystander deployments untouched). The cluster is read with kubectl, not with shipshape.

Images are the busybox httpd test image, built straight into the node's daemon (tests/test_cluster_tools.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.brains.base import ToolCall
from agent.errors import ShipshapeError
from agent.run.call import run_call, run_direct
from agent.safety import DenyAll, Policy
from tests.test_cluster_tools import SHIPSHAPE, build_image, deployment, kubectl, make_context, wait_until, write_config

pytestmark = pytest.mark.cluster

RUN = f"sswl{uuid.uuid4().hex[:5]}"
APP = "sswl-app:v1"
SERVE = "exec httpd -f -p 8080 -h /www"


def get_dep(kubeconfig: Path, ns: str, name: str) -> dict[str, Any]:
    return json.loads(kubectl(kubeconfig, "-n", ns, "get", "deployment", name, "-o", "json"))


def ready(kubeconfig: Path, ns: str, name: str, want: int = 1) -> bool:
    """The deployment rolled out: every replica updated and available, as the controller reports it."""
    dep = get_dep(kubeconfig, ns, name)
    status = dep.get("status") or {}
    return (
        status.get("observedGeneration", 0) >= dep["metadata"]["generation"]
        and status.get("updatedReplicas", 0) == want
        and status.get("availableReplicas", 0) == want
        and status.get("replicas", 0) == want
    )


def generations(kubeconfig: Path, *namespaces: str) -> dict[str, int]:
    found = {}
    for ns in namespaces:
        for dep in json.loads(kubectl(kubeconfig, "-n", ns, "get", "deployments", "-o", "json"))["items"]:
            found[f"{ns}/{dep['metadata']['name']}"] = dep["metadata"]["generation"]
    return found


def apply(kubeconfig: Path, ns: str, manifest: dict[str, Any]) -> None:
    kubectl(kubeconfig, "-n", ns, "apply", "-f", "-", stdin=json.dumps(manifest))


@pytest.fixture(scope="module")
def cluster(kubeconfig: Path, node_docker: str) -> Iterator[dict[str, str]]:
    """Namespaces with their deployments, all created at once so that they start in parallel:
    `main` (the tools' namespace) and `bystander` (never touched: its generations must not move)."""
    build_image(node_docker, [APP])
    namespaces = {"main": f"{RUN}-main", "recreate": f"{RUN}-rec", "bystander": f"{RUN}-by"}
    for ns in namespaces.values():
        kubectl(kubeconfig, "create", "namespace", ns)
    main, by = namespaces["main"], namespaces["bystander"]
    apply(kubeconfig, main, deployment("web", APP, probe_path="/health", command=SERVE))
    apply(kubeconfig, main, deployment("probe", APP, probe_path="/nope", command=SERVE))
    apply(kubeconfig, main, deployment("pinned", APP, command=SERVE, node_selector={"shipshape.test/nope": "true"}))
    apply(kubeconfig, main, deployment("scaled", APP, command=SERVE))
    apply(kubeconfig, main, deployment("still", APP, command=SERVE))
    apply(kubeconfig, main, deployment("cli", APP, command=SERVE))
    apply(kubeconfig, main, deployment("raced", APP, command=SERVE))
    apply(kubeconfig, main, deployment("raced-write", APP, command=SERVE))
    backend = deployment("todo-backend", "sswl-nowhere:v9", command=SERVE)
    backend["spec"]["template"]["spec"]["containers"][0]["name"] = "backend"
    apply(kubeconfig, main, backend)
    apply(kubeconfig, by, deployment("web", APP, command=SERVE))
    crashy = deployment("crashy", APP, probe_path="/health", command=SERVE)
    crashy["spec"]["strategy"] = {"type": "Recreate"}
    apply(kubeconfig, namespaces["recreate"], crashy)
    yield namespaces
    for ns in namespaces.values():
        kubectl(kubeconfig, "delete", "namespace", ns, "--wait=false", check=False)


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `shipshape` with no terminal on stdin (as a script runs it): nothing can be asked."""
    return subprocess.run(
        [SHIPSHAPE, *args],
        cwd=root,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=120,
        env={**os.environ, "SHIPSHAPE_DB": str(root / "memory.db")},
        check=False,
    )


def observed(kubeconfig: Path, ns: str, name: str) -> bool:
    dep = get_dep(kubeconfig, ns, name)
    return bool((dep.get("status") or {}).get("observedGeneration", 0) >= dep["metadata"]["generation"])


def cli_undo(root: Path, *args: str) -> dict[str, Any]:
    proc = run_cli(root, "undo", *args, "--json")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def test_rollout_undo_after_a_bad_image_then_shipshape_undo(
    cluster: dict[str, str], kubeconfig: Path, store: Any, tmp_path: Path
) -> None:
    ns, by = cluster["main"], cluster["bystander"]
    wait_until(lambda: ready(kubeconfig, ns, "web") and ready(kubeconfig, by, "web"), 120, "web Ready")
    kubectl(kubeconfig, "-n", ns, "set", "image", "deployment/web", "app=sswl-nowhere:v1")  # a user's bad rollout
    wait_until(lambda: observed(kubeconfig, ns, "web"), 30, "the controller seeing the bad rollout")
    bystanders = generations(kubeconfig, by) | {
        f"{ns}/still": get_dep(kubeconfig, ns, "still")["metadata"]["generation"]
    }
    ctx = make_context(kubeconfig, [ns], store, tmp_path)
    broken_spec = get_dep(kubeconfig, ns, "web")["spec"]

    result = get_tool(ctx, "rollout_undo", deployment="web", namespace=ns)
    assert result["ok"] and result["images_before"] == ["sswl-nowhere:v1"] and result["images_after"] == [APP]
    assert (result["from_revision"], result["to_revision"]) == (2, 1), result
    assert "Ready pod" in result["evidence"]  # the old pod kept serving during the bad rolling update
    rollout = get_tool(ctx, "wait_for_rollout", deployment="web", namespace=ns, timeout_seconds=120)
    assert rollout["ready"] is True, rollout
    wait_until(lambda: ready(kubeconfig, ns, "web"), 60, "web rolled back")
    assert get_dep(kubeconfig, ns, "web")["spec"]["template"]["spec"]["containers"][0]["image"] == APP

    write_config(tmp_path, kubeconfig, ns)
    listed = json.loads(run_cli(tmp_path, "undo", "--list", "--json").stdout)
    assert [(c["tool"], c["state"]) for c in listed["changes"]] == [("rollout_undo", "applied")]
    refused = run_cli(tmp_path, "undo")  # no terminal to ask, no --yes: nothing happens
    assert refused.returncode == 1 and "--yes" in refused.stderr
    doc = cli_undo(tmp_path, "--yes")
    assert doc["kind"] == "cluster" and doc["tool"] == "rollout_undo" and doc["deployment"] == "web"
    assert get_dep(kubeconfig, ns, "web")["spec"] == broken_spec  # back to the state shipshape found
    after = generations(kubeconfig, by) | {f"{ns}/still": get_dep(kubeconfig, ns, "still")["metadata"]["generation"]}
    assert after == bystanders
    nothing = run_cli(tmp_path, "undo", "--yes")
    assert nothing.returncode == 1 and "nothing to undo" in nothing.stderr


def test_rollout_undo_after_a_crash_with_recreate_goes_by_what_shipshape_saw_ready(
    cluster: dict[str, str], kubeconfig: Path, store: Any, tmp_path: Path
) -> None:
    ns = cluster["recreate"]
    wait_until(lambda: ready(kubeconfig, ns, "crashy"), 120, "crashy Ready")
    ctx = make_context(kubeconfig, [ns], store, tmp_path)
    assert get_tool(ctx, "cluster_status", namespace=ns)["healthy"]  # shipshape looks once while it is Ready
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "command": ["/no/such/server"]}]}}}}
    kubectl(kubeconfig, "-n", ns, "patch", "deployment", "crashy", "-p", json.dumps(patch))
    # Recreate: the old pods are gone before the new ones start, so no old ReplicaSet has Ready pods to go by.
    wait_until(
        lambda: (
            observed(kubeconfig, ns, "crashy")
            and not (get_dep(kubeconfig, ns, "crashy").get("status") or {}).get("availableReplicas")
        ),
        90,
        "the old pod gone",
    )
    result = get_tool(ctx, "rollout_undo", deployment="crashy", namespace=ns)
    # Its pods are gone (Kubernetes keeps no readiness history), but shipshape saw them Ready.
    assert result["to_revision"] == 1 and "shipshape saw the pods of revision 1 Ready" in result["evidence"], result
    assert get_tool(ctx, "wait_for_rollout", deployment="crashy", namespace=ns, timeout_seconds=120)["ready"]
    command = get_dep(kubeconfig, ns, "crashy")["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command == ["sh", "-c", SERVE]


def test_patch_probe_memory_and_node_selector_each_undone_by_the_cli(
    cluster: dict[str, str], kubeconfig: Path, store: Any, tmp_path: Path
) -> None:
    ns, by = cluster["main"], cluster["bystander"]
    ctx = make_context(kubeconfig, [ns], store, tmp_path)
    write_config(tmp_path, kubeconfig, ns)
    bystanders = generations(kubeconfig, by)
    before = {name: get_dep(kubeconfig, ns, name)["spec"] for name in ("probe", "pinned")}

    fixed = get_tool(
        ctx, "patch_deployment", deployment="probe", namespace=ns, readiness_probe={"httpGet": {"path": "/health"}}
    )
    assert fixed["changed"] == ["spec.template.spec.containers[app].readinessProbe"] and fixed["change_id"]
    probe = get_dep(kubeconfig, ns, "probe")["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe["httpGet"]["path"] == "/health" and probe["httpGet"]["port"] == 8080 and probe["periodSeconds"] == 1
    wait_until(lambda: ready(kubeconfig, ns, "probe"), 120, "probe Ready after the fix")

    raised = get_tool(
        ctx, "patch_deployment", deployment="probe", namespace=ns, resources={"limits": {"memory": "64Mi"}}
    )
    assert raised["changed"] == ["spec.template.spec.containers[app].resources"]
    limits = get_dep(kubeconfig, ns, "probe")["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"memory": "64Mi"}
    with pytest.raises(ShipshapeError) as err:
        get_tool(ctx, "patch_deployment", deployment="probe", namespace=ns, resources={"limits": {"memory": "4Ti"}})
    assert err.value.code == "over-allocatable" and "allocatable" in err.value.one_line()

    unpinned = get_tool(
        ctx, "patch_deployment", deployment="pinned", namespace=ns, node_selector={"shipshape.test/nope": None}
    )
    assert unpinned["changed"] == ["spec.template.spec.nodeSelector.shipshape.test/nope"]
    assert "nodeSelector" not in get_dep(kubeconfig, ns, "pinned")["spec"]["template"]["spec"]
    wait_until(lambda: ready(kubeconfig, ns, "pinned"), 120, "pinned scheduled and Ready")

    # Newest first: the nodeSelector, then the memory limit, then the probe.
    assert cli_undo(tmp_path, "--yes")["tool"] == "patch_deployment"
    assert get_dep(kubeconfig, ns, "pinned")["spec"] == before["pinned"]
    cli_undo(tmp_path, "--change", str(raised["change_id"]), "--yes")
    cli_undo(tmp_path, "--change", str(fixed["change_id"]), "--yes")
    assert get_dep(kubeconfig, ns, "probe")["spec"] == before["probe"]
    assert generations(kubeconfig, by) == bystanders


def test_scale_and_undo_refused_when_changed_since(
    cluster: dict[str, str], kubeconfig: Path, store: Any, tmp_path: Path
) -> None:
    ns = cluster["main"]
    ctx = make_context(kubeconfig, [ns], store, tmp_path)
    write_config(tmp_path, kubeconfig, ns)
    before = get_dep(kubeconfig, ns, "scaled")["spec"]
    scaled = get_tool(ctx, "scale_deployment", deployment="scaled", namespace=ns, replicas=2)
    assert (scaled["replicas_before"], scaled["replicas"]) == (1, 2) and scaled["change_id"]
    wait_until(lambda: ready(kubeconfig, ns, "scaled", want=2), 120, "2 replicas Ready")
    assert get_tool(ctx, "scale_deployment", deployment="scaled", namespace=ns, replicas=2)["change_id"] is None

    kubectl(kubeconfig, "-n", ns, "scale", "deployment/scaled", "--replicas=3")  # someone else's change
    refused = run_cli(tmp_path, "undo", "--yes")
    assert refused.returncode == 1 and "has changed since" in refused.stderr and "--force" in refused.stderr
    assert get_dep(kubeconfig, ns, "scaled")["spec"]["replicas"] == 3
    doc = cli_undo(tmp_path, "--yes", "--force")
    assert doc["tool"] == "scale_deployment" and doc["restored"] == ["spec.replicas"]
    assert get_dep(kubeconfig, ns, "scaled")["spec"] == before


def test_writes_are_refused_outside_allowed_namespaces_unknown_fields_and_without_approval(
    cluster: dict[str, str], kubeconfig: Path, store: Any, tmp_path: Path
) -> None:
    ns = cluster["main"]
    wait_until(lambda: ready(kubeconfig, ns, "still"), 120, "still Ready")
    generation = get_dep(kubeconfig, ns, "still")["metadata"]["generation"]
    elsewhere = make_context(kubeconfig, ["somewhere-else"], store, tmp_path)
    calls: dict[str, dict[str, Any]] = {
        "rollout_undo": {},
        "patch_deployment": {"image": "sswl-other:v1"},
        "scale_deployment": {"replicas": 2},
    }
    for name, extra in calls.items():
        with pytest.raises(ShipshapeError) as err:
            get_tool(elsewhere, name, deployment="still", namespace=ns, **extra)
        assert err.value.code == "forbidden-namespace", name
        obs = run_direct(
            elsewhere,
            Policy(["somewhere-else"], assume_yes=True),
            name,
            {"deployment": "still", "namespace": ns, **extra},
        )
        assert obs.denied and "not allowed for changes" in obs.error

    ctx = make_context(kubeconfig, [ns], store, tmp_path)
    obs = run_direct(
        ctx,
        Policy([ns], assume_yes=True),
        "patch_deployment",
        {"deployment": "still", "namespace": ns, "hostNetwork": True},
    )
    assert not obs.ok and obs.code == "bad-input" and "Extra inputs are not permitted" in obs.error
    for name, extra in calls.items():
        call = ToolCall(id=name, name=name, input={"deployment": "still", "namespace": ns, **extra}, why="test")
        obs = run_call(ctx, Policy([ns]), call, approver=DenyAll())
        assert obs.denied and obs.code == "not-approved", name
    # A dry run says what would change and writes nothing.
    ctx.dry_run = True
    planned = get_tool(ctx, "patch_deployment", deployment="still", namespace=ns, image="sswl-other:v1")
    assert (
        planned["dry_run"]
        and planned["changed"] == ["spec.template.spec.containers[app].image"]
        and planned["change_id"] is None
    )
    assert get_tool(ctx, "scale_deployment", deployment="still", namespace=ns, replicas=3)["dry_run"]
    assert get_dep(kubeconfig, ns, "still")["metadata"]["generation"] == generation
    assert store.cluster_changes([ns, "somewhere-else"]) == []


def test_patch_scale_rollback_commands(cluster: dict[str, str], kubeconfig: Path, tmp_path: Path) -> None:
    ns = cluster["main"]
    write_config(tmp_path, kubeconfig, ns)
    before = get_dep(kubeconfig, ns, "cli")["spec"]
    probe = json.dumps({"readiness_probe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 2}})
    proc = run_cli(tmp_path, "patch", "cli", "--set", probe, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["changed"] == ["spec.template.spec.containers[app].readinessProbe"]
    proc = run_cli(tmp_path, "scale", "cli", "2")
    assert proc.returncode == 0 and "cli: 1 -> 2 replica(s)" in proc.stdout, proc.stderr
    spec = get_dep(kubeconfig, ns, "cli")["spec"]
    assert spec["replicas"] == 2 and spec["template"]["spec"]["containers"][0]["readinessProbe"]["periodSeconds"] == 2
    # Only the probe differs from revision 1: no earlier revision runs anything else.
    proc = run_cli(tmp_path, "rollback", "cli", "--no-wait")
    assert proc.returncode == 1 and "no earlier revision that runs something different" in proc.stderr
    proc = run_cli(tmp_path, "patch", "cli", "--set", '{"hostNetwork": true}')
    assert proc.returncode == 1 and "Extra inputs are not permitted" in proc.stderr
    proc = run_cli(tmp_path, "patch", "cli", "--set", "{nope")
    assert proc.returncode == 1 and "--set is not JSON" in proc.stderr
    listed = json.loads(run_cli(tmp_path, "undo", "--list", "--json").stdout)["changes"]
    assert [c["tool"] for c in listed] == ["scale_deployment", "patch_deployment"]
    cli_undo(tmp_path, "--yes")
    cli_undo(tmp_path, "--yes")
    assert get_dep(kubeconfig, ns, "cli")["spec"] == before


def test_an_undo_raced_by_a_write_that_leaves_the_spec_alone_reads_again_and_puts_the_spec_back(
    cluster: dict[str, str], kubeconfig: Path, store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI once failed an undo with 409 Conflict: a rolling deployment's controllers write its status, which moves its
    resourceVersion between the undo's read and its PUT. Here someone else writes an annotation right after the
    undo's first read (the API server then refuses the PUT for real); the undo reads again, sees the spec is still
    what the change wrote, and puts the old spec back. A write that changes the spec still stops it."""
    from agent.engines.kube_write import DeploymentWriter

    ns = cluster["main"]
    ctx = make_context(kubeconfig, [ns], store, tmp_path)
    before = get_dep(kubeconfig, ns, "raced")["spec"]
    scaled = get_tool(ctx, "scale_deployment", deployment="raced", namespace=ns, replicas=2)
    reads: list[str] = []
    original, here = DeploymentWriter._read, threading.get_ident()

    def read_then_someone_runs(*someone: str) -> Callable[[DeploymentWriter, str, str], dict[str, Any]]:
        """DeploymentWriter._read that records each read of this test's thread, and runs `kubectl -n NS <someone>`
        right after the first."""

        def read(self: DeploymentWriter, namespace: str, name: str) -> dict[str, Any]:
            current = original(self, namespace, name)
            if threading.get_ident() != here:  # the recovery suite's thread (tests/suite_early.py)
                return current
            reads.append(current["metadata"]["resourceVersion"])
            if len(reads) == 1:
                kubectl(kubeconfig, "-n", ns, *someone)
            return current

        return read

    annotate = ("annotate", "deployment/raced", f"shipshape.test/race={uuid.uuid4().hex}")
    monkeypatch.setattr(DeploymentWriter, "_read", read_then_someone_runs(*annotate))
    writer = ctx.deployments
    done = writer.undo(int(scaled["change_id"]))
    # the first PUT was refused (409) and the undo read again; the new pod's status writes may cost one more round
    assert len(reads) >= 2 and reads[0] != reads[1]
    assert done["tool"] == "scale_deployment" and get_dep(kubeconfig, ns, "raced")["spec"] == before
    assert store.cluster_change(int(scaled["change_id"]))["state"] == "undone"

    again = get_tool(ctx, "scale_deployment", deployment="raced", namespace=ns, replicas=2)
    reads.clear()
    monkeypatch.setattr(DeploymentWriter, "_read", read_then_someone_runs("scale", "deployment/raced", "--replicas=3"))
    with pytest.raises(ShipshapeError) as err:
        writer.undo(int(again["change_id"]))
    assert err.value.code == "changed-since" and get_dep(kubeconfig, ns, "raced")["spec"]["replicas"] == 3
    assert store.cluster_change(int(again["change_id"]))["state"] == "applied"


def test_a_write_raced_by_a_write_that_leaves_the_spec_alone_reads_again_and_puts_its_spec(
    cluster: dict[str, str], kubeconfig: Path, store: Any, tmp_path: Path
) -> None:
    """CI once failed a scale right after an undo with 409 Conflict: the pods the undo removed were still going, and
    the controllers' status writes moved the deployment's resourceVersion between the tool's read and its PUT. Here
    someone annotates the deployment after it was read (the API server then refuses the PUT for real); the write
    reads again, sees the spec it was made from, and puts its spec. A spec someone else changed stays a conflict."""
    ns = cluster["main"]
    ctx = make_context(kubeconfig, [ns], store, tmp_path)
    writer = ctx.deployments
    read = writer._read(ns, "raced-write")
    kubectl(kubeconfig, "-n", ns, "annotate", "deployment/raced-write", f"shipshape.test/race={uuid.uuid4().hex}")
    spec = {**read["spec"], "replicas": 2}
    done = writer.replace_spec(ns, "raced-write", read, spec, "scale_deployment", "replicas 1 -> 2")
    after = get_dep(kubeconfig, ns, "raced-write")
    assert after["spec"]["replicas"] == 2 and "shipshape.test/race" in after["metadata"]["annotations"]
    assert store.cluster_change(int(done["change_id"]))["state"] == "applied"

    read = writer._read(ns, "raced-write")
    kubectl(kubeconfig, "-n", ns, "scale", "deployment/raced-write", "--replicas=3")
    with pytest.raises(ShipshapeError) as err:
        writer.replace_spec(ns, "raced-write", read, {**read["spec"], "replicas": 1}, "scale_deployment", "2 -> 1")
    assert err.value.code == "conflict" and get_dep(kubeconfig, ns, "raced-write")["spec"]["replicas"] == 3


def test_set_deployment_image_is_journalled_and_undone(
    cluster: dict[str, str], kubeconfig: Path, store: Any, tmp_path: Path
) -> None:
    ns = cluster["main"]
    ctx = make_context(kubeconfig, [ns], store, tmp_path)
    write_config(tmp_path, kubeconfig, ns)
    before = get_dep(kubeconfig, ns, "todo-backend")["spec"]
    result = get_tool(ctx, "set_deployment_image", image="backend", ref=APP, namespace=ns)
    assert (result["previous_image"], result["image"]) == ("sswl-nowhere:v9", APP) and result["change_id"]
    wait_until(lambda: ready(kubeconfig, ns, "todo-backend"), 120, "todo-backend Ready")
    assert cli_undo(tmp_path, "--yes")["tool"] == "set_deployment_image"
    assert get_dep(kubeconfig, ns, "todo-backend")["spec"] == before


def get_tool(ctx: Any, name: str, **args: Any) -> dict[str, Any]:
    from agent.tools import get

    return get(name).call(ctx, args)
