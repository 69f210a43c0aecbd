"""The evidence readers (agent/pods/evidence.py, history.py, services.py) on the messages and objects the API
server and kubelet really produce (1.20 and later wordings), and the OOM-then-probe misreading fixed in classify."""

from __future__ import annotations

from typing import Any

import pytest

from agent.pods import diagnose
from agent.pods.evidence import (
    container_facts,
    cpu_millis,
    mebibytes,
    memory_bytes,
    missing_config,
    node_facts,
    probe_failures,
    quota_failure,
    scheduling_failure,
)
from agent.pods.history import changed_since, last_good_revision, revisions
from agent.pods.services import service_check, unresolved_refs

pytestmark = pytest.mark.unit


def test_missing_config_names_the_object_and_key() -> None:
    assert missing_config('secret "db-credentials" not found') == {
        "kind": "Secret",
        "name": "db-credentials",
        "key": "",
    }
    assert missing_config('configmap "app-env" not found') == {"kind": "ConfigMap", "name": "app-env", "key": ""}
    assert missing_config("couldn't find key LOG_LEVEL in ConfigMap ns1/web-config") == {
        "kind": "ConfigMap",
        "name": "web-config",
        "key": "LOG_LEVEL",
    }
    assert missing_config("couldn't find key password in Secret shop/db") == {
        "kind": "Secret",
        "name": "db",
        "key": "password",
    }
    assert missing_config("container has runAsNonRoot and image will run as root") is None


def test_probe_failures_read_the_probe_status_port_and_path() -> None:
    events = [
        {
            "reason": "Unhealthy",
            "message": "Readiness probe failed: HTTP probe failed with statuscode: 404",
            "count": 7,
        },
        {
            "reason": "Unhealthy",
            "message": 'Liveness probe failed: Get "http://172.30.0.5:9090/healthz": dial tcp 172.30.0.5:9090: '
            "connect: connection refused",
        },
        {"reason": "Killing", "message": "Container app failed liveness probe, will be restarted"},
    ]
    ready, live = probe_failures(events)
    assert (ready["probe"], ready["status"], ready["count"]) == ("readiness", 404, 7)
    assert (live["probe"], live["error"], live["port"], live["path"]) == (
        "liveness",
        "connection refused",
        9090,
        "/healthz",
    )


@pytest.mark.parametrize(
    ("message", "field", "want"),
    [
        ("0/1 nodes are available: 1 node(s) didn't match node selector.", "node_selector", True),
        ("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity.", "node_selector", True),
        ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.", "node_selector", True),
        (
            "0/1 nodes are available: 1 node(s) had taint {dedicated: gpu}, that the pod didn't tolerate.",
            "taints",
            ["dedicated: gpu"],
        ),
        ("0/2 nodes are available: 2 node(s) had untolerated taint {team: ml}.", "taints", ["team: ml"]),
        ("0/1 nodes are available: 1 Insufficient memory.", "insufficient", ["memory"]),
        ("0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.", "insufficient", ["cpu", "memory"]),
    ],
)
def test_scheduling_failures_say_which_constraint(message: str, field: str, want: Any) -> None:
    assert scheduling_failure(message)[field] == want


def test_quota_refusal_names_the_quota_and_its_figures() -> None:
    events = [
        {
            "reason": "FailedCreate",
            "message": 'Error creating: pods "web-5d9c-x" is forbidden: exceeded quota: pod-cap, requested: pods=1, '
            "used: pods=1, limited: pods=1",
            "lastTimestamp": "2026-12-02T17:00:00Z",
        }
    ]
    found = quota_failure(events)
    assert found is not None and (found["quota"], found["requested"], found["limited"]) == (
        "pod-cap",
        "pods=1",
        "pods=1",
    )
    assert quota_failure([{"reason": "FailedCreate", "message": "Error creating: something else"}]) is None


def test_container_facts_and_node_facts() -> None:
    pod = {
        "status": {
            "containerStatuses": [
                {
                    "name": "app",
                    "restartCount": 3,
                    "ready": False,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                    "lastState": {"terminated": {"exitCode": 127, "reason": "Error"}},
                }
            ]
        }
    }
    (fact,) = container_facts(pod)
    assert (fact["state"], fact["reason"], fact["last_exit_code"], fact["restarts"]) == (
        "waiting",
        "CrashLoopBackOff",
        127,
        3,
    )
    node = {
        "metadata": {"name": "localhost", "labels": {"kubernetes.io/os": "linux"}},
        "spec": {"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]},
        "status": {"allocatable": {"cpu": "2", "memory": "8038956Ki"}},
    }
    facts = node_facts(node)
    assert facts["taints"] == ["dedicated=gpu:NoSchedule"] and facts["allocatable"]["cpu"] == "2"


def test_quantities() -> None:
    assert (
        memory_bytes("16Mi") == 16 * 1024**2
        and memory_bytes("1G") == 10**9
        and memory_bytes("8038956Ki") == 8038956 * 1024
    )
    assert memory_bytes("") is None and memory_bytes("lots") is None
    assert cpu_millis("250m") == 250 and cpu_millis("2") == 2000 and cpu_millis("0.5") == 500
    assert mebibytes(32 * 1024**2) == "32Mi" and mebibytes(32 * 1024**2 + 1) == "33Mi"


def _rs(revision: int, image: str, ready: int, uid: str = "d1") -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"web-{revision}",
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [{"uid": uid}],
        },
        "spec": {"template": {"spec": {"containers": [{"image": image}]}}},
        "status": {"replicas": ready, "readyReplicas": ready},
    }


def test_the_last_good_revision_is_the_one_still_serving_else_the_one_before() -> None:
    history = revisions([_rs(1, "a:1", 0), _rs(2, "a:2", 1), _rs(3, "a:3", 0), _rs(9, "x", 1, uid="other")], "d1")
    assert [r["revision"] for r in history] == [3, 2, 1]
    assert last_good_revision(history, 3) == 2  # revision 2's pod still serves while 3 fails
    assert last_good_revision(revisions([_rs(1, "a:1", 0), _rs(2, "a:2", 0)], "d1"), 2) == 1
    assert last_good_revision(revisions([_rs(1, "a:1", 0)], "d1"), 1) is None
    assert changed_since(history, 3, 2) == ["image a:2 -> a:3"]


def _dep(name: str, labels: dict[str, str], port: int = 8080, env: list[dict[str, Any]] | None = None) -> dict:
    container: dict[str, Any] = {"name": "app", "ports": [{"containerPort": port}], "env": env or []}
    return {
        "metadata": {"name": name},
        "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}},
    }


def test_a_service_selector_no_pod_carries_is_named_with_the_right_label() -> None:
    svc = {
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "website"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    found = service_check(svc, [_dep("web", {"app": "web"})], {"subsets": []})
    assert found["endpoints"] == 0 and "app=website" in found["problem"] and "app=web" in found["problem"]
    assert found["fix"] == {"selector": {"app": "web"}, "deployment": "web"}


def test_a_target_port_the_pods_do_not_declare_is_named() -> None:
    svc = {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}}
    found = service_check(svc, [_dep("web", {"app": "web"})], {"subsets": [{"addresses": [{"ip": "1.2.3.4"}]}]})
    assert "targetPort 80" in found["problem"] and "8080" in found["problem"]
    ok = {
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    assert service_check(ok, [_dep("web", {"app": "web"})], None)["problem"] == ""


def test_unresolved_env_references() -> None:
    env = [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "MODE"}}},
        {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "LEVEL"}}},
        {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "x", "optional": True}}},
    ]
    keys = {"ConfigMap": {"cfg": ["MODE"]}, "Secret": {}}
    missing = unresolved_refs(_dep("web", {"app": "web"}, env=env), keys)
    assert [(m["kind"], m["name"], m["key"]) for m in missing] == [("Secret", "db", ""), ("ConfigMap", "cfg", "LEVEL")]


def test_after_an_oom_restart_a_running_unready_container_reads_as_oomkilled_not_probe_failing() -> None:
    pod = {
        "metadata": {"name": "web-1"},
        "spec": {"containers": [{"name": "app", "image": "app:1"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": False,
                    "restartCount": 2,
                    "state": {"running": {"startedAt": "2026-12-02T17:00:00Z"}},
                    "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
                }
            ],
        },
    }
    events = [
        {
            "reason": "Unhealthy",
            "type": "Warning",
            "message": 'Readiness probe failed: Get "http://10.0.0.5:8080/health": connect: connection refused',
        }
    ]
    found = diagnose(pod, events)
    assert found is not None and (found.reason, found.category) == ("OOMKilled", "oom-killed")
