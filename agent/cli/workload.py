"""Commands that change a deployment, each the CLI face of one tool (typing the command is the approval):
`shipshape rollback DEPLOYMENT [--to-revision N]` (rollout_undo, then wait_for_rollout),
`shipshape patch DEPLOYMENT [--image REF] [--set JSON]` (patch_deployment),
`shipshape scale DEPLOYMENT N` (scale_deployment). Each is journalled: `shipshape undo` reverses it.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from agent.errors import ShipshapeError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    from agent.cli.cluster import _call

    @app.command()
    def rollback(
        deployment: str = typer.Argument(..., help="Deployment to roll back."),
        to_revision: int = typer.Option(None, "--to-revision", help="This revision (default: the last good one)."),
        namespace: str = typer.Option("", "-n", "--namespace", help="Namespace (default: shipshape.toml's)."),
        wait: bool = typer.Option(True, "--wait/--no-wait", help="Watch until the pods are Ready."),
        timeout: float = typer.Option(120, "--timeout", help="Seconds to wait."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
    ) -> None:
        """Roll a deployment back to the last revision whose pods were Ready. Example: shipshape rollback web"""
        args = {"deployment": deployment, "namespace": namespace or None}
        doc: dict[str, Any] = {"rollback": _call("rollout_undo", {**args, "to_revision": to_revision}, None)}
        if wait:
            doc["rollout"] = _call("wait_for_rollout", {**args, "timeout_seconds": timeout}, None)
        _print(doc, json_out)
        if not json_out:
            r = doc["rollback"]
            typer.echo(
                f"{deployment}: revision {r['from_revision']} -> {r['to_revision']} "
                f"({', '.join(r['images_after'])}); {r['evidence']} (change #{r['change_id']})"
            )
            if wait:
                typer.echo(f"{deployment}: {'ready' if doc['rollout']['ready'] else 'NOT ready'}")
        if wait and not doc["rollout"]["ready"]:
            raise typer.Exit(2)

    @app.command()
    def patch(
        deployment: str = typer.Argument(..., help="Deployment to change."),
        image: str = typer.Option("", "--image", help="The container's new image."),
        set_json: str = typer.Option("", "--set", help="patch_deployment fields as a JSON object."),
        container: str = typer.Option("", "--container", help="Container (default: the first)."),
        namespace: str = typer.Option("", "-n", "--namespace", help="Namespace (default: shipshape.toml's)."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
    ) -> None:
        """Change a bounded set of fields (docs/cluster-tools.md). Example:
        shipshape patch web --set '{"readiness_probe": {"httpGet": {"path": "/healthz"}}}'"""
        try:
            fields = json.loads(set_json) if set_json else {}
        except ValueError as exc:
            raise ShipshapeError(f"--set is not JSON: {exc}", code="bad-input") from None
        if not isinstance(fields, dict):
            raise ShipshapeError("--set must be a JSON object of patch_deployment fields", code="bad-input")
        args = {**fields, "deployment": deployment, "namespace": namespace or None}
        if image:
            args["image"] = image
        if container:
            args["container"] = container
        doc = _call("patch_deployment", args, None)
        _print(doc, json_out)
        if not json_out:
            what = ", ".join(doc["changed"]) or "nothing (already so)"
            typer.echo(f"{deployment}: changed {what}" + (f" (change #{doc['change_id']})" if doc["change_id"] else ""))

    @app.command()
    def scale(
        deployment: str = typer.Argument(..., help="Deployment to scale."),
        replicas: int = typer.Argument(..., help="Replicas wanted (0..50)."),
        namespace: str = typer.Option("", "-n", "--namespace", help="Namespace (default: shipshape.toml's)."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
    ) -> None:
        """Set a deployment's replicas. Example: shipshape scale frontend 3"""
        doc = _call(
            "scale_deployment", {"deployment": deployment, "namespace": namespace or None, "replicas": replicas}, None
        )
        _print(doc, json_out)
        if not json_out:
            typer.echo(f"{deployment}: {doc['replicas_before']} -> {doc['replicas']} replica(s)")


def _print(doc: dict[str, Any], json_out: bool) -> None:
    if json_out:
        from agent.cli.common import emit_json

        emit_json(doc)
