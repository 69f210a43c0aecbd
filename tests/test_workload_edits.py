"""The pure parts of the write tools: quantities, the bounded spec edits of patch_deployment, the choice of the
revision rollout_undo goes back to, the input models' refusals, and the cluster-change journal. No daemon."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from agent.errors import ShipshapeError
from agent.memory.store import Store
from agent.pods.quantity import cpu_cores, format_memory, memory_bytes, parse_quantity
from agent.pods.revisions import HASH_LABEL, REVISION, choose_revision, template_without_hash
from agent.pods.specedit import changed_paths, edit_spec
from agent.tools import get

pytestmark = pytest.mark.unit

GI = 2**30


def spec(**container: Any) -> dict[str, Any]:
    c = {"name": "app", "image": "web:v1", **container}
    return {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [c, {"name": "side", "image": "side:v1"}], "nodeSelector": {"disk": "ssd"}},
        },
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("128Mi", Decimal(128 * 2**20)),
        ("1Gi", Decimal(GI)),
        ("500M", Decimal(500_000_000)),
        ("250m", Decimal("0.25")),
        ("0.5", Decimal("0.5")),
        ("1e3", Decimal(1000)),
        ("2", Decimal(2)),
        (".5Gi", Decimal(GI // 2)),
    ],
)
def test_quantities_read_as_kubernetes_does(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("bad", ["12 Mi", "Mi", "1.2.3", "1MB", "-", "", "0x10"])
def test_bad_quantities_are_refused_with_a_hint(bad: str) -> None:
    with pytest.raises(ShipshapeError) as err:
        parse_quantity(bad)
    assert err.value.code == "bad-input" and "128Mi" in err.value.one_line()


def test_memory_and_cpu_helpers() -> None:
    assert memory_bytes("1.5Ki") == 1536 and memory_bytes("100m") == 1  # rounded up to a whole byte
    assert cpu_cores("1500m") == Decimal("1.5")
    assert format_memory(256 * 2**20) == "256Mi" and format_memory(3 * GI) == "3Gi" and format_memory(1000) == "1Mi"
    assert format_memory(24683584 * 1024) == "24106Mi" and format_memory(24683584 * 1024, round_up=False) == "24105Mi"
    with pytest.raises(ShipshapeError):
        memory_bytes("-1Mi")


def test_probe_is_changed_never_removed_and_same_kind_handlers_merge() -> None:
    old = spec(readinessProbe={"httpGet": {"path": "/nope", "port": 8080}, "periodSeconds": 1, "failureThreshold": 3})
    new, changed = edit_spec(old, {"readiness_probe": {"httpGet": {"path": "/health"}}})
    probe = new["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe == {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 1, "failureThreshold": 3}
    assert changed == ["spec.template.spec.containers[app].readinessProbe"]
    # a different handler replaces the old one; timings merge
    new, _ = edit_spec(old, {"readiness_probe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5}})
    probe = new["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe == {"tcpSocket": {"port": 8080}, "periodSeconds": 5, "failureThreshold": 3}
    # timings alone keep the handler
    new, _ = edit_spec(old, {"readiness_probe": {"initialDelaySeconds": 10}})
    assert new["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/nope"
    # a probe the container does not have needs a handler; two handlers at once are refused
    with pytest.raises(ShipshapeError, match="needs httpGet"):
        edit_spec(old, {"liveness_probe": {"periodSeconds": 3}})
    with pytest.raises(ShipshapeError, match="not several"):
        edit_spec(old, {"readiness_probe": {"httpGet": {"port": 1}, "tcpSocket": {"port": 1}}})
    with pytest.raises(ShipshapeError, match="needs a port"):
        edit_spec(old, {"liveness_probe": {"httpGet": {"path": "/x"}}})
    assert old["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/nope"  # not mutated


def test_resources_merge_and_are_bounded_by_the_node() -> None:
    old = spec(resources={"limits": {"memory": "20Mi", "cpu": "1"}, "requests": {"memory": "10Mi"}})
    new, changed = edit_spec(old, {"resources": {"limits": {"memory": "256Mi"}}}, max_node_memory=4 * GI)
    assert new["template"]["spec"]["containers"][0]["resources"] == {
        "limits": {"memory": "256Mi", "cpu": "1"},
        "requests": {"memory": "10Mi"},
    }
    assert changed == ["spec.template.spec.containers[app].resources"]
    with pytest.raises(ShipshapeError) as err:
        edit_spec(old, {"resources": {"limits": {"memory": "8Gi"}}}, max_node_memory=4 * GI)
    assert err.value.code == "over-allocatable" and "4Gi" in err.value.one_line()
    with pytest.raises(ShipshapeError, match="above the memory limit"):
        edit_spec(old, {"resources": {"requests": {"memory": "64Mi"}}})
    with pytest.raises(ShipshapeError, match="not a Kubernetes quantity"):
        edit_spec(old, {"resources": {"limits": {"memory": "lots"}}})


def test_node_selector_key_removed_env_by_name_image_and_replicas() -> None:
    old = spec(env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    edits = {
        "node_selector": {"disk": None, "zone": "a"},
        "env": [{"name": "B", "value": "3"}, {"name": "C", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
        "image": "web:v2",
        "replicas": 3,
    }
    new, changed = edit_spec(old, edits)
    pod = new["template"]["spec"]
    assert pod["nodeSelector"] == {"zone": "a"}
    assert pod["containers"][0]["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "3"},
        {"name": "C", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]
    assert pod["containers"][1] == {"name": "side", "image": "side:v1"}  # the other container untouched
    assert set(changed) == {
        "spec.replicas",
        "spec.template.spec.containers[app].env",
        "spec.template.spec.containers[app].image",
        "spec.template.spec.nodeSelector.disk",
        "spec.template.spec.nodeSelector.zone",
    }
    new, changed = edit_spec(old, {"node_selector": {"disk": None}})
    assert "nodeSelector" not in new["template"]["spec"] and changed == ["spec.template.spec.nodeSelector.disk"]
    new, changed = edit_spec(old, {"image": "side:v2"}, container="side")
    assert changed == ["spec.template.spec.containers[side].image"]
    with pytest.raises(ShipshapeError) as err:
        edit_spec(old, {"image": "x"}, container="nope")
    assert "its containers: app, side" in err.value.one_line()
    assert edit_spec(old, {"image": "web:v1"})[1] == []  # already so: nothing changes


def _rs(revision: int, image: str, ready: int = 0, uid: str = "u1", command: list[str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": image}
    if command:
        container["command"] = command
    return {
        "metadata": {
            "name": f"web-{revision}",
            "annotations": {REVISION: str(revision)},
            "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": uid}],
        },
        "spec": {
            "template": {
                "metadata": {"labels": {"app": "web", HASH_LABEL: f"h{revision}"}},
                "spec": {"containers": [container]},
            }
        },
        "status": {"availableReplicas": ready} if ready else {},
    }


def _dep(revision: int, image: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "uid": "u1", "annotations": {REVISION: str(revision)}},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            }
        },
    }


def test_rollback_prefers_a_revision_with_ready_pods_then_the_previous_different_one() -> None:
    rss = [_rs(1, "web:v1"), _rs(2, "web:v2", ready=1), _rs(3, "web:v3"), _rs(4, "web:bad"), _rs(9, "x", uid="other")]
    chosen, evidence = choose_revision(_dep(4, "web:bad"), rss)
    assert chosen["metadata"]["name"] == "web-2" and "1 Ready pod" in evidence
    rss[1]["status"] = {}
    chosen, evidence = choose_revision(_dep(4, "web:bad"), rss)
    assert chosen["metadata"]["name"] == "web-3" and "not proven" in evidence
    # shipshape saw revision 2's pods Ready earlier (its pod-template-hash h2): that beats "the previous one"
    chosen, evidence = choose_revision(_dep(4, "web:bad"), rss, seen_ready={"h2": "2026-12-02T17:00:00"})
    assert chosen["metadata"]["name"] == "web-2" and "shipshape saw the pods of revision 2 Ready" in evidence
    # an older revision with the same containers (a restart) is skipped
    rss = [_rs(1, "web:v1"), _rs(2, "web:bad"), _rs(3, "web:bad")]
    assert choose_revision(_dep(3, "web:bad"), rss)[0]["metadata"]["name"] == "web-1"
    assert choose_revision(_dep(3, "web:bad"), rss, to_revision=1)[0]["metadata"]["name"] == "web-1"
    with pytest.raises(ShipshapeError, match="no revision 7"):
        choose_revision(_dep(3, "web:bad"), rss, to_revision=7)
    with pytest.raises(ShipshapeError, match="already what"):
        choose_revision(_dep(3, "web:bad"), rss, to_revision=2)
    with pytest.raises(ShipshapeError, match="no earlier revision"):
        choose_revision(_dep(1, "web:v1"), [_rs(1, "web:v1")])
    template = template_without_hash(rss[0]["spec"]["template"])
    assert (
        template["metadata"]["labels"] == {"app": "web"}
        and HASH_LABEL in rss[0]["spec"]["template"]["metadata"]["labels"]
    )


def test_input_models_refuse_unknown_fields_and_out_of_range_values() -> None:
    patch = get("patch_deployment").input_model
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        patch.model_validate({"deployment": "web", "hostNetwork": True})
    with pytest.raises(ValidationError):
        patch.model_validate({"deployment": "web", "readiness_probe": {"httpGet": {"port": 80}, "bogus": 1}})
    with pytest.raises(ValidationError):
        patch.model_validate({"deployment": "web", "tolerations": [{"effect": "Sometimes"}]})
    with pytest.raises(ValidationError):
        get("scale_deployment").input_model.model_validate({"deployment": "web", "replicas": 51})
    with pytest.raises(ValidationError):
        get("scale_deployment").input_model.model_validate({"deployment": "web", "replicas": -1})
    with pytest.raises(ValidationError):
        get("rollout_undo").input_model.model_validate({"deployment": "web", "to_revision": 0})
    # A probe exactly as the API server returns it (defaults filled in) is accepted as it is.
    served = {
        "httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    patch.model_validate({"deployment": "web", "startup_probe": served, "liveness_probe": {"grpc": {"port": 9000}}})
    for name in ("rollout_undo", "patch_deployment", "scale_deployment"):
        assert get(name).writes is True


def test_cluster_change_journal_keeps_specs_exactly(store: Store) -> None:
    before = spec(env=[{"name": "API_TOKEN", "value": "api_token=supersecret123"}])
    after = copy.deepcopy(before)
    after["replicas"] = 2
    change = store.begin_change(
        project="/p",
        namespace="ns1",
        kind="Deployment",
        name="web",
        tool="scale_deployment",
        before=before,
        summary="scale web: 1 -> 2 token=supersecret123",
    )
    store.finish_change(change, state="applied", after=after, generation=4, resource_version="77")
    row = store.cluster_change(change)
    assert row is not None and row["before"] == before and row["after"] == after  # exact, secrets included
    assert row["state"] == "applied" and row["generation"] == 4
    assert "supersecret123" not in row["summary"]  # the text column is redacted
    assert [r["id"] for r in store.cluster_changes(["ns1"], states=("applied",))] == [change]
    assert store.cluster_changes(["elsewhere"]) == []
    assert changed_paths(row["after"], row["before"]) == ["spec.replicas"]
    # Two undos of one change: only the first moves it from applied to undoing.
    assert store.set_change_state(change, "undoing", expect=("applied",)) is True
    assert store.set_change_state(change, "undoing", expect=("applied",)) is False


def test_ready_revisions_are_remembered_per_deployment(store: Store) -> None:
    store.remember_ready("ns1", "web", "h1", "1")
    store.remember_ready("ns1", "web", "h1")  # seen again: still one row, the revision kept
    store.remember_ready("ns1", "web", "")  # no hash: nothing to remember
    store.remember_ready("ns2", "web", "h9")
    assert set(store.ready_revisions("ns1", "web")) == {"h1"}
    assert store.rows("SELECT revision FROM ready_revisions WHERE template_hash = 'h1'") == [{"revision": "1"}]
