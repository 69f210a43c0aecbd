"""`shipshape status [-n NS] [--json]`: deployments and pods, every unhealthy pod diagnosed (the
cluster_status tool)."""

from __future__ import annotations

from typing import Any

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command()
    def status(
        namespace: str = typer.Option("", "-n", "--namespace", help="Namespace (default: shipshape.toml's)."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
    ) -> None:
        """Pods and rollouts with a diagnosis of each failing pod (reason, category, evidence, next step).

        Example: shipshape status -n todo --json
        """
        from agent.cli.common import load, make_context
        from agent.tools import get

        project = load()
        ctx = make_context(project, json_out)
        try:
            doc = get("cluster_status").call(ctx, {"namespace": namespace or None})
        finally:
            ctx.store.close()
        if json_out:
            from agent.cli.common import emit_json

            emit_json(doc)
            return
        _show(doc)


def _show(doc: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from agent.cli.common import console

    out = console()
    deps = Table(title=f"deployments in {doc['namespace']}", title_justify="left")
    for col in ("name", "ready", "updated", "available", "images"):
        deps.add_column(col)
    for d in doc["deployments"]:
        style = "green" if d["ready"] >= d["desired"] else "red"
        deps.add_row(
            d["name"],
            f"[{style}]{d['ready']}/{d['desired']}[/{style}]",
            str(d["updated"]),
            str(d["available"]),
            ", ".join(d["images"]),
        )
    out.print(deps)
    pods = Table(title="pods", title_justify="left")
    for col in ("pod", "deployment", "ready", "reason", "category", "evidence / next step"):
        pods.add_column(col, overflow="fold")
    for p in doc["pods"]:
        ok = p["category"] is None
        detail = "" if ok else f"{escape(p['evidence'])}\n[bold]next:[/bold] {escape(p['next_step'])}"
        if p.get("log_signals"):
            detail += f"\n[bold]log signals:[/bold] {', '.join(p['log_signals'])}"
        pods.add_row(
            p["name"],
            p["deployment"],
            "yes" if p["ready"] else "[red]no[/red]",
            p["reason"] if ok else f"[red]{p['reason']}[/red]",
            "" if ok else f"[yellow]{p['category']}[/yellow]",
            detail,
        )
    out.print(pods)
    if not doc["pods"]:
        out.print("no pods")
    out.print("[green]healthy[/green]" if doc["healthy"] else "[red]not healthy[/red]")
