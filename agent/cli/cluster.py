"""Cluster commands, each the CLI face of one or two tools:
`shipshape status [-n NS]` (cluster_status), `shipshape logs POD|-d DEPLOYMENT [-p] [-f]` (pod_logs),
`shipshape restart DEPLOYMENT` (rollout_restart + wait_for_rollout), `shipshape health IMAGE|--url URL`
(check_health), `shipshape deploy [--tag IMAGE=TAG] [--dry-run]` (helm_upgrade). All take -n/--namespace,
-c/--config, -C/--project and --json. status, logs and health also work from a kubeconfig alone (no
shipshape.toml): they read the kubeconfig context's namespace, or the one given with -n.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

CONFIG_HELP = "shipshape.toml to use (default: the nearest one at or above the project directory)."
PROJECT_HELP = "Run as if started in this directory, like git -C (default: the working directory)."


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command()
    def status(
        namespace: str = typer.Option(
            "", "-n", "--namespace", help="Namespace (default: shipshape.toml's, else the kubeconfig context's)."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Pods and rollouts with a diagnosis of each failing pod (reason, category, evidence, next step).
        Works without a shipshape.toml, from KUBECONFIG (or ~/.kube/config).

        Example: shipshape status -n todo --json
        """
        where = _Where(config, project_dir, namespace, bare_ok=True)
        doc = _call("cluster_status", {"namespace": namespace or None}, json_out, where)
        if not json_out:
            _show(doc)
            if where.note:
                typer.echo(where.note)

    @app.command()
    def logs(
        pod: str = typer.Argument("", help="Pod name (or use --deployment)."),
        deployment: str = typer.Option("", "-d", "--deployment", help="The newest pods of this deployment."),
        namespace: str = typer.Option(
            "", "-n", "--namespace", help="Namespace (default: shipshape.toml's, else the kubeconfig context's)."
        ),
        tail: int = typer.Option(100, "--tail", help="Last N lines per pod."),
        previous: bool = typer.Option(False, "--previous", "-p", help="The previous (crashed) run."),
        follow: bool = typer.Option(False, "--follow", "-f", help="Then stream new lines (redacted) until Ctrl-C."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """The last lines of a pod's log, bounded and redacted. Example: shipshape logs -d todo-backend -f"""
        if follow and (json_out or previous):
            from agent.errors import ShipshapeError

            raise ShipshapeError("--follow streams text: not with --json or --previous", code="bad-input")
        where = _Where(config, project_dir, namespace, bare_ok=True)
        doc = _call(
            "pod_logs",
            {
                "pod": pod or None,
                "deployment": deployment or None,
                "namespace": namespace or None,
                "tail_lines": tail,
                "previous": previous,
            },
            json_out,
            where,
        )
        if json_out:
            return
        for entry in doc["pods"]:
            typer.echo(f"==> {entry['pod']} ({entry['container']})")
            for line in entry["lines"]:
                typer.echo(line)
        if follow:
            _follow(where, doc)

    @app.command()
    def restart(
        deployment: str = typer.Argument(..., help="Deployment to restart."),
        namespace: str = typer.Option("", "-n", "--namespace", help="Namespace (default: shipshape.toml's)."),
        wait: bool = typer.Option(True, "--wait/--no-wait", help="Watch until the new pods are Ready."),
        timeout: float = typer.Option(120, "--timeout", help="Seconds to wait."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Restart a deployment and watch its new pods. Example: shipshape restart todo-backend"""
        where = _Where(config, project_dir, namespace)
        args = {"deployment": deployment, "namespace": namespace or None}
        doc = {"restart": _call("rollout_restart", args, None, where)}
        if wait:
            doc["rollout"] = _call("wait_for_rollout", {**args, "timeout_seconds": timeout}, None, where)
        if json_out:
            from agent.cli.common import emit_json

            emit_json(doc)
        elif wait:
            r = doc["rollout"]
            verdict = "ready" if r["ready"] else "NOT ready"
            typer.echo(f"{deployment}: {verdict} after {r['seconds']} s")
            if r.get("diagnosis"):
                d = r["diagnosis"]
                typer.echo(f"{d['reason']} ({d['category']}): {d['evidence']}\nnext: {d['next_step']}")
        if wait and not doc["rollout"]["ready"]:
            raise typer.Exit(2)

    @app.command()
    def health(
        image: str = typer.Argument("", help="Image name from shipshape.toml (its deployment and health check)."),
        url: str = typer.Option("", "--url", help="Probe this URL instead."),
        namespace: str = typer.Option(
            "", "-n", "--namespace", help="Namespace (default: shipshape.toml's, else the kubeconfig context's)."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """HTTP health of an image's Ready pod (or of --url). Exit code 2 when unhealthy.

        Example: shipshape health backend"""
        where = _Where(config, project_dir, namespace, bare_ok=True)
        args = {"image": image or None, "url": url or None, "namespace": namespace or None}
        doc = _call("check_health", args, json_out, where)
        if not json_out:
            got = doc["status"] or doc["error"]
            typer.echo(f"{doc['url']}: {got} ({'ok' if doc['ok'] else 'not ok'})")
        if not doc["ok"]:
            raise typer.Exit(2)

    @app.command()
    def deploy(
        tag: list[str] = typer.Option([], "--tag", help="IMAGE=TAG (default: each image's latest build)."),
        namespace: str = typer.Option(
            "",
            "-n",
            "--namespace",
            help="Namespace (default: shipshape.toml's helm.namespace, else cluster.namespace).",
        ),
        wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait until the release is ready."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show the release, chart and tags; deploy nothing."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """`helm upgrade --install` the project's chart with the built tags.

        Example: shipshape deploy --dry-run"""
        from agent.errors import ShipshapeError

        tags = {}
        for item in tag:
            name, sep, value = item.partition("=")
            if not sep or not name or not value:
                raise ShipshapeError(f"--tag {item!r} is not IMAGE=TAG", code="bad-input")
            tags[name] = value
        where = _Where(config, project_dir, namespace, dry_run=dry_run)
        doc = _call("helm_upgrade", {"tags": tags, "namespace": namespace or None, "wait": wait}, json_out, where)
        if json_out:
            return
        if dry_run:
            typer.echo(f"would deploy release {doc['release']} from {doc['chart']} into {doc['namespace']}")
            for name, value in doc["values"].items():
                typer.echo(f"  {name}: {value['image']['repository']}:{value['image']['tag']}")
            for name in doc["defaults_kept"]:
                typer.echo(f"  {name}: the chart's default (no build recorded)")
        else:
            typer.echo(f"{doc['release']}: revision {doc['revision']} {doc['status']}")


class _Where:
    """Which project a command works on: -c/--config, -C/--project, and whether a kubeconfig alone will do."""

    def __init__(
        self,
        config: Path | None,
        project_dir: Path | None,
        namespace: str,
        bare_ok: bool = False,
        dry_run: bool = False,
    ) -> None:
        self.config, self.project_dir, self.namespace = config, project_dir, namespace or None
        self.bare_ok, self.dry_run = bare_ok, dry_run
        self.note = ""

    def project(self) -> Any:
        from agent.cli.common import load, load_or_kubeconfig

        if self.bare_ok:
            project = load_or_kubeconfig(self.config, self.project_dir, self.namespace)
            if not project.images and project.name == "kubeconfig" and project.cluster.kubeconfig:
                self.note = f"no shipshape.toml: read with {project.cluster.kubeconfig}"
            return project
        return load(self.config, self.project_dir)


def _follow(where: _Where, doc: dict[str, Any]) -> None:
    """Stream the new lines of the pods whose tail was just printed (one pod at a time: the first)."""
    from agent.cli.common import make_context
    from agent.engines.podlog import follow_log
    from agent.redaction import redact

    entry = doc["pods"][0] if doc["pods"] else None
    if entry is None:
        return
    ctx = make_context(where.project(), False)
    try:
        follow_log(ctx.kube.core, doc["namespace"], entry["pod"], entry["container"], lambda t: typer.echo(redact(t)))
    finally:
        ctx.store.close()


def _call(name: str, args: dict[str, Any], json_out: bool | None, where: _Where | None = None) -> dict[str, Any]:
    """Run one tool on the project `where` names; print its JSON when json_out is True.

    The call goes the agent's one way (agent.run.call): a person typing -n gets the same namespace answer as a
    brain; typing the command is the approval of its write."""
    from agent.cli.common import make_context
    from agent.run.call import result_or_raise, run_direct
    from agent.safety import Policy

    where = where or _Where(None, None, "")
    project = where.project()
    ctx = make_context(project, bool(json_out), dry_run=where.dry_run)
    try:
        doc = result_or_raise(run_direct(ctx, Policy.from_project(project, assume_yes=True), name, args))
    finally:
        ctx.store.close()
    if json_out:
        from agent.cli.common import emit_json

        emit_json(doc)
    return doc


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
    for col in ("pod", "deployment", "ready", "reason", "category"):
        pods.add_column(col, no_wrap=True)
    pods.add_column("evidence / next step", overflow="fold")
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
