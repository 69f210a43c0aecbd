"""Bad input to `shipshape build`, through the real CLI: one line on stderr, a non-zero exit, no traceback,
and not one file of the project changed. None of these reach a Docker daemon (they fail before)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "todo"
SHIPSHAPE = REPO / ".venv" / "bin" / "shipshape"


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _edit_toml(old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        toml = root / "shipshape.toml"
        text = toml.read_text()
        assert old in text
        toml.write_text(text.replace(old, new, 1))

    return apply


def _unclosed_generator(root: Path) -> None:
    schema = root / "frontend" / "prisma" / "schema.prisma"
    text = schema.read_text()
    # Drop the closing brace of the generator block: the block now swallows the datasource.
    start = text.index("generator client {")
    end = text.index("}", start)
    schema.write_text(text[:end] + text[end + 1 :])


def _no_dockerfile(root: Path) -> None:
    (root / "backend" / "Dockerfile").unlink()


CASES = {
    "missing Dockerfile": (_no_dockerfile, [], "Dockerfile"),
    "missing context directory": (_edit_toml('context = "backend"', 'context = "nowhere"'), [], "nowhere"),
    "unclosed generator block": (_unclosed_generator, [], "schema.prisma"),
    "budget that is not a size": (_edit_toml('budget = "300MB"', 'budget = "lots"'), [], "'lots' is not a size"),
    "unknown image in --only": (lambda root: None, ["--only", "database"], "no image named 'database'"),
    "no Docker daemon": (lambda root: None, [], "no Docker daemon answers on unix:///nonexistent/docker.sock"),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("json_mode", [False, True])
def test_bad_input_is_one_line_nonzero_no_traceback_nothing_changed(case: str, json_mode: bool, tmp_path: Path) -> None:
    break_it, extra, expected = CASES[case]
    root = tmp_path / "todo"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("*.backup", ".engines"))
    break_it(root)
    before = snapshot(root)
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock" if case == "no Docker daemon" else ""}
    if not env["DOCKER_HOST"]:
        env.pop("DOCKER_HOST")
    args = [str(SHIPSHAPE), "build", *extra] + (["--json"] if json_mode else [])
    result = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("shipshape: error: ") and expected in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    if json_mode:
        import json

        doc = json.loads(result.stdout)
        assert doc["ok"] is False and expected in doc["error"]
    assert snapshot(root) == before


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    root = tmp_path / "todo"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("*.backup", ".engines"))
    before = (root / "shipshape.toml").read_text()
    result = subprocess.run([str(SHIPSHAPE), "init", str(root)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert (root / "shipshape.toml").read_text() == before
