"""CLI commands: build, verify, init. Each mirrors a tool (build_and_load_images, verify_images) or a library
function (agent.images.detect.init_project) with the same options. `shipshape undo` lives in undo.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def _summary(doc: dict[str, Any], json_mode: bool) -> None:
    from rich.table import Table

    from agent.cli.common import console
    from agent.project.units import human_size

    table = Table(title="images", show_lines=False)
    for col in ("image", "tag", "size / budget", "build", "load", "prisma", "result"):
        table.add_column(col, no_wrap=col in ("tag", "size / budget"))
    for img in doc["images"]:
        size = img.get("size_bytes")
        sized = f"{human_size(size)} / {human_size(img['budget_bytes'])}" if size is not None else "-"
        if "build_seconds" not in img:  # a verify document
            build = "-"
            load = {True: "on node", False: "NOT on node"}.get(img.get("on_node"), "-")
        else:
            build = "cache hit" if img.get("cache_hit") else (f"{img['build_seconds']:.1f} s" if size else "-")
            if img.get("loaded"):
                load = f"loaded {img['load_seconds']:.2f} s"
            else:
                load = "on node" if img.get("load_skipped") else "-"
        prisma = (img.get("prisma") or {}).get("status", "-")
        result = "ok" if img.get("ok", not img.get("problems")) else "FAILED"
        table.add_row(img["name"], str(img.get("tag") or "-"), sized, build, load, prisma, result)
    out = console(json_mode)
    out.print(table)
    for img in doc["images"]:
        for problem in ([img["error"]] if img.get("error") else []) + list(img.get("problems") or []):
            out.print(f"[red]{img['name']}[/red]: {problem}", highlight=False, soft_wrap=True)


def _fail_line(doc: dict[str, Any]) -> str:
    for img in doc["images"]:
        if img.get("error"):
            return str(img["error"])
        if img.get("problems"):
            return f"image {img['name']}: {img['problems'][0]}"
    return "failed"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command()
    def build(
        only: list[str] = typer.Option(None, "--only", help="Build only this image (repeatable)."),
        no_load: bool = typer.Option(False, "--no-load", help="Build and verify; do not load onto the node."),
        force: bool = typer.Option(False, "--force", help="Rebuild even when nothing changed."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Build without Docker's layer cache."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; change nothing."),
        json_mode: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help="shipshape.toml (default: nearest)."),
    ) -> None:
        """Prisma check/fix, build with content tags, verify size and engine, load onto the node, record."""
        from agent.cli.common import load, make_context

        project = load(config)
        project.select(only or None)  # an unknown name fails here, before anything happens
        ctx = make_context(project, json_mode, dry_run=dry_run)
        args = {"only": only or None, "force": force, "no_load": no_load, "no_cache": no_cache}
        try:
            doc = _run(ctx, "build_and_load_images", args)
        finally:
            close = getattr(ctx.reporter, "close", None)
            if close:
                close()
        _finish(doc, json_mode)

    @app.command()
    def verify(
        only: list[str] = typer.Option(None, "--only", help="Verify only this image (repeatable)."),
        json_mode: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help="shipshape.toml (default: nearest)."),
    ) -> None:
        """Sizes against budgets, the Prisma engine inside each image, images present on the node by ID."""
        from agent.cli.common import load, make_context

        project = load(config)
        project.select(only or None)
        ctx = make_context(project, json_mode)
        doc = _run(ctx, "verify_images", {"only": only or None})
        _finish(doc, json_mode)

    @app.command()
    def init(
        path: Path = typer.Argument(Path("."), help="The project's directory."),
        force: bool = typer.Option(False, "--force", help="Replace an existing shipshape.toml."),
        json_mode: bool = typer.Option(False, "--json", help="Print one JSON document."),
    ) -> None:
        """Detect Dockerfiles, Prisma schemas, charts and manifests; write shipshape.toml."""
        from agent.cli.common import console, emit_json
        from agent.images.detect import init_project

        written, found = init_project(path, force=force)
        images = [
            {
                "name": i.name,
                "context": str(i.context),
                "dockerfile": i.dockerfile,
                "target": i.target,
                "prisma_schema": str(i.prisma_schema) if i.prisma_schema else None,
            }
            for i in found.images
        ]
        if json_mode:
            emit_json({"ok": True, "path": str(written), "images": images, "charts": [str(c) for c in found.charts]})
        else:
            console().print(f"wrote {written} ({len(images)} image(s))", highlight=False)


def _run(ctx: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """The tool `name`, run the agent's one way (agent.run.call); typing the command is the approval."""
    from agent.run.call import result_or_raise, run_direct
    from agent.safety import Policy

    return result_or_raise(run_direct(ctx, Policy.from_project(ctx.project, assume_yes=True), name, args))


def _finish(doc: dict[str, Any], json_mode: bool) -> None:
    """Print the document (JSON or the summary table) and exit 1 with a one-line reason when it failed."""
    from agent.cli.common import emit_json
    from agent.redaction import redact_value

    doc = redact_value(doc)
    if json_mode:
        emit_json(doc)
    else:
        _summary(doc, json_mode)
    if not doc["ok"]:
        typer.echo(f"shipshape: error: {_fail_line(doc)}", err=True)
        raise typer.Exit(1)
