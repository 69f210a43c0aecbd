"""`shipshape analyze IMAGE`: the analyze_image_layers tool as a command (dive's layer sizes and waste,
hadolint's findings on the Dockerfile)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    """Add this module's command to the app."""

    @app.command()
    def analyze(
        image: str = typer.Argument(..., help="An image name from shipshape.toml, or a reference such as app:1a2b."),
        lint: bool = typer.Option(True, "--lint/--no-lint", help="Also lint the image's Dockerfile with hadolint."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help="shipshape.toml (default: nearest)."),
        project_dir: Path = typer.Option(None, "--project", "-C", help="The project's directory (like git -C)."),
    ) -> None:
        """Where an image's bytes go (dive: layers, efficiency, wasted files) and what hadolint says about its
        Dockerfile. Exit code 2 when dive's or hadolint's verdict fails.

        Example: shipshape analyze frontend"""
        from agent.cli.common import emit_json, load, make_context
        from agent.run.call import result_or_raise, run_direct
        from agent.safety import Policy

        project = load(config, project_dir)
        ctx = make_context(project, json_out)
        try:
            policy = Policy.from_project(project, assume_yes=True)
            doc = result_or_raise(run_direct(ctx, policy, "analyze_image_layers", {"image": image, "lint": lint}))
        finally:
            ctx.store.close()
        if json_out:
            emit_json(doc)
        else:
            _show(doc)
        if not doc.get("ok"):
            raise typer.Exit(2)


def _show(doc: dict[str, Any]) -> None:
    from agent.cli.common import console

    out = console()
    layers = doc.get("layers") or {}
    out.print(f"{doc['ref']}: {_summary(layers)}", markup=False, highlight=False)
    for finding in doc.get("lint") or []:
        out.print(f"  line {finding.get('line')}: {finding.get('code')} {finding.get('message')}", markup=False)


def _summary(layers: dict[str, Any]) -> str:
    parts = [f"{k.replace('_', ' ')} {v}" for k, v in layers.items() if isinstance(v, int | float | str)]
    return ", ".join(parts[:6]) or "no layer report"
