"""The `shipshape` command line (typer). Each command lives in its own small module and imports the heavy
libraries (docker, kubernetes, anthropic) only inside its function, so `shipshape --help` starts fast.

Every command takes --json (one JSON document on stdout, logs on stderr) and exits non-zero with a one-line
reason on failure.
"""

from __future__ import annotations

import sys

import typer

from agent.errors import ShipshapeError

app = typer.Typer(
    name="shipshape",
    help="Keeps a team's containers and local Kubernetes deployments healthy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print shipshape's version."""
    from importlib.metadata import version as dist_version

    typer.echo(dist_version("shipshape"))


def _register() -> None:
    from agent.cli import build, chat, cluster, diagnose, errordb, serve, undo, workload

    for module in (build, undo, cluster, workload, diagnose, errordb, chat, serve):
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
