"""Every tool is a command too (sqlite-utils' habit): the map below names the command of each registered tool, and
the test fails when a tool is added without one. The commands that were added for it run here on small projects
in a temporary directory, through the real CLI (typer's runner, the same `app` the console script runs)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import agent.run.call
from agent.cli import app
from agent.prisma.runtime import MUSL_TARGET
from agent.tools import load_all

pytestmark = pytest.mark.unit

# tool -> an invocation of the command that runs it (its first one or two words name the command).
TOOL_COMMANDS = {
    "activate_skill": "skills recover-image-pull",
    "analyze_image_layers": "analyze web",
    "apply_fix": "fix apply web npm-retry-settings",
    "build_and_load_images": "build",
    "check_health": "health web",
    "check_prisma_targets": "prisma check",
    "cluster_status": "status",
    "deployment_evidence": "evidence web",
    "detect_build_failures": "diagnose build.log",
    "fix_prisma_targets": "prisma fix",
    "helm_upgrade": "deploy",
    "patch_deployment": "patch web --image web:2",
    "patch_service": "patch-service web --selector app=web",
    "probe_endpoints": "probe web --port 8080",
    "pod_logs": "logs -d web",
    "recall": "recall --image web",
    "rollout_restart": "restart web",
    "rollout_undo": "rollback web",
    "scale_deployment": "scale web 2",
    "set_deployment_image": "set-image web web:2",
    "suggest_dockerfile_fixes": "fix suggest web --category npm-network",
    "verify_images": "verify",
    "wait_for_rollout": "wait web",
}
# `diagnose` reads the log with the library function the tool calls (agent/buildlog) and records it the same way,
# streaming stdin; it is the one command that does not go through agent/run/call.py.
NOT_THROUGH_RUN_CALL = {"detect_build_failures"}


def _command_paths() -> set[str]:
    found: set[str] = set()

    def walk(command: Any, path: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            found.add(" ".join([*path, name]))
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_every_registered_tool_has_a_command() -> None:
    tools = set(load_all())
    missing = sorted(tools - set(TOOL_COMMANDS))
    assert not missing, f"tools without a command (add one, and its line in TOOL_COMMANDS): {missing}"
    stale = sorted(set(TOOL_COMMANDS) - tools)
    assert not stale, f"TOOL_COMMANDS names tools that are not registered: {stale}"
    commands = _command_paths()
    absent = {t: c for t, c in TOOL_COMMANDS.items() if _command_of(c) not in commands}
    assert not absent, f"commands that do not exist: {absent}"


def _command_of(invocation: str) -> str:
    words = invocation.split()
    return " ".join(words[:2]) if " ".join(words[:2]) in _command_paths() else words[0]


class _Reached(Exception):
    pass


@pytest.mark.parametrize("tool", sorted(set(TOOL_COMMANDS) - NOT_THROUGH_RUN_CALL))
def test_each_command_runs_its_tool_through_the_one_call_path(
    tool: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's first tool call is its tool, made through agent.run.call (stopped there: no daemon needed)."""
    (tmp_path / "shipshape.toml").write_text(
        '[project]\nname = "t"\n[[images]]\nname = "web"\ncontext = "."\ndeployment = "web"\n'
        'prisma_schema = "schema.prisma"\n[helm]\nrelease = "t"\nchart = "chart"\n'
    )
    (tmp_path / "schema.prisma").write_text(SCHEMA)
    monkeypatch.chdir(tmp_path)
    reached: list[str] = []
    original, here = agent.run.call.run_call, threading.get_ident()

    def stop(ctx: Any, policy: Any, call: Any, **kwargs: Any) -> Any:
        if threading.get_ident() != here:  # the recovery suite's thread (tests/suite_early.py) goes on as it was
            return original(ctx, policy, call, **kwargs)
        reached.append(call.name)
        raise _Reached

    monkeypatch.setattr("agent.run.call.run_call", stop)
    result = _invoke(TOOL_COMMANDS[tool].split())
    assert reached[:1] == [tool], (result.output, result.exception)
    assert isinstance(result.exception, _Reached)


def test_each_write_command_names_its_tool_and_offers_a_dry_run_or_is_journalled() -> None:
    """The commands added for write tools say which tool they run and take --dry-run (the preview)."""
    for tool, command in [("fix_prisma_targets", "prisma fix"), ("apply_fix", "fix apply")]:
        text = _invoke([*command.split(), "--help"]).output
        assert tool in text and "--dry-run" in text, text
    assert "set_deployment_image" in _invoke(["set-image", "--help"]).output


def _invoke(args: list[str], stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, args, input=stdin, env={"COLUMNS": "200"})


def _json(args: list[str], exit_code: int = 0, stdin: str | None = None) -> dict[str, Any]:
    result = _invoke([*args, "--json"], stdin)
    assert result.exit_code == exit_code, (result.exit_code, result.output, result.exception)
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


SCHEMA = """datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

generator client {
  provider = "prisma-client-js"
}
"""


@pytest.fixture
def prisma_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An Alpine image whose Prisma 5 schema lacks the musl target."""
    web = tmp_path / "web"
    (web / "prisma").mkdir(parents=True)
    (web / "package.json").write_text(json.dumps({"dependencies": {"@prisma/client": "^5.22.0"}}))
    (web / "prisma" / "schema.prisma").write_text(SCHEMA)
    (web / "Dockerfile").write_text("FROM node:20-alpine\nCOPY . .\nRUN npm ci\n")
    (tmp_path / "shipshape.toml").write_text(
        '[project]\nname = "t"\n\n[[images]]\nname = "web"\ncontext = "web"\n'
        'prisma_schema = "web/prisma/schema.prisma"\n'
    )
    monkeypatch.chdir(tmp_path)
    return web / "prisma" / "schema.prisma"


def test_prisma_check_then_dry_run_then_fix_then_undo(prisma_project: Path) -> None:
    target = ["--target", MUSL_TARGET]
    checked = _json(["prisma", "check", *target], exit_code=2)  # exit 2: an image would fail at runtime
    assert checked["status"] == "missing-target" and checked["images"][0]["image"] == "web"

    preview = _json(["prisma", "fix", *target, "--dry-run"])
    assert preview["images"][0]["status"] == "would-fix" and MUSL_TARGET in preview["images"][0]["diff"]
    assert prisma_project.read_text() == SCHEMA  # the preview wrote nothing

    fixed = _json(["prisma", "fix", *target])
    assert fixed["images"][0]["status"] == "fixed"
    assert f'binaryTargets = ["native", "{MUSL_TARGET}"]' in prisma_project.read_text()
    assert _json(["prisma", "check", *target])["status"] == "ok"

    undone = _json(["undo"])
    assert undone["kind"] == "edit" and prisma_project.read_text() == SCHEMA

    human = _invoke(["prisma", "check", *target])
    assert human.exit_code == 2 and "web: missing-target" in human.output


def test_prisma_check_of_an_unknown_image_fails_in_one_line(prisma_project: Path) -> None:
    result = _invoke(["prisma", "check", "--image", "nope", "--target", MUSL_TARGET])
    assert result.exit_code != 0 and "no image named 'nope'" in str(result.exception)


@pytest.fixture
def npm_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    web = tmp_path / "web"
    web.mkdir()
    (web / "package.json").write_text("{}\n")
    (web / "Dockerfile").write_text("FROM node:20-alpine\nCOPY package.json ./\nRUN npm ci\n")
    (tmp_path / "shipshape.toml").write_text('[project]\nname = "t"\n[[images]]\nname = "web"\ncontext = "web"\n')
    (tmp_path.parent / f"{tmp_path.name}-build.log").write_text("Step 3/3 : RUN npm ci\nnpm error code ETIMEDOUT\n")
    monkeypatch.chdir(tmp_path)
    return web


def test_fix_suggest_apply_recall_undo(npm_project: Path) -> None:
    log = npm_project.parent.parent / f"{npm_project.parent.name}-build.log"  # outside the project, as /tmp/x.log
    suggested = _json(["fix", "suggest", "web", "--log", str(log)])
    assert suggested["category"] == "npm-network"
    best = suggested["fixes"][0]
    assert best["fix_id"] == "npm-retry-settings" and "fetch-retries" in best["diff"]
    assert not (npm_project / ".npmrc").exists()  # suggesting writes nothing

    missing = _invoke(["fix", "suggest", "web", "--log", "no-such.log"])
    assert missing.exit_code != 0 and "cannot read no-such.log" in str(missing.exception)

    from_stdin = _json(["fix", "suggest", "web", "--log", "-"], stdin="RUN npm ci\nnpm error code ETIMEDOUT\n")
    assert from_stdin["category"] == "npm-network"

    preview = _json(["fix", "apply", "web", "npm-retry-settings", "--dry-run"])
    assert preview["status"] == "would-apply" and not (npm_project / ".npmrc").exists()
    applied = _json(["fix", "apply", "web", "npm-retry-settings"])
    assert applied["status"] == "applied" and "fetch-retries=5" in (npm_project / ".npmrc").read_text()
    assert applied["attempt_id"]  # remembered, so the next build decides the outcome

    recalled = _json(["recall", "--image", "web"])["image"]
    assert recalled["failures"][0]["category"] == "npm-network"
    assert recalled["fix_attempts"][0]["fix_id"] == "npm-retry-settings"
    signature = recalled["failures"][0]["signature"]
    assert _json(["recall", signature[:12]])["signature"]["fix_attempts"][0]["fix_id"] == "npm-retry-settings"
    text = _invoke(["recall", "--image", "web"]).output
    assert (
        "image web: 2 failure(s), 1 fix attempt(s)" in text
    )  # the log, then stdin and "npm-retry-settings: pending" in text
    unknown = _invoke(["recall", "no-such-signature"])
    assert unknown.exit_code != 0 and "memory knows no signature 'no-such-signature'" in str(unknown.exception)

    _json(["undo"])
    _json(["undo"])  # the Dockerfile's ENV line, then the .npmrc the fix created
    assert not (npm_project / ".npmrc").exists()
    assert (npm_project / "Dockerfile").read_text() == "FROM node:20-alpine\nCOPY package.json ./\nRUN npm ci\n"


def test_recall_and_skills_work_without_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _json(["recall", "--image", "web"])["image"]["failures"] == []
    result = _invoke(["recall"])
    assert result.exit_code != 0 and "recall needs a signature or an image" in str(result.exception)

    listed = _json(["skills"])["skills"]
    assert "recover-image-pull" in {s["name"] for s in listed}
    skill = _json(["skills", "recover-image-pull"])
    assert skill["name"] == "recover-image-pull" and "cluster_status" in skill["instructions"]
    text = _invoke(["skills", "recover-image-pull"])
    assert text.exit_code == 0 and skill["instructions"].splitlines()[0] in text.output
