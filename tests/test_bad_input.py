"""The bad-input table of docs/safety.md, row by row: each row's test is named in the table's last column, and
test_every_row_of_the_docs_table_is_tested keeps the two in step."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from agent.errors import ShipshapeError
from agent.memory.store import Store
from agent.tools.context import ToolContext

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[1]
SHIPSHAPE = str(REPO / ".venv" / "bin" / "shipshape")
SCHEMA = 'generator client {\n  provider      = "prisma-client-js"\n  binaryTargets = ["native"]\n}\n'


def project(root: Path, toml_extra: str = "", dockerfile: str = "FROM alpine:3.19\nRUN echo hi\n") -> Path:
    (root / "app" / "prisma").mkdir(parents=True)
    (root / "app" / "Dockerfile").write_text(dockerfile)
    (root / "app" / "prisma" / "schema.prisma").write_text(SCHEMA)
    (root / "shipshape.toml").write_text(
        '[[images]]\nname = "app"\ncontext = "app"\nbudget = "50MB"\nprisma_schema = "app/prisma/schema.prisma"\n\n'
        f'[cluster]\nnamespace = "todo"\nkubeconfig = "{root / "no-kubeconfig"}"\n' + toml_extra
    )
    return root


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    return subprocess.run([SHIPSHAPE, *args], cwd=cwd, capture_output=True, text=True, env=full, timeout=60)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("shipshape: error: "), result.stderr
    return lines[0]


def context(root: Path, store: Store) -> ToolContext:
    from agent.project.config import load_project

    return ToolContext(project=load_project(root), store=store)


# --- the rows ---------------------------------------------------------------------------------------------------


def test_budget_without_unit(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    toml = root / "shipshape.toml"
    toml.write_text(toml.read_text().replace('budget = "50MB"', "budget = 300"))
    line = one_line_error(run("build", "--dry-run", cwd=root))
    assert "budget = 300 has no unit" in line and 'budget = "300MB"' in line


def test_unknown_table(tmp_path: Path) -> None:
    root = project(tmp_path / "p", '\n[clustr]\nnamespace = "x"\n')
    assert "unknown key clustr (did you mean cluster?)" in one_line_error(run("build", "--dry-run", cwd=root))


def test_unknown_project_key(tmp_path: Path) -> None:
    root = project(tmp_path / "p", '\n[project]\nnmae = "todo"\n')
    line = one_line_error(run("build", "--dry-run", cwd=root))
    assert "unknown key project.nmae (did you mean project.name?)" in line


def test_dry_run_of_a_dockerfile_that_cannot_parse(tmp_path: Path) -> None:
    root = project(tmp_path / "p", dockerfile="FROM alpine:3.19\nRUNN echo hi\n")
    result = run("build", "--dry-run", cwd=root)
    line = one_line_error(result)
    assert "Dockerfile line 2: unknown instruction 'RUNN'" in line
    assert "would build" not in result.stdout + result.stderr


def test_read_only_schema(tmp_path: Path, store: Store) -> None:
    from agent.tools import get

    root = project(tmp_path / "p")
    schema = root / "app" / "prisma" / "schema.prisma"
    schema.chmod(0o444)
    with pytest.raises(ShipshapeError, match=r"refusing to edit app/prisma/schema.prisma: the file is read-only"):
        get("fix_prisma_targets").call(context(root, store), {"image": "app"})
    assert schema.read_text() == SCHEMA


def test_target_that_is_not_a_prisma_platform(tmp_path: Path, store: Store) -> None:
    from agent.tools import get

    root = project(tmp_path / "p")
    with pytest.raises(ShipshapeError, match=r"'linux-alpine' is not a Prisma binary target"):
        get("fix_prisma_targets").call(context(root, store), {"image": "app", "target": "linux-alpine"})
    with pytest.raises(ShipshapeError, match="is not a Prisma binary target"):
        get("fix_prisma_targets").call(context(root, store), {"image": "app", "target": 'x"]\nevil = ["y'})
    assert (root / "app" / "prisma" / "schema.prisma").read_text() == SCHEMA


def test_brackets_in_chat_text(tmp_path: Path) -> None:
    from rich.console import Console

    from agent.cli.chat import _Live

    out = Console(file=io.StringIO(), width=200)
    _Live(out)("thought", {"brain": "claude", "text": "set [cluster] kubeconfig in shipshape.toml [bold]now"})
    printed = out.file.getvalue()  # type: ignore[attr-defined]
    assert "set [cluster] kubeconfig in shipshape.toml [bold]now" in printed


def test_refused_build(tmp_path: Path, store: Store) -> None:
    from agent.run.assemble import make_agent

    root = project(tmp_path / "p")
    agent = make_agent(context(root, store), "rulebook")  # no --yes, no one to ask: the write is refused
    result = agent.run("docker build fails with ETIMEDOUT")
    assert "the build was not run" in result.answer and "not approved" in result.answer
    assert "the build failed" not in result.answer


def test_status_in_a_namespace_outside_the_policy(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    result = run("status", "-n", "kube-system", "--json", cwd=root)
    line = one_line_error(result)
    assert "namespace 'kube-system' is not allowed for reads" in line and "read_namespaces" in line
    assert json.loads(result.stdout)["code"] == "namespace-denied"


def test_log_path_outside_the_project(tmp_path: Path, store: Store) -> None:
    """Before: detect_build_failures read any file, and /etc/passwd's lines came back as the 'last message'."""
    from agent.tools import get

    root = project(tmp_path / "p")
    ctx = context(root, store)
    with pytest.raises(ShipshapeError, match=r"refusing to touch /etc/passwd: it is outside the project") as raised:
        get("detect_build_failures").call(ctx, {"log_path": "/etc/passwd"})
    assert raised.value.code == "path-denied"
    (root / "build.log").symlink_to("/etc/passwd")  # a link inside the project is resolved first
    with pytest.raises(ShipshapeError, match="outside the project"):
        get("detect_build_failures").call(ctx, {"log_path": "build.log"})
    with pytest.raises(ShipshapeError, match="outside the project"):
        get("suggest_dockerfile_fixes").call(ctx, {"image": "app", "log_path": "../../../etc/passwd"})


def test_log_path_asked_for_by_the_model(tmp_path: Path, store: Store) -> None:
    from agent.brains.base import ToolCall, Turn
    from agent.run.loop import Agent
    from agent.safety import Policy

    class Asks:
        name, model_calls = "scripted", 0

        def __init__(self) -> None:
            self.turns = [
                Turn(calls=[ToolCall("c1", "detect_build_failures", {"log_path": "/etc/passwd"})]),
                Turn(text="done", final=True),
            ]

        def next(self, trajectory, tools):  # type: ignore[no-untyped-def]
            return self.turns.pop(0)

    root = project(tmp_path / "p")
    agent = Agent(Asks(), context(root, store), Policy(["todo"]))
    agent.run("read the log")
    seen = agent.records
    assert seen[0]["ok"] is False
    steps = store.rows("SELECT result FROM steps")
    assert "outside the project" in steps[0]["result"] and "root:x:0:0" not in steps[0]["result"]


def test_model_timeout_that_is_not_a_number(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    env = {"SHIPSHAPE_MODEL_TIMEOUT": "soon", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_API_KEY": "k"}
    line = one_line_error(run("chat", "pods show ImagePullBackOff", "--brain", "claude", cwd=root, env=env))
    assert "SHIPSHAPE_MODEL_TIMEOUT='soon' is not a number of seconds" in line


def test_prisma_target_in_config_that_is_not_a_platform(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    toml = root / "shipshape.toml"
    toml.write_text(toml.read_text().replace('budget = "50MB"\n', 'budget = "50MB"\nprisma_target = "alpine"\n'))
    line = one_line_error(run("build", "--dry-run", cwd=root))
    assert "prisma_target" in line and "'alpine' is not a Prisma binary target" in line


# --- the table in the docs ----------------------------------------------------------------------------------------


def test_every_row_of_the_docs_table_is_tested() -> None:
    doc = (REPO / "docs" / "safety.md").read_text()
    table = doc.split("## Bad input", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    named = {name for row in rows for name in re.findall(r"`(test_[a-z_]+)`", row.rsplit("|", 2)[-2])}
    here = {
        name for name in globals() if name.startswith("test_") and name != "test_every_row_of_the_docs_table_is_tested"
    }
    assert named, "the table names its tests"
    assert named <= here | _ELSEWHERE, f"rows whose test does not exist: {sorted(named - here - _ELSEWHERE)}"
    assert here <= named, f"tests missing from the docs table: {sorted(here - named)}"


# Rows of the table whose test lives in another module (named there).
_ELSEWHERE = {
    "test_a_stale_backup_is_never_restored",
    "test_undo_last_does_not_cross_projects",
    "test_a_file_changed_since_the_edit_is_kept_unless_forced",
    "test_scale_and_undo_refused_when_changed_since",
    "test_rollout_undo_after_a_bad_image_then_shipshape_undo",
    "test_writes_are_refused_outside_allowed_namespaces_unknown_fields_and_without_approval",
    "test_resources_merge_and_are_bounded_by_the_node",
}
