"""`shipshape init`: detection on a copy of the sample app, and the written file loads as it is."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agent.images.detect import detect
from agent.images.init import init_project
from agent.project.config import load_project

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "todo"


def test_init_detects_the_sample_and_writes_a_config_that_loads(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("*.backup", ".engines", "shipshape.toml"))
    (root / "frontend" / "node_modules" / "x").mkdir(parents=True)
    (root / "frontend" / "node_modules" / "x" / "Dockerfile").write_text("FROM scratch\n")  # never an image
    manifests = root / "deploy"
    manifests.mkdir()
    (manifests / "api.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop-svc\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-backend\nspec: {}\n"
    )
    chart = root / "chart"
    assert (chart / "Chart.yaml").is_file()

    written, found = init_project(root)
    assert written == root / "shipshape.toml"
    assert sorted(i.name for i in found.images) == ["backend", "frontend"]
    project = load_project(written)
    front, back = project.image("frontend"), project.image("backend")
    assert front.prisma_schema == root / "frontend" / "prisma" / "schema.prisma"
    assert front.target == "runtime" and back.target == "runtime"
    assert front.budget_bytes == 500 * 1000**2 and back.budget_bytes == 300 * 1000**2
    assert front.repository == "shop-frontend" and front.deployment == "todo-frontend"
    assert "shop-svc" not in found.deployments and "shop-backend" in found.deployments
    assert project.helm is not None and project.helm.chart == chart
    assert project.cluster.loader == "shared"


def test_init_cli_with_force_replaces_and_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    shipshape = REPO / ".venv" / "bin" / "shipshape"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run([str(shipshape), "init", str(empty)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "no Dockerfile" in result.stderr and not (empty / "shipshape.toml").exists()
    root = tmp_path / "todo"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("*.backup", ".engines"))
    result = subprocess.run(
        [str(shipshape), "init", str(root), "--force", "--json"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Written by `shipshape init`" in (root / "shipshape.toml").read_text()
    assert len(detect(root).images) == 2
