"""analyze_image_layers against the real host daemon with the real dive and hadolint binaries."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from agent.project.config import project_from_dict
from agent.tools.analyze import AnalyzeInput, analyze_image_layers, summarise_dive
from agent.tools.context import ToolContext


@pytest.mark.unit
def test_dive_summary_applies_dives_ci_defaults() -> None:
    raw = {
        "image": {
            "sizeBytes": 10_000_000,
            "inefficientBytes": 3_000_000,
            "efficiencyScore": 0.7,
            "fileReference": [{"count": 2, "sizeBytes": 3_000_000, "file": "/blob"}],
        },
        "layer": [{"index": 0, "sizeBytes": 7_000_000, "command": "RUN x"}],
    }
    summary = summarise_dive(raw)
    assert not summary["ok"] and summary["wasted_ratio"] == 0.3
    assert summary["wasted_files"] == [{"path": "/blob", "bytes": 3_000_000, "copies": 2}]
    assert any("efficiency 0.70" in p for p in summary["problems"])


@pytest.mark.docker
def test_wasted_bytes_and_lint_findings_on_a_real_image(tmp_path: Path, host_docker: str, store) -> None:  # type: ignore[no-untyped-def]
    base = f"shipshape-analyzebase-{uuid.uuid4().hex[:8]}"
    context = tmp_path / "waste"
    context.mkdir()
    # A 3 MB file written in one layer and deleted in the next: the bytes still ship. `:latest` base: DL3007.
    (context / "Dockerfile").write_text(f"FROM {base}:latest\nRUN head -c 3000000 /dev/urandom > /junk\nRUN rm /junk\n")
    ref = f"shipshape-analyzetest-{uuid.uuid4().hex[:8]}:v1"
    subprocess.run(["docker", "tag", "shipshape/busybox:1.35", f"{base}:latest"], check=True)
    try:
        subprocess.run(
            ["docker", "build", "-q", "-t", ref, str(context)],
            check=True,
            capture_output=True,
            env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/bin:/bin:/usr/local/bin"},
        )
        project = project_from_dict({"images": [{"name": "waste", "context": "waste"}]}, tmp_path)
        ctx = ToolContext(project=project, store=store)
        doc = analyze_image_layers(ctx, AnalyzeInput(image=ref, lint=False))
        layers = doc["layers"]
        assert layers["wasted_bytes"] >= 3_000_000 and not layers["ok"]
        assert layers["wasted_files"][0]["path"].endswith("junk")
        from agent.tools.analyze import hadolint_report

        codes = {f["code"] for f in hadolint_report(context / "Dockerfile")}
        assert "DL3007" in codes
    finally:
        subprocess.run(["docker", "rmi", "-f", ref, f"{base}:latest"], capture_output=True, check=False)
