"""Loaders between the real host daemon and the real node daemon (and the real registry).

minikube and kind cannot be installed here, so their adapters run against stand-in executables that this file
writes into tmp_path and puts first on PATH. The stand-ins do to the node daemon what the real tools do to
their node: `minikube image load REF` and `kind load docker-image REF` become
`docker save REF | docker -H NODE load`, and `minikube image ls --format json` lists the node daemon's images
as minikube prints them (ids without the sha256: prefix). Everything else is real.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.engines.docker import DockerEngine
from agent.engines.loaders import CommandLoader, DaemonLoader, RegistryLoader, SharedLoader, _ids_from_listing
from agent.errors import ShipshapeError

BASE = "shipshape/busybox:1.35"


def _context(nonce: str) -> io.BytesIO:
    dockerfile = f'FROM {BASE}\nLABEL org.shipshape.test-nonce={nonce}\nCMD ["true"]\n'.encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:") as archive:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        archive.addfile(info, io.BytesIO(dockerfile))
    raw.seek(0)
    return raw


@pytest.fixture
def built(host_docker: str, node_docker: str) -> Iterator[tuple[str, str]]:
    """A small image made for this test on the host (unique ID), removed from both daemons afterwards."""
    host = DockerEngine(host_docker)
    if host.image(BASE) is None:
        pytest.fail(f"{BASE} is missing on the host: run 'make env'")
    nonce = uuid.uuid4().hex[:10]
    ref = f"shipshape-loadtest-{nonce}:v1"
    outcome = host.build(_context(nonce), "Dockerfile", ref)
    assert outcome.ok, outcome.error
    assert outcome.image_id is not None
    yield ref, outcome.image_id
    for address in (host_docker, node_docker):
        engine = DockerEngine(address)
        for name in (ref, f"127.0.0.1:5000/{ref}", outcome.image_id):
            with contextlib.suppress(Exception):
                engine.remove_image(name, force=True)


@pytest.mark.docker
def test_daemon_loader_streams_host_to_node_and_skips_a_second_time(
    built: tuple[str, str], host_docker: str, node_docker: str
) -> None:
    ref, image_id = built
    node = DockerEngine(node_docker)
    loader = DaemonLoader(DockerEngine(host_docker), node)
    assert not node.has_image_id(image_id) and not loader.present(image_id, ref)
    seen: list[int] = []
    result = loader.load(ref, image_id, lambda done, total: seen.append(done))
    assert result.loaded and result.verified and not result.skipped and result.bytes > 1_000_000
    assert seen and seen == sorted(seen)  # progress in bytes, increasing
    assert node.has_image_id(image_id) and node.image_id(ref) == image_id
    again = loader.load(ref, image_id)
    assert again.skipped and not again.loaded and again.bytes == 0


@pytest.mark.docker
def test_registry_loader_pushes_pulls_and_tags_back(
    built: tuple[str, str], host_docker: str, node_docker: str, registry: str
) -> None:
    ref, image_id = built
    node = DockerEngine(node_docker)
    loader = RegistryLoader(DockerEngine(host_docker), node, registry)
    assert not node.has_image_id(image_id)
    result = loader.load(ref, image_id)
    assert result.loaded and result.verified
    assert node.image_id(ref) == image_id  # the plain name the pod spec uses
    assert loader.load(ref, image_id).skipped


@pytest.mark.docker
def test_shared_loader_only_verifies(built: tuple[str, str], host_docker: str) -> None:
    ref, image_id = built
    loader = SharedLoader(DockerEngine(host_docker))
    result = loader.load(ref, image_id)
    assert result.skipped and result.verified and not result.loaded
    with pytest.raises(ShipshapeError, match="does not hold image"):
        loader.load(ref, "sha256:" + "0" * 64)


def _stand_in(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n# Stand-in for the real tool (not installable here): acts on the node daemon.\n" + body)
    path.chmod(0o755)


MINIKUBE = """\
# minikube -p PROFILE image load REF | minikube -p PROFILE image ls --format json
[ "$1" = -p ] && shift 2
if [ "$1 $2" = "image load" ]; then
  [ -n "$MINIKUBE_LIES" ] && exit 0   # report success without loading, as minikube #16032 does
  docker save "$3" | docker -H "$NODE" load >/dev/null
elif [ "$1 $2" = "image ls" ]; then
  printf '['
  docker -H "$NODE" images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}' | \
    awk '{sub("sha256:", "", $1); printf "%s{\\"id\\":\\"%s\\",\\"repoTags\\":[\\"%s\\"]}", (NR>1?",":""), $1, $2}'
  printf ']\\n'
else
  echo "minikube stand-in: unsupported $*" >&2; exit 2
fi
"""

KIND = """\
# kind load docker-image --name CLUSTER REF
[ "$1 $2" = "load docker-image" ] || { echo "kind stand-in: unsupported $*" >&2; exit 2; }
shift 2
[ "$1" = --name ] && shift 2
docker save "$1" | docker -H "$NODE" load >/dev/null
"""


@pytest.fixture
def stand_ins(tmp_path: Path, node_docker: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stand_in(bin_dir, "minikube", MINIKUBE)
    _stand_in(bin_dir, "kind", KIND)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("NODE", node_docker)
    return bin_dir


def _minikube() -> CommandLoader:
    return CommandLoader(
        "minikube",
        ["minikube", "-p", "demo", "image", "load"],
        ["minikube", "-p", "demo", "image", "ls", "--format", "json"],
        None,
    )


@pytest.mark.docker
def test_minikube_adapter_loads_and_verifies_by_id_from_image_ls(
    built: tuple[str, str], stand_ins: Path, node_docker: str
) -> None:
    ref, image_id = built
    loader = _minikube()
    assert not loader.present(image_id, ref)
    result = loader.load(ref, image_id)
    assert result.loaded and result.verified
    assert DockerEngine(node_docker).has_image_id(image_id)
    assert loader.load(ref, image_id).skipped


@pytest.mark.docker
def test_minikube_adapter_catches_a_load_that_reported_success_but_did_not_happen(
    built: tuple[str, str], stand_ins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref, image_id = built
    monkeypatch.setenv("MINIKUBE_LIES", "1")
    with pytest.raises(ShipshapeError, match="does not hold image") as caught:
        _minikube().load(ref, image_id)
    assert caught.value.code == "load-unverified"


@pytest.mark.docker
def test_kind_adapter_loads_and_verifies_on_the_node_daemon(
    built: tuple[str, str], stand_ins: Path, node_docker: str
) -> None:
    ref, image_id = built
    loader = CommandLoader("kind", ["kind", "load", "docker-image", "--name", "kind"], None, DockerEngine(node_docker))
    result = loader.load(ref, image_id)
    assert result.loaded and result.verified
    assert loader.load(ref, image_id).skipped


@pytest.mark.unit
def test_missing_cluster_tool_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ShipshapeError, match="k3d is not installed"):
        CommandLoader("k3d", ["k3d", "image", "import", "-c", "x"], None, None).load("a:b", "sha256:1")


@pytest.mark.unit
def test_minikube_listing_ids_with_and_without_prefix() -> None:
    ids = _ids_from_listing('[{"id":"abc","repoTags":["x:1"]},{"id":"sha256:def"}]')
    assert {"abc", "sha256:abc", "def", "sha256:def"} <= ids
    assert _ids_from_listing("not json") == set()


@pytest.mark.docker
def test_node_daemon_starts_without_the_image(built: tuple[str, str], node_docker: str) -> None:
    """The two stores are separate: what the host builds is not on the node until a loader moves it."""
    ref, _image_id = built
    assert DockerEngine(node_docker).image(ref) is None
    assert subprocess.run(["docker", "-H", node_docker, "image", "inspect", ref], capture_output=True).returncode
