"""Image repositories and Helm releases that Docker and Helm accept, and a bad reference reported as one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent.errors import ConfigError, EngineUnavailable
from agent.project.names import InvalidReference, reference_problem, release_name, repository_name

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("documenso+documenso-remix-bun", "documenso-documenso-remix-bun"),
        ("My_App", "my_app"),
        ("trigger.dev-web", "trigger.dev-web"),
        ("__weird..name__", "weird-name"),
        ("UPPER CASE", "upper-case"),
    ],
)
def test_repository_names_are_made_valid(raw: str, expected: str) -> None:
    assert repository_name(raw) == expected
    assert reference_problem(f"{expected}:1a2b") is None


def test_release_names_are_dns_labels() -> None:
    assert release_name("My_App") == "my-app"
    assert release_name("trigger.dev") == "trigger-dev"
    assert len(release_name("x" * 80)) == 53


@pytest.mark.parametrize(
    "ref", ["documenso+documenso-remix-bun:abc", "My_App:latest", "app:bad tag", "-app:1", "a//b:1", "app:" + "x" * 200]
)
def test_a_malformed_reference_is_named_as_such(ref: str) -> None:
    assert reference_problem(ref)


def test_an_invalid_reference_is_never_reported_as_no_daemon() -> None:
    from agent.engines.docker import DockerEngine

    engine = DockerEngine("unix:///nonexistent/docker.sock")
    with pytest.raises(InvalidReference) as caught:
        engine.image("documenso+documenso-remix-bun:1a2b")
    assert "not a valid image reference" in str(caught.value.one_line()) and "'+'" in caught.value.one_line()
    with pytest.raises(EngineUnavailable):
        engine.image("valid-name:1a2b")  # a valid name on a dead socket is the daemon's problem


def test_config_refuses_an_invalid_repository_and_release(tmp_path: Path) -> None:
    from agent.project.config import load_project

    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    toml = tmp_path / "shipshape.toml"
    toml.write_text('[[images]]\nname = "web"\ncontext = "."\nrepository = "Docs+Web"\n')
    with pytest.raises(ConfigError, match="not a valid image repository"):
        load_project(toml)
    toml.write_text('[[images]]\nname = "web"\ncontext = "."\n[helm]\nrelease = "My_App"\nchart = "."\n')
    with pytest.raises(ConfigError, match="not a valid Helm release"):
        load_project(toml)
    odd = tmp_path / "documenso+documenso"
    odd.mkdir()
    (odd / "shipshape.toml").write_text('[[images]]\nname = "remix-bun"\ncontext = "."\n')
    assert load_project(odd / "shipshape.toml").image("remix-bun").repository == "documenso-documenso-remix-bun"


def test_init_writes_the_shared_loader_and_valid_names(tmp_path: Path) -> None:
    """`init` writes loader = "shared" (test_init_repos checks that `build --dry-run --json` reports it) and a
    valid repository for a folder whose name is not one."""
    root = tmp_path / "My_App+x"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM busybox\nCOPY . /app\n")
    shipshape = str(REPO / ".venv" / "bin" / "shipshape")
    result = subprocess.run([shipshape, "init", str(root)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    text = (root / "shipshape.toml").read_text()
    assert 'loader = "shared"' in text and 'repository = "my_app-x"' in text
