"""`shipshape init` and the Prisma check on real public repositories (tests/fixtures/repos/*/SOURCE says which
commit, under which licence; only the files init reads are kept, as excerpts), and one labelled variant.

Each repository has the expected.toml a careful person writes: the test compares contexts, Dockerfiles, targets
(where expected.toml gives one), Prisma schemas, the Helm chart and what is left out. Then the Prisma decision:
an alarm exactly where `prisma generate` does not run on the runtime's platform, first without a daemon, then
through `shipshape build --dry-run --json` against the real Docker engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from agent.images.init import init_project
from agent.project.config import load_project
from agent.project.names import reference_problem, release_problem

REPO = Path(__file__).resolve().parents[1]
REPOS = REPO / "tests" / "fixtures" / "repos"
NAMES = sorted(p.name for p in REPOS.iterdir() if (p / "expected.toml").is_file())
REAL = [n for n in NAMES if not n.startswith("variant-")]
# The only image whose Prisma client is generated on another platform than its runtime's (Debian -> Alpine).
ALARMS = {("variant-debian-generate", "variant-web")}
# Images the old check (the runtime's target must be in binaryTargets, wherever generate runs) flagged falsely.
FORMER_FALSE_ALARMS = {
    ("documenso", "documenso"),
    ("langfuse", "web"),
    ("langfuse", "worker"),
    ("trigger.dev", "trigger-dev"),
}


def _copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(REPOS / name, root, ignore=shutil.ignore_patterns("expected.toml", "shipshape.toml"))
    return root


def _shape(images: list[dict], with_target: dict[tuple[str, str], bool]) -> set[tuple[str, str, str | None, str]]:
    out = set()
    for image in images:
        key = (image["context"], image["dockerfile"])
        target = image.get("target") if with_target.get(key, True) else None
        out.add((image["context"], image["dockerfile"], target, image.get("prisma_schema") or "-"))
    return out


@pytest.mark.unit
def test_at_least_eight_real_repositories_each_with_its_source() -> None:
    assert len(REAL) >= 8, REAL
    for name in NAMES:
        source = (REPOS / name / "SOURCE").read_text()
        assert "licence:" in source
        if name in REAL:
            assert "upstream: https://github.com/" in source and "commit: " in source


@pytest.mark.unit
@pytest.mark.parametrize("name", NAMES)
def test_init_writes_what_a_careful_person_would(name: str, tmp_path: Path) -> None:
    root = _copy(name, tmp_path)
    expected = tomllib.loads((REPOS / name / "expected.toml").read_text())
    written, found = init_project(root)
    text = written.read_text()
    got = tomllib.loads(text)
    load_project(written)  # the file loads as it is
    targets = {(i["context"], i["dockerfile"]): "target" in i for i in expected["images"]}
    assert _shape(got["images"], targets) == _shape(expected["images"], targets)
    assert got.get("helm", {}).get("chart") == expected.get("helm", {}).get("chart")
    left = sorted(p.relative_to(root).as_posix() for p, _ in found.left_out if p.name != "Chart.yaml")
    assert left == sorted(expected.get("left_out", []))
    for image in got["images"]:
        assert reference_problem(f"{image['repository']}:latest") is None, image["repository"]
        assert "archive/" not in image.get("prisma_schema", "")
    if "helm" in got:
        assert release_problem(got["helm"]["release"]) is None
    assert got["cluster"]["loader"] == "shared"
    assert text.count("# context ") == len(got["images"])  # each image says where its context came from


@pytest.mark.unit
def test_prisma_alarm_only_where_generate_runs_on_another_platform() -> None:
    """Without a daemon: the Dockerfile's text decides; the old rule would have flagged four more images."""
    from agent.images.generated import generate_facts
    from agent.prisma.check import check_prisma
    from agent.prisma.target import choose_target
    from agent.project.config import project_from_dict

    alarms, old_alarms = set(), set()
    for name in NAMES:
        doc = tomllib.loads((REPOS / name / "expected.toml").read_text())
        doc.pop("left_out", None)
        doc.pop("helm", None)
        project = project_from_dict(doc, REPOS / name)
        for image in project.images:
            if image.prisma_schema is None:
                continue
            target = choose_target(image).target
            facts = generate_facts(image)
            native = facts.reason if facts and facts.same_platform else None
            if check_prisma(image.prisma_schema, target, native_fits=native).status == "missing-target":
                alarms.add((name, image.name))
            if check_prisma(image.prisma_schema, target).status == "missing-target":
                old_alarms.add((name, image.name))
    assert alarms == ALARMS
    assert old_alarms == ALARMS | FORMER_FALSE_ALARMS


@pytest.mark.docker
@pytest.mark.parametrize("name", NAMES)
def test_build_dry_run_raises_the_prisma_alarm_exactly_where_it_should(
    name: str, tmp_path: Path, host_docker: str
) -> None:
    root = _copy(name, tmp_path)
    init_project(root)
    env = {**os.environ, "DOCKER_HOST": host_docker}
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "shipshape"), "build", "--dry-run", "--json", "-C", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    doc = json.loads(result.stdout)
    assert doc["loader"] == "shared", doc.get("loader")
    for image in doc["images"]:
        prisma = image.get("prisma")
        if prisma is None:
            continue
        alarmed = prisma["status"] == "would-fix"
        assert alarmed == ((name, image["name"]) in ALARMS), (image["name"], prisma["status"], prisma["reason"])
        if alarmed:
            assert "linux-musl-openssl-3.0.x" in prisma["diff"] and prisma["generate"]["same_platform"] is False
