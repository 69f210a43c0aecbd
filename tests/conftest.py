"""Shared fixtures. Tests come in three kinds (markers): unit (no daemon), docker (the real host engine and
the node daemon), cluster (the real local Kubernetes). `make test` sets SHIPSHAPE_REQUIRE_ALL=1 after starting
everything: then a missing component fails the test instead of skipping it, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

# the `standin` fixture (a stand-in Anthropic Messages server); the recovery suite started early on its own thread
pytest_plugins = ["tests.standin_anthropic", "tests.suite_early"]

REPO = Path(__file__).resolve().parents[1]
CLUSTER_DIR = REPO / ".cluster"
NODE_SOCKET = CLUSTER_DIR / "node-docker.sock"
KUBECONFIG = CLUSTER_DIR / "kubeconfig"
HOST_DOCKER = "unix:///var/run/docker.sock"
REGISTRY = "127.0.0.1:5000"
REQUIRE_ALL = os.environ.get("SHIPSHAPE_REQUIRE_ALL") == "1"
# helm and kubectl unpacked by `make cluster`, as the Makefile puts them on PATH
os.environ["PATH"] = f"{REPO / '.tools' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"


def _missing(what: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{what} is not running, but SHIPSHAPE_REQUIRE_ALL=1 (make test starts it)")
    pytest.skip(f"{what} is not running (make test starts it)")


def _docker_answers(host: str) -> bool:
    result = subprocess.run(
        ["docker", "-H", host, "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        timeout=20,
        check=False,
    )
    return result.returncode == 0


@pytest.fixture(autouse=True)
def _isolated_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own memory database; none writes to the user's."""
    db = tmp_path / "memory.db"
    monkeypatch.setenv("SHIPSHAPE_DB", str(db))
    return db


@pytest.fixture
def store(_isolated_memory: Path):  # type: ignore[no-untyped-def]
    from agent.memory.store import Store

    s = Store(_isolated_memory)
    yield s
    s.close()


@pytest.fixture(scope="session")
def host_docker() -> str:
    """The build host's daemon address."""
    if not _docker_answers(HOST_DOCKER):
        _missing("the host Docker daemon")
    return HOST_DOCKER


@pytest.fixture(scope="session")
def node_docker() -> str:
    """The cluster node's own daemon (make node / make cluster start it)."""
    host = f"unix://{NODE_SOCKET}"
    if not NODE_SOCKET.exists() or not _docker_answers(host):
        _missing("the node Docker daemon")
    return host


@pytest.fixture(scope="session")
def kubeconfig() -> Path:
    if not KUBECONFIG.exists():
        _missing("the local Kubernetes")
    result = subprocess.run(
        ["kubectl", "--kubeconfig", str(KUBECONFIG), "get", "--raw", "/readyz"],
        capture_output=True,
        timeout=20,
        check=False,
    )
    if result.returncode != 0:
        _missing("the local Kubernetes API server")
    return KUBECONFIG


@pytest.fixture(scope="session")
def registry() -> str:
    import urllib.request

    try:
        urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=5).read()
    except OSError:
        _missing("the registry on 127.0.0.1:5000")
    return REGISTRY
