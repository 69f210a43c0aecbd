"""The local infrastructure that `make cluster` and `make registry` start, checked as a user would: the node is
Ready, a pod answers HTTP on its pod IP from the host, the node daemon is its own image store, the registry
serves the v2 API and moves an image from the host to the node, helm and kubectl run from .tools/bin.
`make cluster-down` is not run here (the other cluster tests need the cluster); docs/cluster.md says how it
was checked by hand.
"""

from __future__ import annotations

import io
import ipaddress
import json
import os
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
CLUSTER_DIR = REPO / ".cluster"
TOOLS = REPO / ".tools" / "bin"
CLAMP = REPO / "scripts" / "runc-clamp"
PAUSE_IMAGE = "shipshape/pause:1"
NODE_BRIDGE = ipaddress.ip_network("172.30.0.0/22")  # shipbr0, made by scripts/node-daemon.sh


def _docker(host: str) -> Any:
    import docker

    return docker.DockerClient(base_url=host, timeout=60)


def _build_marker_image(client: Any, tag: str) -> None:
    """A one-file image made from scratch: no base image, no registry, nothing to pull."""
    import tarfile

    marker = f"built for {tag}\n".encode()
    dockerfile = b"FROM scratch\nCOPY marker /marker\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("Dockerfile", dockerfile), ("marker", marker)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    client.images.build(fileobj=buf, custom_context=True, tag=tag, rm=True)


# --- unit: the runtime wrapper's rewrite, without a daemon -------------------------------------------------


@pytest.mark.unit
def test_runc_clamp_rewrites_negative_oom_score_adj_and_passes_args_on(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    spec = {"process": {"oomScoreAdj": -998, "args": ["sleep", "1"]}, "root": {"path": "rootfs"}}
    (bundle / "config.json").write_text(json.dumps(spec, separators=(",", ":")))
    args = ["--root", "/x", "create", "--bundle", str(bundle), "--pid-file", "p", "cid"]
    out = subprocess.run(
        [str(CLAMP), *args], env={**os.environ, "SHIPSHAPE_RUNC": "echo"}, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == args
    rewritten = json.loads((bundle / "config.json").read_text())
    assert rewritten["process"]["oomScoreAdj"] == 0
    assert rewritten["process"]["args"] == ["sleep", "1"]


@pytest.mark.unit
def test_runc_clamp_leaves_a_non_negative_score_alone(tmp_path: Path) -> None:
    original = '{"process": {"oomScoreAdj": 500}}'
    (tmp_path / "config.json").write_text(original)
    subprocess.run(
        [str(CLAMP), "create", "--bundle", str(tmp_path), "cid"],
        env={**os.environ, "SHIPSHAPE_RUNC": "true"},
        check=True,
    )
    assert (tmp_path / "config.json").read_text() == original


# --- docker: the two daemons and the registry ---------------------------------------------------------------


@pytest.mark.docker
def test_node_daemon_runs_the_clamping_runtime_and_has_the_pause_image(node_docker: str) -> None:
    client = _docker(node_docker)
    info = client.info()
    assert info["DefaultRuntime"] == "shipshape-runc"
    client.images.get(PAUSE_IMAGE)  # raises ImageNotFound if the node lacks it


@pytest.mark.docker
def test_node_daemon_is_a_separate_image_store(host_docker: str, node_docker: str) -> None:
    import docker.errors

    host, node = _docker(host_docker), _docker(node_docker)
    assert host.info()["ID"] != node.info()["ID"]
    tag = f"shipshape-infra-test/host-only:{uuid.uuid4().hex[:8]}"
    _build_marker_image(host, tag)
    try:
        assert host.images.get(tag).tags == [tag]
        with pytest.raises(docker.errors.ImageNotFound):
            node.images.get(tag)
    finally:
        host.images.remove(tag, force=True)


@pytest.mark.docker
def test_node_daemon_runs_a_container_asking_for_a_negative_oom_score(node_docker: str) -> None:
    """What every kubelet sandbox asks for (-998); plain runc fails on this VM, the wrapper makes it 0."""
    client = _docker(node_docker)
    container = client.containers.run(PAUSE_IMAGE, ["sleep", "30"], detach=True, oom_score_adj=-998)
    try:
        container.reload()
        assert container.status == "running"
        pid = container.attrs["State"]["Pid"]
        assert Path(f"/proc/{pid}/oom_score_adj").read_text().strip() == "0"
    finally:
        container.remove(force=True)


@pytest.mark.docker
def test_registry_answers_v2_and_moves_an_image_from_host_to_node(
    registry: str, host_docker: str, node_docker: str
) -> None:
    with urllib.request.urlopen(f"http://{registry}/v2/", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {}
    host, node = _docker(host_docker), _docker(node_docker)
    repo = f"{registry}/shipshape-infra-test/moved"
    tag = uuid.uuid4().hex[:8]
    _build_marker_image(host, f"{repo}:{tag}")
    try:
        for line in host.images.push(repo, tag=tag, stream=True, decode=True):
            assert "error" not in line, line
        with urllib.request.urlopen(f"http://{registry}/v2/shipshape-infra-test/moved/tags/list", timeout=5) as r:
            assert tag in json.loads(r.read())["tags"]
        pulled = node.images.pull(repo, tag=tag)
        assert f"{repo}:{tag}" in pulled.tags
    finally:
        host.images.remove(f"{repo}:{tag}", force=True)
        node.images.remove(f"{repo}:{tag}", force=True)


@pytest.mark.docker
def test_helm_and_kubectl_run_from_the_tools_directory() -> None:
    if not (TOOLS / "helm").exists():
        pytest.skip("helm is not installed (make cluster runs scripts/install-tools.sh)")
    helm = subprocess.run([str(TOOLS / "helm"), "version", "--short"], capture_output=True, text=True, check=True)
    assert helm.stdout.startswith("v4.")
    kubectl = subprocess.run(
        [str(TOOLS / "kubectl"), "version", "--client", "-o", "json"], capture_output=True, text=True, check=True
    )
    assert json.loads(kubectl.stdout)["clientVersion"]["major"] == "1"


# --- cluster: the node and a real pod -----------------------------------------------------------------------


@pytest.fixture
def core_apps(kubeconfig: Path) -> Iterator[tuple[Any, Any]]:
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    yield client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    api_client.close()


@pytest.fixture
def scratch_namespace(core_apps: tuple[Any, Any]) -> Iterator[str]:
    from kubernetes import client

    core, _ = core_apps
    name = f"infra-test-{uuid.uuid4().hex[:6]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name, grace_period_seconds=0)


@pytest.mark.cluster
def test_node_is_ready_and_runs_on_the_node_daemon(core_apps: tuple[Any, Any]) -> None:
    core, _ = core_apps
    node = core.read_node("localhost")
    ready = [c for c in node.status.conditions if c.type == "Ready"]
    assert ready and ready[0].status == "True"
    assert node.status.node_info.container_runtime_version.startswith("docker://")
    assert core.read_namespace("todo").status.phase == "Active"


@pytest.mark.cluster
def test_pod_gets_a_bridge_ip_and_answers_http_from_the_host(
    core_apps: tuple[Any, Any], scratch_namespace: str
) -> None:
    from kubernetes import client

    core, apps = core_apps
    labels = {"app": "infra-web"}
    script = "mkdir -p /www && echo served-by-$HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www"
    container = client.V1Container(
        name="web",
        image=PAUSE_IMAGE,
        image_pull_policy="IfNotPresent",
        command=["/bin/sh", "-c", script],
        readiness_probe=client.V1Probe(http_get=client.V1HTTPGetAction(path="/", port=8080), period_seconds=1),
    )
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="infra-web"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[container], termination_grace_period_seconds=1, dns_policy="Default"),
            ),
        ),
    )
    apps.create_namespaced_deployment(scratch_namespace, deployment)
    deadline = time.monotonic() + 60
    pod = None
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod(scratch_namespace, label_selector="app=infra-web").items
        ready = [
            p
            for p in pods
            if p.status.phase == "Running"
            and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
        ]
        if ready:
            pod = ready[0]
            break
        time.sleep(0.5)
    assert pod is not None, f"no Ready pod within 60 s: {[(p.metadata.name, p.status.phase) for p in pods]}"
    assert ipaddress.ip_address(pod.status.pod_ip) in NODE_BRIDGE, pod.status.pod_ip
    with urllib.request.urlopen(f"http://{pod.status.pod_ip}:8080/", timeout=5) as response:
        assert response.read().decode().strip() == f"served-by-{pod.metadata.name}"


@pytest.mark.cluster
def test_cluster_start_timings_are_recorded(kubeconfig: Path) -> None:
    timings = json.loads((CLUSTER_DIR / "timings.json").read_text())
    last = timings["last"]
    assert last["kind"] in {"cold", "warm", "already-up"}
    if last["kind"] != "already-up":
        assert 0 < last["apiserver_healthy_s"] <= last["node_ready_s"] <= last["total_s"]


# --- unit: the start-time benchmark reads the recorded history ------------------------------------------------


@pytest.mark.unit
def test_bench_prefers_a_measured_cold_start_and_ignores_checks_of_a_running_cluster() -> None:
    from bench.bench_cluster_start import cold_result, warm_result

    def entry(kind: str, total: float, build: float = 0.0) -> dict[str, Any]:
        return {"kind": kind, "build_fetch_s": build, "apiserver_healthy_s": 4.0, "node_ready_s": 6.0, "total_s": total}

    history = [entry("cold", 350.0, build=300.0), entry("warm", 8.0), entry("resume", 2.0), entry("warm", 40.0)]
    cold = cold_result(history)
    assert cold.value == 350.0
    assert cold.met is True  # 50 s on top of the build
    warm = warm_result(history)
    assert warm.value == 24.0  # median of the two warm starts; the resume is not a start
    assert warm.met is True
    assert warm_result([entry("warm", 31.0)]).met is False


@pytest.mark.unit
def test_bench_composes_the_cold_start_from_the_recorded_build_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bench.bench_cluster_start as b

    build_timing = tmp_path / "build-timing.json"
    build_timing.write_text('{"build_s": 300, "at": "2026-01-01T00:00:00Z"}')
    monkeypatch.setattr(b, "BUILD_TIMING", build_timing)
    warm = {"kind": "warm", "build_fetch_s": 0.0, "apiserver_healthy_s": 4.0, "node_ready_s": 6.0, "total_s": 7.0}
    cold = b.cold_result([warm])
    assert cold.value == 307.0
    assert "composed" in cold.note
    monkeypatch.setattr(b, "BUILD_TIMING", tmp_path / "absent.json")
    assert b.cold_result([warm]).met is None
