"""Build benchmarks on the real daemons (`make bench` starts them):

- no-op rebuild time as a ratio of the cold build (goal <= 0.05): build_and_load_images on a copy of the
  sample app, first without Docker's layer cache (and loading onto the node), then again with nothing changed;
- daemon-loader throughput as a ratio of `docker save IMG | docker -H NODE load` on the same ~40 MB image
  (goal >= 1.0): best of five each, interleaved, the image removed from the node before every run;
- peak memory (ru_maxrss) of a `shipshape build --force` subprocess (goal <= 150 MB).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

from bench import Result

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "todo"
SHIPSHAPE = REPO / ".venv" / "bin" / "shipshape"
HOST = "unix:///var/run/docker.sock"
NODE = f"unix://{REPO / '.cluster' / 'node-docker.sock'}"
BLOB_MB = 40
TRIALS = 5


def _sample_copy(dest: Path, prefix: str) -> Path:
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("*.backup", "node_modules", ".next"))
    toml = dest / "shipshape.toml"
    toml.write_text(re.sub(r'repository = "todo-(\w+)"', rf'repository = "{prefix}-\1"', toml.read_text()))
    return dest


def _remove_prefixed(prefix: str) -> None:
    for host in (HOST, NODE):
        listed = subprocess.run(
            ["docker", "-H", host, "images", "--format", "{{.Repository}}:{{.Tag}}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        mine = [ref for ref in listed if ref.startswith(prefix)]
        if mine:
            subprocess.run(["docker", "-H", host, "rmi", "-f", *mine], capture_output=True, check=False)


def _noop_ratio(work: Path, prefix: str) -> list[Result]:
    from agent.config import load_project
    from agent.memory.store import Store
    from agent.tools.build import BuildInput, build_and_load_images
    from agent.tools.context import ToolContext

    root = _sample_copy(work / "todo", prefix)
    os.environ["SHIPSHAPE_NODE_DOCKER_HOST"] = NODE
    ctx = ToolContext(project=load_project(root), store=Store(work / "memory.db"))
    started = time.perf_counter()
    cold = build_and_load_images(ctx, BuildInput(no_cache=True))
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    noop = build_and_load_images(ctx, BuildInput())
    noop_s = time.perf_counter() - started
    if not (cold["ok"] and noop["ok"]):
        raise RuntimeError(f"sample build failed: {cold['images']} {noop['images']}")
    nothing = all(i["cache_hit"] and not i["loaded"] for i in noop["images"])
    ratio = noop_s / cold_s
    started = time.perf_counter()
    cli = subprocess.run(
        [str(SHIPSHAPE), "build", "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "SHIPSHAPE_DB": str(work / "memory.db")},
        check=False,
    )
    cli_s = time.perf_counter() - started
    return [
        Result(
            "build: no-op rebuild / cold build",
            ratio,
            "ratio",
            "<= 0.05",
            ratio <= 0.05 and nothing,
            f"no-op {noop_s * 1000:.0f} ms, cold {cold_s:.2f} s (2 images, --no-cache, loaded)",
        ),
        Result(
            "build: no-op `shipshape build` (CLI, wall)",
            cli_s,
            "s",
            "",
            None,
            f"exit {cli.returncode}, includes interpreter start-up",
        ),
    ]


def _blob_image(ref: str) -> None:
    from agent.engines.docker import DockerEngine

    dockerfile = (f"FROM shipshape/busybox:1.35\nRUN head -c {BLOB_MB * 1000 * 1000} /dev/urandom > /blob\n").encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:") as archive:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        archive.addfile(info, io.BytesIO(dockerfile))
    raw.seek(0)
    outcome = DockerEngine(HOST).build(raw, "Dockerfile", ref)
    if not outcome.ok:
        raise RuntimeError(f"bench image build failed: {outcome.error}")


def _loader_ratio(prefix: str) -> list[Result]:
    from agent.engines.docker import DockerEngine
    from agent.engines.loaders import DaemonLoader

    ref = f"{prefix}-blob:v1"
    _blob_image(ref)
    host, node = DockerEngine(HOST), DockerEngine(NODE)
    image_id = host.image_id(ref)
    assert image_id is not None
    size = host.size(ref)
    loader = DaemonLoader(host, node)

    def clear() -> None:
        node.remove_image(ref, force=True)
        node.remove_image(image_id, force=True)

    ours, theirs = [], []
    for _ in range(TRIALS):
        clear()
        started = time.perf_counter()
        result = loader.load(ref, image_id)
        ours.append(time.perf_counter() - started)
        assert result.loaded and result.verified
        clear()
        started = time.perf_counter()
        subprocess.run(f"docker save {ref} | docker -H {NODE} load -q", shell=True, check=True, capture_output=True)
        theirs.append(time.perf_counter() - started)
    clear()
    mb = size / 1e6
    ratio = min(theirs) / min(ours)
    return [
        Result(
            "load: daemon loader / docker save|load throughput",
            ratio,
            "ratio",
            ">= 1.0",
            ratio >= 1.0,
            f"{mb / min(ours):.0f} MB/s vs {mb / min(theirs):.0f} MB/s on a {mb:.0f} MB image "
            f"(best of {TRIALS}, interleaved)",
        ),
    ]


def _peak_memory(work: Path) -> list[Result]:
    root = work / "todo"
    probe = (
        "import resource, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:], capture_output=True); "
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(SHIPSHAPE), "build", "--force", "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SHIPSHAPE_DB": str(work / "memory.db")},
    ).stdout.split()
    code, kb = int(out[0]), int(out[1])
    mb = kb / 1024
    return [
        Result(
            "build: peak memory of `shipshape build --force`",
            mb,
            "MB",
            "<= 150",
            mb <= 150 and code == 0,
            f"ru_maxrss, exit {code}",
        )
    ]


def run() -> list[Result]:
    """All build benchmarks; images made here are removed from both daemons afterwards."""
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="shipshape-bench-") as tmp:
        work = Path(tmp)
        try:
            results += _noop_ratio(work, prefix)
            results += _peak_memory(work)
            results += _loader_ratio(prefix)
        finally:
            _remove_prefixed(prefix)
    return results
