"""Every command's --help, rendered as a user sees it: no option with an empty default ("(default:  x)"), no flag
shown with a type (`<bool>`), and an example in each."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from agent.cli import app

pytestmark = pytest.mark.unit


def _commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    found: list[list[str]] = [[]]

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                found.append([*path, name])
                walk(sub, [*path, name])

    walk(root, [])
    return found


COMMANDS = _commands()


def test_every_command_is_listed() -> None:
    names = {" ".join(c) for c in COMMANDS}
    for expected in ("build", "verify", "init", "status", "logs", "health", "deploy", "analyze", "undo", "chat"):
        assert expected in names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "shipshape")
def test_help_has_no_empty_default_no_bool_and_an_example(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "<bool>" not in text
    assert not re.search(r"\(default:\s*\)|\(default:\s{2,}", text), text
    assert "default:  " not in text
    assert "Example" in text, f"`shipshape {' '.join(path)} --help` shows no example"


def test_version_flag() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("shipshape ")


READS_A_PROJECT = ["build", "verify", "undo", "analyze", "status", "logs", "restart", "health", "deploy", "chat"]
READS_A_PROJECT += ["rollback", "patch", "scale", "wait", "set-image", "recall"]
READS_A_PROJECT += ["prisma check", "prisma fix", "fix suggest", "fix apply"]


@pytest.mark.parametrize("name", READS_A_PROJECT)
def test_every_command_that_reads_a_project_takes_config_and_project(name: str) -> None:
    text = CliRunner().invoke(app, [*name.split(), "--help"], env={"COLUMNS": "200"}).output
    assert "--config" in text and "-c " in text and "--project" in text and "-C " in text, text
