"""build_and_load_images end to end on the real host Docker daemon and the real node daemon.

Every test works on a copy of examples/todo in tmp_path with its own repository names (so tags and cache hits
are the test's own), and removes its images from both daemons afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "todo"
SHIPSHAPE = REPO / ".venv" / "bin" / "shipshape"
RUNTIME_TARGET = "debian-openssl-3.0.x"  # what the sample's runtime base (node:22-bookworm, OpenSSL 3) needs


def copy_sample(dest: Path, prefix: str) -> Path:
    """examples/todo copied to `dest`, its repositories renamed `<prefix>-frontend` / `<prefix>-backend`."""
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("*.backup", "node_modules", ".next"))
    toml = dest / "shipshape.toml"
    text = re.sub(r'repository = "todo-(\w+)"', rf'repository = "{prefix}-\1"', toml.read_text())
    toml.write_text(text)
    return dest


@pytest.fixture
def sample(tmp_path: Path, host_docker: str, node_docker: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    mirror = subprocess.run(
        ["bash", str(REPO / "scripts" / "prisma-mirror.sh"), "status"], capture_output=True, check=False
    )
    if mirror.returncode != 0:
        pytest.fail("the Prisma engines mirror does not answer: run 'make env'")
    prefix = f"t{uuid.uuid4().hex[:8]}"
    root = copy_sample(tmp_path / "todo", prefix)
    monkeypatch.setenv("SHIPSHAPE_NODE_DOCKER_HOST", node_docker)
    monkeypatch.chdir(root)
    yield root
    for host in (host_docker, node_docker):
        listed = subprocess.run(
            ["docker", "-H", host, "images", "--format", "{{.Repository}}:{{.Tag}}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        mine = [ref for ref in listed if prefix in ref]
        if mine:
            subprocess.run(["docker", "-H", host, "rmi", "-f", *mine], capture_output=True, check=False)


def build(root: Path, *args: str) -> tuple[int, dict, str]:
    """`shipshape build --json ARGS` in `root`: exit code, the JSON document, stderr."""
    result = subprocess.run(
        [str(SHIPSHAPE), "build", "--json", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )
    try:
        doc = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"no JSON on stdout (exit {result.returncode}): {result.stdout[-500:]} {result.stderr[-2000:]}")
    return result.returncode, doc, result.stderr


def by_name(doc: dict) -> dict[str, dict]:
    return {image["name"]: image for image in doc["images"]}


def node_has(node_docker: str, image_id: str) -> bool:
    from agent.engines.docker import DockerEngine

    return DockerEngine(node_docker).has_image_id(image_id)


def node_tag_id(node_docker: str, ref: str) -> str | None:
    from agent.engines.docker import DockerEngine

    return DockerEngine(node_docker).image_id(ref)


def test_sample_builds_within_budget_loads_and_a_second_run_does_nothing(sample: Path, node_docker: str) -> None:
    code, doc, err = build(sample)
    assert code == 0, err
    images = by_name(doc)
    assert set(images) == {"frontend", "backend"}
    for image in images.values():
        assert image["within_budget"] and 0 < image["size_bytes"] <= image["budget_bytes"]
        assert re.fullmatch(r"t\w{8}-(frontend|backend):[0-9a-f]{12}", image["tag"])
        assert not image["cache_hit"]
        # Docker's layer cache may give the same image ID as an earlier build of the sample, which the node
        # may hold already: then only the tag is added there. Either way the node must hold it afterwards.
        assert image["loaded"] or image["load_skipped"]
        assert node_has(node_docker, image["image_id"])
        assert node_tag_id(node_docker, image["tag"]) == image["image_id"]
    front = images["frontend"]
    assert front["prisma"]["status"] == "ok" and front["prisma"]["target"] == RUNTIME_TARGET
    engine = front["engine"]["files"][0]
    assert engine["present"] and engine["fits"] and engine["libc"] == "glibc" and engine["openssl"] == "3"
    assert engine["path"] == f"/app/node_modules/.prisma/client/libquery_engine-{RUNTIME_TARGET}.so.node"

    code, again, err = build(sample)
    assert code == 0, err
    for name, image in by_name(again).items():
        assert image["cache_hit"], name
        assert not image["loaded"] and image["load_skipped"], name
        assert image["tag"] == images[name]["tag"] and image["image_id"] == images[name]["image_id"]

    from agent.memory.store import Store

    rows = Store(os.environ["SHIPSHAPE_DB"]).builds()
    assert len(rows) == 4
    assert sorted(r["outcome"] for r in rows) == ["built", "built", "cache-hit", "cache-hit"]
    assert all(r["content_hash"] and r["loader"] == "daemon" for r in rows)


def test_missing_runtime_target_is_restored_backed_up_idempotent_and_undoable(sample: Path) -> None:
    schema = sample / "frontend" / "prisma" / "schema.prisma"
    broken = schema.read_text().replace(f', "{RUNTIME_TARGET}"', "")
    assert 'binaryTargets = ["native"]' in broken
    schema.write_text(broken)

    code, doc, err = build(sample, "--only", "frontend", "--no-load")
    assert code == 0, err
    prisma = by_name(doc)["frontend"]["prisma"]
    assert prisma["status"] == "fixed"
    assert f'+  binaryTargets = ["native", "{RUNTIME_TARGET}"]' in prisma["diff"]
    backup = schema.with_name("schema.prisma.backup")
    assert prisma["backup"] == str(backup) and backup.read_text() == broken
    fixed = schema.read_text()
    assert f'"native", "{RUNTIME_TARGET}"' in fixed and "model Todo" in fixed
    assert by_name(doc)["frontend"]["engine"]["ok"]
    assert f'+  binaryTargets = ["native", "{RUNTIME_TARGET}"]' in err  # the diff is shown on the terminal too

    code, again, err = build(sample, "--only", "frontend", "--no-load")
    assert code == 0, err
    assert by_name(again)["frontend"]["prisma"]["status"] == "ok"
    assert by_name(again)["frontend"]["cache_hit"]
    assert schema.read_text() == fixed

    result = subprocess.run([str(SHIPSHAPE), "undo", "--json"], cwd=sample, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert schema.read_text() == broken and not backup.exists()


def test_one_line_change_in_the_backend_rebuilds_only_the_backend(sample: Path) -> None:
    code, first, err = build(sample, "--no-load")
    assert code == 0, err
    with (sample / "backend" / "app" / "main.py").open("a") as handle:
        handle.write("# one more line\n")
    code, second, err = build(sample, "--no-load")
    assert code == 0, err
    before, after = by_name(first), by_name(second)
    assert after["frontend"]["cache_hit"] and after["frontend"]["tag"] == before["frontend"]["tag"]
    assert not after["backend"]["cache_hit"] and after["backend"]["tag"] != before["backend"]["tag"]


def test_a_failed_build_names_the_step_and_keeps_the_log(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """npm without retries behind a proxy that drops every connection (tests/faultproxy.py): the real npm fails."""
    from tests.faultproxy import fault_proxy

    (sample / "frontend" / ".npmrc").write_text("fetch-retries=0\n")
    with fault_proxy() as proxy:
        proxy.arm(600)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        code, doc, err = build(sample, "--only", "frontend", "--no-load")
    assert code == 1
    assert len(err.strip().splitlines()[-1]) > 0 and "Traceback" not in err
    front = by_name(doc)["frontend"]
    assert not doc["ok"] and front["stage"] == "build"
    assert "RUN npm ci" in front["failed_step"]
    log = Path(front["log_path"]).read_text()
    assert "npm error code ECONNRESET" in log and "Step 6/" in log
    assert "returned a non-zero code: 1" in front["error"]


def test_an_image_over_its_budget_fails_with_size_budget_and_what_to_try(sample: Path) -> None:
    toml = sample / "shipshape.toml"
    toml.write_text(toml.read_text().replace('budget = "300MB"', 'budget = "1MB"'))
    code, doc, _err = build(sample, "--only", "backend", "--no-load")
    assert code == 1
    backend = by_name(doc)["backend"]
    assert backend["within_budget"] is False and backend["stage"] == "verify"
    assert "over its budget of 1.0 MB" in backend["error"] and "biggest layers" in backend["error"]
    assert "multi-stage" in backend["error"] and ".dockerignore" in backend["error"]


def test_verify_reads_the_engine_out_of_the_image_and_names_what_is_missing(sample: Path, node_docker: str) -> None:
    code, _doc, err = build(sample)
    assert code == 0, err
    ok = subprocess.run([str(SHIPSHAPE), "verify", "--json"], cwd=sample, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    verified = by_name(json.loads(ok.stdout))
    assert verified["frontend"]["engine"]["ok"] and verified["backend"]["on_node"]

    # An image built (behind shipshape's back) from a schema without the runtime target: no engine for it inside.
    from agent.images.buildhash import hash_inputs
    from agent.project.config import load_project

    schema = sample / "frontend" / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace(f', "{RUNTIME_TARGET}"', ""))
    front = load_project(sample).image("frontend")
    tag = hash_inputs(front.context, front.dockerfile_path, target=front.target, build_args=front.build_args).tag(
        front.repository
    )
    mirror = f"PRISMA_ENGINES_MIRROR={front.build_args['PRISMA_ENGINES_MIRROR']}"
    command = ["docker", "build", "-q", "--network", "host", "--build-arg", mirror, "--target", "runtime"]
    subprocess.run(
        [*command, "-t", tag, str(front.context)],
        check=True,
        capture_output=True,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    bad = subprocess.run(
        [str(SHIPSHAPE), "verify", "--only", "frontend", "--json"], cwd=sample, capture_output=True, text=True
    )
    assert bad.returncode == 1
    image = by_name(json.loads(bad.stdout))["frontend"]
    assert image["tag"] == tag and image["prisma"]["status"] == "missing-target"
    engine = image["engine"]["files"][0]
    assert not engine["present"] and "libquery_engine-debian-openssl-3.0.x.so.node" in engine["reason"]
    assert "could not locate the Query Engine" in engine["reason"]
    assert len(bad.stderr.strip().splitlines()) == 1
