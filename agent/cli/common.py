"""Helpers shared by the CLI commands: JSON output, the rich console, loading the project and memory."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from agent.config import Project
    from agent.memory.store import Store
    from agent.tools.context import Reporter, ToolContext


def console(json_mode: bool = False) -> Console:
    """Logs and progress go to stderr when stdout carries JSON."""
    from rich.console import Console

    return Console(stderr=json_mode, highlight=False)


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    sys.stdout.flush()


def load(path: Path | None = None) -> Project:
    from agent.config import load_project

    return load_project(path)


def open_store() -> Store:
    from agent.memory.store import Store

    return Store()


def make_context(
    project: Project, json_mode: bool, *, dry_run: bool = False, reporter: Reporter | None = None
) -> ToolContext:
    from agent.cli.reporter import RichReporter
    from agent.tools.context import ToolContext

    return ToolContext(
        project=project,
        store=open_store(),
        reporter=reporter or RichReporter(console(json_mode)),
        dry_run=dry_run,
    )
