"""`shipshape undo`: reverse what shipshape changed, the newest first: a file edit (FileEditor.undo, the exact
bytes come back) or a cluster change (DeploymentWriter.undo, the deployment's spec as it was before
rollout_undo / patch_deployment / scale_deployment).

Only this project's file edits and the changes in its allowed namespaces count. A file or deployment that
changed since is left alone unless --force. Undoing a cluster change is itself a write to the cluster: it is
asked for in a terminal, and needs --yes when no one can be asked.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agent.errors import ShipshapeError

if TYPE_CHECKING:
    from agent.engines.files import FileEditor
    from agent.memory.store import Store
    from agent.project.config import Project

LISTED_EDIT = ("id", "path", "state", "reason", "created_at", "before_sha256", "after_sha256")
LISTED_CHANGE = ("id", "namespace", "kind", "name", "tool", "state", "summary", "generation", "created_at")


def register(app: typer.Typer) -> None:
    """Add this module's command to the app."""

    @app.command()
    def undo(
        path: Path = typer.Argument(None, help="The file whose last edit to undo (default: the newest change)."),
        last: bool = typer.Option(False, "--last", help="Undo the newest change: a file edit or a cluster change."),
        change: int = typer.Option(None, "--change", help="Undo this cluster change (its number in --list)."),
        force: bool = typer.Option(False, "--force", help="Restore even if the file or deployment changed since."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Undo a cluster change without asking."),
        list_: bool = typer.Option(False, "--list", help="Show the project's edits and cluster changes instead."),
        json_mode: bool = typer.Option(False, "--json", help="Print one JSON document."),
        config: Path = typer.Option(None, "--config", "-c", help="shipshape.toml (default: nearest)."),
        project_dir: Path = typer.Option(None, "--project", "-C", help="The project's directory (like git -C)."),
    ) -> None:
        """Undo what shipshape changed: a file edit (schema.prisma, .npmrc, ...) or a deployment change
        (rollout_undo, patch_deployment, scale_deployment), the newest first.

        Examples: shipshape undo --list; shipshape undo; shipshape undo --change 3 --yes"""
        from agent.cli.common import load, open_store
        from agent.engines.files import FileEditor

        if sum(x is not None and x is not False for x in (path, last or None, change)) > 1:
            raise ShipshapeError("give one of PATH, --last or --change")
        project = load(config, project_dir)
        store = open_store()
        editor = FileEditor(project.root, store)
        namespaces = project.allowed_namespaces()
        if list_:
            _list(editor, store, namespaces, project, json_mode)
            return
        if path is not None:
            _undo_edit(editor, path.resolve(), force, json_mode)
            return
        if change is None:
            editor.reconcile()  # a killed process's 'pending' rows settled first
            newest_edit = store.last_edit(str(editor.root))
            applied = store.cluster_changes(namespaces, states=("applied",))
            newest_change = applied[0] if applied else None
            if newest_change is None or (
                newest_edit is not None and str(newest_edit["created_at"]) > str(newest_change["created_at"])
            ):
                _undo_edit(editor, None, force, json_mode)
                return
            change = int(newest_change["id"])
        _undo_change(project, store, change, force, yes, json_mode)


def _list(editor: FileEditor, store: Store, namespaces: list[str], project: Project, json_mode: bool) -> None:
    from agent.cli.common import console, emit_json

    edits = [{k: row[k] for k in LISTED_EDIT} for row in editor.journal()]
    changes = [{k: row[k] for k in LISTED_CHANGE} for row in store.cluster_changes(namespaces)]
    if json_mode:
        emit_json({"ok": True, "project": str(project.root), "edits": edits, "changes": changes})
        return
    entries = [(e["created_at"], f"edit #{e['id']:<4} {e['state']:<11} {e['path']}  ({e['reason']})") for e in edits]
    entries += [
        (c["created_at"], f"change #{c['id']:<3} {c['state']:<11} {c['namespace']}/{c['name']}  ({c['summary']})")
        for c in changes
    ]
    out = console()
    for _, line in sorted(entries, reverse=True):
        out.print(line, markup=False)
    if not entries:
        out.print("nothing recorded for this project", markup=False)


def _undo_edit(editor: FileEditor, target: Path | None, force: bool, json_mode: bool) -> None:
    from agent.cli.common import console, emit_json

    result = editor.undo(target, force=force)
    if json_mode:
        doc = {"ok": True, "kind": "edit", "path": str(result.path), "edit_id": result.edit_id, "diff": result.diff}
        emit_json(doc)
        return
    out = console()
    out.print(f"restored {result.path} (edit #{result.edit_id} undone)", highlight=False, markup=False)
    if result.diff:
        out.print(result.diff.rstrip("\n"), markup=False, highlight=False)


def _undo_change(project: Project, store: Store, change_id: int, force: bool, yes: bool, json_mode: bool) -> None:
    from agent.cli.common import console, emit_json
    from agent.engines.kube_write import DeploymentWriter, spec_only
    from agent.pods.specedit import changed_paths
    from agent.tools.context import ToolContext

    row = store.cluster_change(change_id)
    if row is None:
        raise ShipshapeError(f"no cluster change #{change_id} is recorded", code="nothing-to-undo")
    if row["namespace"] not in project.allowed_namespaces():
        raise ShipshapeError(
            f"cluster change #{change_id} is in namespace {row['namespace']!r}, which this project may not change",
            "run undo from the project that made it, or add the namespace to [policy] allowed_namespaces",
            code="forbidden-namespace",
        )
    ctx = ToolContext(project=project, store=store)
    writer: DeploymentWriter = ctx.deployments
    if row.get("kind") == "Service":
        from agent.engines.kube_service import ServiceWriter

        writer = ServiceWriter(ctx.kube, store, str(project.root))
    kind = str(row.get("kind") or "Deployment").lower()
    what = f"change #{change_id} ({row['summary']}) of {kind} {row['namespace']}/{row['name']}"
    if not yes:
        if not sys.stdin.isatty():
            raise ShipshapeError(
                f"undoing {what} writes to the cluster and no one can be asked here",
                "run it again with --yes",
                code="not-approved",
            )
        if not typer.confirm(f"Undo {what}?", default=False):
            raise ShipshapeError(f"undo of change #{change_id} was not approved", code="not-approved")
    current = writer._read(str(row["namespace"]), str(row["name"]))
    now, before = spec_only(current), row["before"] or {}
    if kind == "service":
        fields = [f"spec.{k}" for k in sorted(set(now) | set(before)) if now.get(k) != before.get(k)]
    else:
        fields = changed_paths(now, before) if before else []
    done = writer.undo(change_id, force=force)
    doc: dict[str, Any] = {"ok": True, "kind": "cluster", **done, "restored": fields}
    if json_mode:
        emit_json(doc)
        return
    out = console()
    out.print(f"restored {kind} {row['namespace']}/{row['name']}: change #{change_id} undone", markup=False)
    for field in fields:
        out.print(f"  {field}", markup=False)
