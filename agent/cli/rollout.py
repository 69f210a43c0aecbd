"""Deployment tools that had no command of their own: `shipshape set-image IMAGE [REF]` (set_deployment_image,
then wait_for_rollout) and `shipshape wait DEPLOYMENT` (wait_for_rollout, as `kubectl rollout status`).
Both take -n/--namespace, -c/--config, -C/--project and --json; set-image is a write (typing it is the approval,
as for patch or scale; the namespace policy still applies) and `shipshape undo` reverses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from agent.cli.cluster import CONFIG_HELP, PROJECT_HELP, _call, _Where


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command("set-image")
    def set_image(
        image: str = typer.Argument(..., help="Image name in shipshape.toml (its deployment and container)."),
        ref: str = typer.Argument("", help="Image reference to run (default: the latest successful build)."),
        namespace: str = typer.Option("", "-n", "--namespace", help="Namespace (default: shipshape.toml's)."),
        wait: bool = typer.Option(True, "--wait/--no-wait", help="Watch until the new pods are Ready."),
        timeout: float = typer.Option(120, "--timeout", help="Seconds to wait."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show the change; write nothing."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Point an image's deployment at a built tag (set_deployment_image), then watch the rollout.

        Example: shipshape set-image backend todo-backend:1a2b3c"""
        where = _Where(config, project_dir, namespace, dry_run=dry_run)
        args = {"image": image, "ref": ref or None, "namespace": namespace or None}
        doc: dict[str, Any] = {"set_image": _call("set_deployment_image", args, None, where)}
        s = doc["set_image"]
        if wait and not dry_run:
            wait_args = {"deployment": s["deployment"], "namespace": s["namespace"], "timeout_seconds": timeout}
            doc["rollout"] = _call("wait_for_rollout", wait_args, None, where)
        if json_out:
            from agent.cli.common import emit_json

            emit_json(doc)
        else:
            verb = "would set" if dry_run else "set"
            change = f" (change #{s['change_id']})" if s.get("change_id") else ""
            typer.echo(
                f"{s['namespace']}/{s['deployment']}: {verb} {s['container']} {s['previous_image']} -> {s['image']}"
                + change
            )
            if "rollout" in doc:
                _show_rollout(s["deployment"], doc["rollout"])
        if "rollout" in doc and not doc["rollout"]["ready"]:
            raise typer.Exit(2)

    @app.command()
    def wait(
        deployment: str = typer.Argument(..., help="Deployment to watch."),
        namespace: str = typer.Option(
            "", "-n", "--namespace", help="Namespace (default: shipshape.toml's, else the kubeconfig context's)."
        ),
        timeout: float = typer.Option(120, "--timeout", help="Seconds to wait."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Watch a deployment until its new pods are Ready, or say at once why one cannot be (wait_for_rollout),
        as `kubectl rollout status` does. Reads only. Exit code 2 when not ready.

        Example: shipshape wait todo-backend --timeout 60"""
        where = _Where(config, project_dir, namespace, bare_ok=True)
        args = {"deployment": deployment, "namespace": namespace or None, "timeout_seconds": timeout}
        doc = _call("wait_for_rollout", args, json_out, where)
        if not json_out:
            _show_rollout(deployment, doc)
        if not doc["ready"]:
            raise typer.Exit(2)


def _show_rollout(deployment: str, doc: dict[str, Any]) -> None:
    typer.echo(f"{deployment}: {'ready' if doc['ready'] else 'NOT ready'} after {doc['seconds']} s")
    d = doc.get("diagnosis")
    if d:
        typer.echo(f"{d['reason']} ({d['category']}): {d['evidence']}\nnext: {d['next_step']}")
