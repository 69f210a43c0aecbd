"""Config, sizes, redaction, atomic edits with backup and undo, skills and prompts: no daemon needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.engines.files import FileEditor
from agent.errors import ConfigError, ShipshapeError
from agent.memory.store import Store
from agent.project.config import load_project, project_from_dict
from agent.project.units import parse_size
from agent.safety import Policy, redact

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("500MB", 500_000_000), ("300 MB", 300_000_000), ("1GiB", 1024**3), ("1.5GB", 1_500_000_000), (1234, 1234)],
)
def test_sizes(text: str | int, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["big", "12 parsecs", "", "-5MB", True])
def test_a_budget_that_is_not_a_size_is_a_config_error(bad: object) -> None:
    with pytest.raises(ConfigError):
        parse_size(bad)  # type: ignore[arg-type]


def test_the_sample_config_loads_with_budgets_and_paths(tmp_path: Path) -> None:
    project = load_project(REPO / "examples" / "todo")
    front, back = project.image("frontend"), project.image("backend")
    assert front.budget_bytes == 500_000_000 and back.budget_bytes == 300_000_000
    assert front.prisma_schema is not None and front.prisma_schema.name == "schema.prisma"
    assert project.allowed_namespaces() == ["todo"]
    with pytest.raises(ConfigError, match="no image named 'nope'"):
        project.select(["nope"])


def test_default_budgets_follow_the_kind_of_image(tmp_path: Path) -> None:
    project = project_from_dict(
        {"images": [{"name": "web-frontend", "context": "."}, {"name": "api", "context": "."}]}, tmp_path
    )
    assert [i.budget_bytes for i in project.images] == [500_000_000, 300_000_000]


def test_bad_config_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "shipshape.toml").write_text('[[images]]\nname = "x"\nbudget = "lots"\n')
    with pytest.raises(ConfigError, match="budget"):
        load_project(tmp_path)
    (tmp_path / "shipshape.toml").write_text("this is not toml = = =")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_project(tmp_path)


def test_redaction_covers_the_usual_secrets() -> None:
    text = (
        "ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnop password: hunter2 Authorization: Bearer abc.def "
        "postgres://app:s3cret@db:5432/x //registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz "
        "xoxb-1234-5678-abcdefgh ghp_abcdefghijklmnopqrstuvwxyz123456"
    )
    out = redact(text)
    for secret in ("abcdefghijklmnop", "hunter2", "abc.def", "s3cret", "npm_abc", "xoxb-1234", "ghp_abc"):
        assert secret not in out
    assert "postgres://app:[REDACTED]@db" in out


def test_policy_reads_run_writes_ask_unless_allowed() -> None:
    policy = Policy(allowed_namespaces=["todo"], auto_approve={"rollout_restart"})
    assert policy.decide("cluster_status", False, {}).decision == "allow"
    assert policy.decide("build_and_load_images", True, {}).decision == "ask"
    assert policy.decide("rollout_restart", True, {"namespace": "todo"}).decision == "allow"
    assert policy.decide("rollout_restart", True, {"namespace": "prod"}).decision == "deny"


def test_an_edit_is_atomic_backed_up_journalled_and_undoable(tmp_path: Path, store: Store) -> None:
    target = tmp_path / "schema.prisma"
    target.write_text("original\n")
    editor = FileEditor(tmp_path, store)
    first = editor.write(target, "changed\n", "test")
    assert first.changed and (tmp_path / "schema.prisma.backup").read_text() == "original\n"
    assert "-original" in first.diff and "+changed" in first.diff
    again = editor.write(target, "changed\n", "test")
    assert not again.changed
    editor.write(target, "changed twice\n", "test")
    # the backup beside the file holds the content before the newest edit; the journal holds every edit's bytes
    assert (tmp_path / "schema.prisma.backup").read_text() == "changed\n"
    editor.undo(target)
    assert target.read_text() == "changed\n"
    assert (tmp_path / "schema.prisma.backup").read_text() == "original\n"
    editor.undo(target)
    assert target.read_text() == "original\n"
    assert not (tmp_path / "schema.prisma.backup").exists()
    assert not list(tmp_path.glob(".schema.prisma.*.tmp"))
    assert [row["state"] for row in editor.journal()] == ["undone", "undone"]


def test_undo_last_and_a_created_file(tmp_path: Path, store: Store) -> None:
    editor = FileEditor(tmp_path, store)
    editor.write("new/.npmrc", "fetch-retries=5\n", "npm retries")
    assert (tmp_path / "new" / ".npmrc").exists()
    editor.undo()
    assert not (tmp_path / "new" / ".npmrc").exists()
    with pytest.raises(ShipshapeError, match="nothing to undo"):
        editor.undo()


def test_edits_outside_the_project_are_refused(tmp_path: Path) -> None:
    editor = FileEditor(tmp_path / "project")
    (tmp_path / "project").mkdir()
    with pytest.raises(ShipshapeError, match="outside the project"):
        editor.write(tmp_path / "elsewhere.txt", "x", "test")
    with pytest.raises(ShipshapeError, match="outside the project"):
        editor.write("../escape.txt", "x", "test")
    assert not (tmp_path / "elsewhere.txt").exists() and not (tmp_path / "escape.txt").exists()


def test_skills_are_valid_and_the_prompt_is_stable() -> None:
    from agent.prompts import system_prompt
    from agent.skills import catalogue, find

    names = [s.name for s in catalogue()]
    assert {"recover-image-pull", "fix-prisma-client", "diagnose-build-failure", "slow-startup"} <= set(names)
    assert "rollout_restart" in find("recover-image-pull").body()
    project = load_project(REPO / "examples" / "todo")
    first, second = system_prompt(project), system_prompt(project)
    assert first == second  # no timestamps or ids: the prefix caches
    assert "recover-image-pull" in first and "ImagePullBackOff" not in first.split("Skills")[0]
