"""The recovery rules' tools as commands: `shipshape evidence [DEPLOYMENT]` (deployment_evidence, read),
`shipshape probe DEPLOYMENT` (probe_endpoints, read) and `shipshape patch-service SERVICE` (patch_service, a
write: typing it is the approval, the namespace policy applies, `shipshape undo` reverses it). Each takes
-n/--namespace, -c/--config, -C/--project and --json; the two readers work from a kubeconfig alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from agent.errors import ShipshapeError

NAMESPACE_HELP = "Namespace (default: shipshape.toml's, else the kubeconfig context's)."


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    from agent.cli.cluster import CONFIG_HELP, PROJECT_HELP, _call, _Where

    @app.command()
    def evidence(
        deployment: str = typer.Argument("", help="Deployment (default: only the namespace's Services and quotas)."),
        namespace: str = typer.Option("", "-n", "--namespace", help=NAMESPACE_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """What a fix is decided on (deployment_evidence): container states and exit codes, OOM kills, probe
        failures, why pods are Pending, missing ConfigMap/Secret keys, revisions, quotas, nodes, Services. Reads
        only; secrets' values are never read.

        Example: shipshape evidence todo-backend -n todo"""
        where = _Where(config, project_dir, namespace, bare_ok=True)
        args = {"deployment": deployment or None, "namespace": namespace or None}
        doc = _call("deployment_evidence", args, json_out, where)
        if not json_out:
            for line in _evidence_lines(doc):
                typer.echo(line)

    @app.command()
    def probe(
        deployment: str = typer.Argument(..., help="Deployment whose running pod to ask."),
        port: list[int] = typer.Option([], "--port", help="Port to try (repeatable; default: the containers')."),
        path: list[str] = typer.Option([], "--path", help="Path to try (repeatable; default: the usual ones)."),
        wait: float = typer.Option(90, "--wait", help="Seconds to wait for a container in back-off to run."),
        namespace: str = typer.Option("", "-n", "--namespace", help=NAMESPACE_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Which health paths and ports a deployment's running pod answers (probe_endpoints): GET /healthz,
        /health, /ready, /readyz, /livez, / and /api/health on its ports. Reads only. Exit code 2 when none
        answers 2xx/3xx.

        Example: shipshape probe todo-backend --port 8000"""
        where = _Where(config, project_dir, namespace, bare_ok=True)
        args = {
            "deployment": deployment,
            "namespace": namespace or None,
            "ports": list(port),
            "paths": list(path),
            "wait_seconds": wait,
        }
        doc = _call("probe_endpoints", args, json_out, where)
        if not json_out:
            if doc.get("error"):
                typer.echo(f"{deployment}: {doc['error']}")
            for answer in doc["answers"]:
                typer.echo(f"{doc['pod']}:{answer['port']}{answer['path']} -> {answer['status']}")
            if not doc["answers"] and not doc.get("error"):
                typer.echo(f"{doc['pod']}: nothing answers on ports {doc['listening'] or args['ports'] or 'declared'}")
        if not doc["answering"]:
            raise typer.Exit(2)

    @app.command("patch-service")
    def patch_service(
        service: str = typer.Argument(..., help="Service to change."),
        selector: list[str] = typer.Option(
            [], "--selector", help="KEY=VALUE to set, or KEY- to remove (repeatable), as kubectl label does."
        ),
        target_port: list[str] = typer.Option(
            [], "--target-port", help="PORT=TARGET: the Service port's new targetPort (number or name; repeatable)."
        ),
        namespace: str = typer.Option("", "-n", "--namespace", help="Namespace (default: shipshape.toml's)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show the change; write nothing."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Fix a Service's selector keys or targetPort (patch_service), then read its endpoints again. A write:
        journalled, and `shipshape undo` reverses it.

        Example: shipshape patch-service web --selector app=web --target-port 80=8080"""
        where = _Where(config, project_dir, namespace, dry_run=dry_run)
        args: dict[str, Any] = {"service": service, "namespace": namespace or None}
        try:
            if selector:
                args["selector"] = dict(_selector_item(s) for s in selector)
            if target_port:
                args["ports"] = [_port_item(p) for p in target_port]
        except ValueError as exc:
            raise ShipshapeError(str(exc), "see shipshape patch-service --help", code="bad-input") from None
        doc = _call("patch_service", args, json_out, where)
        if not json_out:
            verb = "would change" if dry_run else "changed"
            what = "; ".join(doc.get("changed") or []) or "nothing"
            change = f" (change #{doc['change_id']})" if doc.get("change_id") else ""
            typer.echo(f"{doc['namespace']}/{service}: {verb} {what}{change}")
            if doc.get("note"):
                typer.echo(doc["note"])
            if "endpoints" in doc:
                typer.echo(f"endpoints: {json.dumps(doc['endpoints'])}")


def _selector_item(text: str) -> tuple[str, str | None]:
    if text.endswith("-") and "=" not in text:
        return text[:-1], None
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--selector {text!r}: expected KEY=VALUE or KEY-")
    return key, value


def _port_item(text: str) -> dict[str, Any]:
    port, sep, target = text.partition("=")
    if not sep or not port.isdigit() or not target:
        raise ValueError(f"--target-port {text!r}: expected PORT=TARGET, e.g. 80=8080")
    return {"port": int(port), "targetPort": int(target) if target.isdigit() else target}


def _evidence_lines(doc: dict[str, Any]) -> list[str]:
    """The evidence in a few lines: the deployment, each pod's containers and what went wrong, the Services."""
    lines = []
    if doc.get("deployment"):
        lines.append(
            f"{doc['namespace']}/{doc['deployment']}: {doc['ready_replicas']}/{doc['replicas']} ready, "
            f"revision {doc['revision']} (last good: {doc.get('last_good_revision') or 'none seen'})"
        )
        for pod in doc.get("pods") or []:
            lines.append(f"  pod {pod['name']}: {pod['phase']}{'' if pod['ready'] else ', not ready'}")
            for c in pod.get("containers") or []:
                lines.append(f"    {json.dumps(c, sort_keys=True)}")
            for key in ("probe_failures", "scheduling", "missing_config"):
                if pod.get(key):
                    lines.append(f"    {key}: {json.dumps(pod[key], sort_keys=True)}")
        for key in ("quota_refusal", "missing_refs"):
            if doc.get(key):
                lines.append(f"  {key}: {json.dumps(doc[key], sort_keys=True)}")
    for service in doc.get("services") or []:
        lines.append(f"  service {json.dumps(service, sort_keys=True)}")
    return lines or [f"{doc['namespace']}: no deployment named, and no Services"]
