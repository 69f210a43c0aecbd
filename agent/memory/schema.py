"""The memory database's schema, as migrations (sqlite-utils): applied in order, once, by `Store` (store.py)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("shipshape")


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    db.table("builds").create(
        {
            "id": int,
            "image": str,
            "repository": str,
            "tag": str,
            "content_hash": str,
            "image_id": str,
            "size_bytes": int,
            "budget_bytes": int,
            "within_budget": int,
            "build_seconds": float,
            "load_seconds": float,
            "cache_hit": int,
            "loaded": int,
            "loader": str,
            "outcome": str,
            "error": str,
            "log_path": str,
            "created_at": str,
        },
        pk="id",
    )
    db.table("builds").create_index(["image", "created_at"])
    db.table("builds").create_index(["content_hash"])
    db.table("signatures").create(
        {
            "signature": str,
            "category": str,
            "known": int,
            "count": int,
            "first_seen": str,
            "last_seen": str,
            "example": str,
        },
        pk="signature",
    )
    db.table("failures").create(
        {
            "id": int,
            "signature": str,
            "category": str,
            "image": str,
            "step": str,
            "exit_code": int,
            "line": int,
            "excerpt": str,
            "source": str,
            "build_id": int,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("signature", "signatures", "signature")],
    )
    db.table("failures").create_index(["signature"])
    db.table("failures").enable_fts(["category", "excerpt", "signature", "image"], create_triggers=True)
    db.table("fix_attempts").create(
        {
            "id": int,
            "signature": str,
            "fix_id": str,
            "image": str,
            "description": str,
            "outcome": str,
            "build_id": int,
            "created_at": str,
            "resolved_at": str,
        },
        pk="id",
    )
    db.table("fix_attempts").create_index(["signature", "fix_id"])
    db.table("incidents").create(
        {
            "id": int,
            "report": str,
            "report_signature": str,
            "brain": str,
            "ok": int,
            "answer": str,
            "model_calls": int,
            "input_tokens": int,
            "output_tokens": int,
            "started_at": str,
            "ended_at": str,
            "status": str,
        },
        pk="id",
    )
    db.table("steps").create(
        {
            "id": int,
            "incident_id": int,
            "n": int,
            "tool": str,
            "input": str,
            "ok": int,
            "outcome": str,
            "seconds": float,
            "result": str,
            "reason": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("incident_id", "incidents", "id")],
    )
    db.table("steps").create_index(["incident_id", "n"])
    db.table("edits").create(
        {
            "id": int,
            "path": str,
            "backup_path": str,
            "reason": str,
            "diff": str,
            "created_at": str,
            "undone": int,
        },
        pk="id",
    )


@MIGRATIONS()
def m002_edit_journal(db: Database) -> None:
    """Each edit keeps the exact bytes it replaced (and their hash), the project it belongs to, and its state:
    pending (journalled, not yet known to be on disk), applied, interrupted (the process died before the
    replace), undone; and the process that wrote it (a pending row of a live process is not settled by another)."""
    edits = db.table("edits")
    for name, kind in (
        ("project", str),
        ("before_sha256", str),
        ("before", bytes),
        ("before_existed", int),
        ("after_sha256", str),
        ("state", str),
        ("pid", int),
    ):
        edits.add_column(name, kind)
    db.execute("UPDATE edits SET state = CASE WHEN undone = 1 THEN 'undone' ELSE 'applied' END")
    edits.create_index(["project", "id"])
    edits.create_index(["path", "id"])


@MIGRATIONS()
def m003_cluster_changes(db: Database) -> None:
    """The cluster-change journal: each write of a deployment's spec (rollout_undo, patch_deployment,
    scale_deployment) with the whole spec before and after it, exactly as the API server gave them (JSON BLOBs,
    not redacted: undo must put back what was there), the generation after the write, and its state: pending
    (journalled, the write not yet answered), applied, failed, undoing, undone."""
    db.table("cluster_changes").create(
        {
            "id": int,
            "project": str,
            "namespace": str,
            "kind": str,
            "name": str,
            "tool": str,
            "summary": str,
            "before": bytes,
            "after": bytes,
            "generation": int,
            "resource_version": str,
            "state": str,
            "pid": int,
            "created_at": str,
        },
        pk="id",
    )
    db.table("cluster_changes").create_index(["namespace", "id"])


@MIGRATIONS()
def m004_ready_revisions(db: Database) -> None:
    """The pod templates shipshape has seen Ready (cluster_status, wait_for_rollout), by pod-template-hash: the
    evidence rollout_undo goes by once an old ReplicaSet's pods are gone (Kubernetes keeps no such history)."""
    db.table("ready_revisions").create(
        {
            "namespace": str,
            "deployment": str,
            "template_hash": str,
            "revision": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk=("namespace", "deployment", "template_hash"),
    )
