"""The pod diagnosis (agent/pods/) on hand-made pods with the event texts seen on this machine's
cluster, and on recorded cases that no one here wrote (Skaffold's and k8sgpt's tests, in
tests/fixtures/pod_cases)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.pods import CATEGORIES, diagnose, image_tag, log_signals, registry_host

pytestmark = pytest.mark.unit

CASES_DIR = Path(__file__).parent / "fixtures" / "pod_cases"
# The kubelet's event when a pull fails here (ENVIRONMENT.md): the default registry's DNS look-up fails.
DNS_FAIL = (
    'Failed to pull image "todo-backend:v2": rpc error: code = Unknown desc = Error response from daemon: Get '
    '"https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.2:53: no such host'
)


def pod(
    waiting: str | None = None, image: str = "todo-backend:v2", policy: str | None = None, **extra: Any
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "backend", "image": image}
    if policy:
        container["imagePullPolicy"] = policy
    state = {"waiting": {"reason": waiting, "message": extra.pop("message", "")}} if waiting else {}
    status: dict[str, Any] = {
        "phase": extra.pop("phase", "Pending"),
        "containerStatuses": [
            {
                "name": "backend",
                "image": image,
                "ready": extra.pop("ready", False),
                "restartCount": extra.pop("restarts", 0),
                "state": extra.pop("state", state),
                "lastState": extra.pop("last", {}),
            }
        ],
    }
    return {"metadata": {"name": "p", "namespace": "todo"}, "spec": {"containers": [container]}, "status": status}


def failed_pull(image: str = "todo-backend:v2", message: str = DNS_FAIL) -> list[dict[str, Any]]:
    return [
        {"type": "Normal", "reason": "Pulling", "message": f'Pulling image "{image}"'},
        {"type": "Warning", "reason": "Failed", "message": message},
        {"type": "Warning", "reason": "Failed", "message": "Error: ErrImagePull"},
    ]


def test_image_only_on_build_host_is_image_not_on_node() -> None:
    d = diagnose(pod("ImagePullBackOff"), failed_pull(), image_exists=lambda ref: ref == "todo-backend:v2")
    assert d is not None
    assert (d.reason, d.category) == ("ImagePullBackOff", "image-not-on-node")
    assert "no such host" in d.evidence
    assert "load" in d.next_step


def test_image_nowhere_is_image_not_found_but_explicit_registry_is_unreachable() -> None:
    d = diagnose(pod("ErrImagePull"), failed_pull(), image_exists=lambda ref: False)
    assert d is not None and d.category == "image-not-found"
    ref = "registry.example.com/team/api:1.2"
    d = diagnose(
        pod("ErrImagePull", image=ref),
        failed_pull(ref, DNS_FAIL.replace("registry-1.docker.io", "registry.example.com")),
        image_exists=lambda ref: False,
    )
    assert d is not None and d.category == "registry-unreachable"
    # When the build host cannot be asked, a DNS failure is all there is to go on.
    d = diagnose(pod("ErrImagePull"), failed_pull(), image_exists=lambda ref: None)
    assert d is not None and d.category == "registry-unreachable"


def test_registry_auth_and_not_found_are_told_apart() -> None:
    auth = 'Failed to pull image "ghcr.io/a/b:1": rpc error: unauthorized: authentication required'
    d = diagnose(pod("ErrImagePull", image="ghcr.io/a/b:1"), failed_pull("ghcr.io/a/b:1", auth))
    assert d is not None and d.category == "registry-auth"
    missing = 'Failed to pull image "ghcr.io/a/b:9": manifest unknown: manifest unknown'
    d = diagnose(pod("ErrImagePull", image="ghcr.io/a/b:9"), failed_pull("ghcr.io/a/b:9", missing))
    assert d is not None and d.category == "image-not-found"


def test_latest_tag_and_untagged_default_to_pull_always() -> None:
    for ref in ("app:latest", "app"):
        d = diagnose(pod("ErrImagePull", image=ref), failed_pull(ref), image_exists=lambda r: True)
        assert d is not None and d.category == "latest-tag-pull-always", ref
    # An explicit IfNotPresent on :latest is not the pull-always case.
    d = diagnose(
        pod("ErrImagePull", image="app:latest", policy="IfNotPresent"),
        failed_pull("app:latest"),
        image_exists=lambda r: True,
    )
    assert d is not None and d.category == "image-not-on-node"


def test_never_pull() -> None:
    msg = 'Container image "todo-backend:v3" is not present with pull policy of Never'
    d = diagnose(pod("ErrImageNeverPull", image="todo-backend:v3", policy="Never", message=msg))
    assert d is not None and (d.reason, d.category) == ("ErrImageNeverPull", "image-never-pull")
    assert "Never" in d.evidence


def test_crash_loop_oom_and_prisma_log_signal() -> None:
    last = {"terminated": {"exitCode": 1, "reason": "Error"}}
    logs = [
        "starting",
        "PrismaClientInitializationError: Prisma Client could not locate the Query Engine for "
        'runtime "linux-musl-openssl-3.0.x".',
    ]
    d = diagnose(pod("CrashLoopBackOff", phase="Running", restarts=3, last=last), logs=logs)
    assert d is not None and (d.reason, d.category) == ("CrashLoopBackOff", "crash-loop")
    assert d.log_signals == ["prisma-engine"]
    assert "binaryTargets" in d.next_step and "PrismaClientInitializationError" in d.evidence
    oom = {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}
    d = diagnose(pod("CrashLoopBackOff", phase="Running", restarts=2, last=oom))
    assert d is not None and (d.reason, d.category) == ("OOMKilled", "oom-killed")
    assert d.log_signals == []


def test_a_sigkill_at_a_memory_limit_that_the_runtime_did_not_call_oomkilled_is_oom() -> None:
    """kubernetes#19825, seen on this machine's cluster (the recovery suite's oom-killed scenario, once in a few dozen
    runs): `sh -c "dd ... bs=24M && exec httpd"` under a 16Mi limit, the OOM killer ends dd, sh prints `Killed` and
    exits 137, and the runtime reports reason Error. With a memory limit and no liveness probe (the kubelet's only
    other reason to send SIGKILL) that is the OOM killer; without a limit, or with a liveness probe, it is not."""
    killed = {"terminated": {"exitCode": 137, "reason": "Error"}}
    limited = pod("CrashLoopBackOff", phase="Running", restarts=4, last=killed)
    limited["spec"]["containers"][0]["resources"] = {"limits": {"memory": "16Mi"}}
    d = diagnose(limited, logs=["Killed"])
    assert d is not None and (d.reason, d.category) == ("OOMKilled", "oom-killed")
    assert "exit code 137" in d.evidence and "memory" in d.next_step
    # running again after the kill, not Ready yet: the kill comes first, not the readiness probe it fails meanwhile
    running = pod(phase="Running", restarts=4, last=killed, state={"running": {"startedAt": "x"}})
    running["spec"]["containers"][0]["resources"] = {"limits": {"memory": "16Mi"}}
    d = diagnose(running)
    assert d is not None and d.category == "oom-killed"
    unlimited = pod("CrashLoopBackOff", phase="Running", restarts=4, last=killed)
    d = diagnose(unlimited, logs=["Killed"])
    assert d is not None and d.category == "crash-loop"
    probed = pod("CrashLoopBackOff", phase="Running", restarts=4, last=killed)
    probed["spec"]["containers"][0]["resources"] = {"limits": {"memory": "16Mi"}}
    probed["spec"]["containers"][0]["livenessProbe"] = {"httpGet": {"path": "/health", "port": 8080}}
    d = diagnose(probed)
    assert d is not None and d.category != "oom-killed"


def test_config_missing_probe_failing_unschedulable() -> None:
    d = diagnose(pod("CreateContainerConfigError", message='configmap "app-config" not found'))
    assert d is not None and d.category == "config-missing" and "app-config" in d.evidence
    running = pod(phase="Running", state={"running": {"startedAt": "x"}})
    probe = [
        {
            "type": "Warning",
            "reason": "Unhealthy",
            "message": "Readiness probe failed: HTTP probe failed with statuscode: 404",
        }
    ]
    d = diagnose(running, probe)
    assert d is not None and (d.reason, d.category) == ("Unhealthy", "probe-failing")
    pending = {
        "metadata": {"name": "p"},
        "status": {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/1 nodes are available: 1 node(s) didn't match node selector.",
                }
            ],
        },
    }
    d = diagnose(pending)
    assert d is not None and (d.reason, d.category) == ("Unschedulable", "unschedulable")


def test_a_liveness_probe_restarting_a_running_ready_container_is_probe_failing() -> None:
    """Between two kills the container runs, and without a readiness probe the pod is Ready: the restarts and the
    kubelet's liveness events still say it is broken, as long as the last kill is recent."""
    just = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 20))
    long_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    events = [
        {"type": "Warning", "reason": "Unhealthy", "message": "Liveness probe failed: connection refused"},
        {"type": "Normal", "reason": "Killing", "message": "Container web failed liveness probe, will be restarted"},
    ]

    def running(finished: str) -> dict[str, Any]:
        p = pod(
            phase="Running",
            ready=True,
            restarts=3,
            state={"running": {"startedAt": finished}},
            last={"terminated": {"exitCode": 137, "reason": "Error", "finishedAt": finished}},
        )
        p["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
        return p

    d = diagnose(running(just), events)
    assert d is not None and (d.reason, d.category) == ("Unhealthy", "probe-failing") and "restarted 3" in d.evidence
    assert diagnose(running(long_ago), events) is None  # an old scar, healed since
    assert diagnose(running(just), []) is None  # restarts without a liveness kill: another story (exit codes)
    # The runtime did not say when the killed run finished (a null finishedAt): the current run's start says it.
    unknown_end = running(just)
    unknown_end["status"]["containerStatuses"][0]["lastState"]["terminated"]["finishedAt"] = None
    d = diagnose(unknown_end, events)
    assert d is not None and d.category == "probe-failing"
    unknown_end["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] = long_ago
    assert diagnose(unknown_end, events) is None
    # The kubelet's events lag behind (rate-limited): a killed run (137) of a container with a liveness probe
    # says it alone; without the probe, or after the OOM killer, it does not.
    lagging = running(just)
    lagging["spec"]["containers"][0]["livenessProbe"] = {"httpGet": {"path": "/health", "port": 8080}}
    d = diagnose(lagging, [])
    assert d is not None and d.category == "probe-failing" and "exit code 137" in d.evidence
    lagging["status"]["containerStatuses"][0]["lastState"]["terminated"]["reason"] = "OOMKilled"
    d = diagnose(lagging, [])
    assert d is None or d.category != "probe-failing"


def test_healthy_starting_and_terminating_pods_have_no_diagnosis() -> None:
    ready = pod(phase="Running", ready=True, state={"running": {}})
    ready["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    assert diagnose(ready) is None
    assert diagnose(pod("ContainerCreating")) is None
    gone = pod("CrashLoopBackOff")
    gone["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert diagnose(gone) is None


def test_reference_helpers() -> None:
    assert image_tag("a/b:1.2") == "1.2" and image_tag("localhost:5000/a") == "" and image_tag("a") == ""
    assert registry_host("127.0.0.1:5000/a:1") == "127.0.0.1:5000" and registry_host("library/nginx") == ""
    assert log_signals(["Error: exec format error"]) == ["platform-mismatch"]


def _recorded_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc.get("source"), f"{path.name} must say where its cases come from"
        cases += [(f"{path.stem}: {c['name']}", c) for c in doc["cases"]]
    return cases


def _verdict(case: dict[str, Any]) -> tuple[bool, str]:
    hosts = set(case.get("build_host_images") or [])
    d = diagnose(case["pod"], case.get("events") or [], case.get("logs") or [], lambda ref: ref in hosts)
    want = case["expect"]
    if want.get("healthy"):
        return d is None, f"expected healthy, got {d}"
    if d is None:
        return False, "expected a diagnosis, got healthy"
    assert d.category in CATEGORIES
    ok = d.category == want["category"]
    ok = ok and ("reason" not in want or d.reason == want["reason"])
    ok = ok and want.get("evidence_contains", "") in d.evidence
    return ok, f"expected {want}, got {d.reason}/{d.category}: {d.evidence}"


def test_recorded_cases_from_skaffold_and_k8sgpt() -> None:
    cases = _recorded_cases()
    assert len(cases) >= 20
    wrong = []
    for name, case in cases:
        ok, why = _verdict(case)
        if not ok:
            wrong.append(f"{name}: {why}")
    right = len(cases) - len(wrong)
    print(f"\nrecorded pod cases: {right}/{len(cases)} diagnosed as the source expects")
    for line in wrong:
        print("  wrong:", line)
    assert right / len(cases) >= 0.95, wrong


def test_a_pull_failure_seen_in_events_before_the_status_says_so() -> None:
    """The kubelet's Failed events can arrive while the container status still says ContainerCreating."""
    early = pod("ContainerCreating")
    d = diagnose(early, failed_pull(), image_exists=lambda ref: ref == "todo-backend:v2")
    assert d is not None
    assert (d.reason, d.category) == ("ErrImagePull", "image-not-on-node")
    assert diagnose(pod("ContainerCreating"), [], image_exists=lambda ref: True) is None
