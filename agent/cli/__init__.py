"""The `shipshape` command line (typer). Each command lives in its own small module and imports the heavy
libraries (docker, kubernetes, anthropic) only inside its function, so `shipshape --help` starts fast.

Every command takes --json (one JSON document on stdout, logs on stderr) and exits non-zero with a one-line
reason on failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer
import typer.core

from agent.errors import ShipshapeError

app = typer.Typer(
    name="shipshape",
    help="Keeps a team's containers and local Kubernetes deployments healthy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_display_type = typer.core.TyperOption.display_type_rich


def _flag_has_no_type(self: typer.core.TyperOption, ctx: Any) -> str | None:
    """typer 0.29 prints a flag's Python type (`<bool>`) in the help; a flag takes no value, so show none."""
    if self.is_flag or self.count:
        return None
    return _display_type(self, ctx)


typer.core.TyperOption.display_type_rich = _flag_has_no_type  # type: ignore[method-assign]


def _version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("shipshape")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"shipshape {_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version_flag: bool = typer.Option(
        False, "--version", "-V", callback=_print_version, is_eager=True, help="Print shipshape's version and exit."
    ),
    project_dir: Path = typer.Option(
        None,
        "-C",
        "--project",
        help="Run as if started in this directory, like git -C. Example: shipshape -C app build",
    ),
) -> None:
    """Keeps a team's containers and local Kubernetes deployments healthy. Example: shipshape status"""
    if project_dir is not None:
        if not project_dir.is_dir():
            raise ShipshapeError(f"-C {project_dir}: not a directory", code="bad-input")
        os.chdir(project_dir)


@app.command()
def version() -> None:
    """Print shipshape's version. Example: shipshape version"""
    typer.echo(_version())


def _register() -> None:
    from agent.cli import (
        analyze,
        build,
        chat,
        cluster,
        diagnose,
        errordb,
        evidence,
        rollout,
        serve,
        toolcmds,
        undo,
        workload,
    )

    for module in (
        build,
        undo,
        analyze,
        cluster,
        workload,
        rollout,
        evidence,
        toolcmds,
        diagnose,
        errordb,
        chat,
        serve,
    ):
        module.register(app)


_register()


def main() -> None:
    """Console-script entry point: expected failures become one line on stderr and exit code 1."""
    try:
        app()
    except ShipshapeError as exc:
        from agent.redaction import redact

        line = redact(exc.one_line())
        if "--json" in sys.argv:
            import json

            print(json.dumps({"ok": False, "error": line, "code": exc.code}))
        print(f"shipshape: error: {line}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("shipshape: interrupted", file=sys.stderr)
        sys.exit(130)
