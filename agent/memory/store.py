"""The memory database: one SQLite file (sqlite-utils), its schema as migrations, and the writes and reads.

The default path is in the user's data directory; SHIPSHAPE_DB overrides it. Each connection is made
with check_same_thread=False so a tool running on a worker thread (parallel calls, MCP) may use it;
writes are serialised by a lock.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("shipshape")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def default_path() -> Path:
    """SHIPSHAPE_DB, else shipshape/memory.db in the user's data directory."""
    if os.environ.get("SHIPSHAPE_DB"):
        return Path(os.environ["SHIPSHAPE_DB"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("shipshape")) / "memory.db"


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


class Store:
    """The memory database. Cheap to open; every write is its own transaction."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        self.db = Database(conn)
        self._lock = threading.RLock()
        with self._lock:
            MIGRATIONS.apply(self.db)

    # -- generic -------------------------------------------------------------------------------------

    def insert(self, table: str, row: dict[str, Any]) -> int:
        """Insert one row (dicts and lists become JSON text) and return its id."""
        row = {k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in row.items()}
        if table not in ("incidents", "signatures"):
            row.setdefault("created_at", now())
        with self._lock:
            tbl = self.db.table(table)
            tbl.insert(row)
            return int(tbl.last_pk) if tbl.last_pk is not None else 0

    def update(self, table: str, pk: Any, values: dict[str, Any]) -> None:
        values = {k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in values.items()}
        with self._lock:
            self.db.table(table).update(pk, values)

    def rows(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query(sql, params or []))

    # -- builds --------------------------------------------------------------------------------------

    def record_build(self, **row: Any) -> int:
        """One build (or cache hit) of one image: see the `builds` table for the fields."""
        return self.insert("builds", row)

    def builds(self, image: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        where, params = ("WHERE image = ?", [image]) if image else ("", [])
        return self.rows(f"SELECT * FROM builds {where} ORDER BY id DESC LIMIT {int(limit)}", params)

    # -- edits (the undo journal) --------------------------------------------------------------------

    def record_edit(self, path: str, backup_path: str, reason: str, diff: str) -> int:
        return self.insert(
            "edits", {"path": path, "backup_path": backup_path, "reason": reason, "diff": diff, "undone": 0}
        )

    def last_edit(self, path: str | None = None) -> dict[str, Any] | None:
        where = "WHERE undone = 0" + (" AND path = ?" if path else "")
        found = self.rows(f"SELECT * FROM edits {where} ORDER BY id DESC LIMIT 1", [path] if path else [])
        return found[0] if found else None

    # -- incidents and their steps -------------------------------------------------------------------

    def start_incident(self, report: str, report_signature: str, brain: str) -> int:
        return self.insert(
            "incidents",
            {
                "report": report,
                "report_signature": report_signature,
                "brain": brain,
                "ok": 0,
                "model_calls": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "started_at": now(),
                "status": "running",
            },
        )

    def record_step(self, incident_id: int, **row: Any) -> int:
        return self.insert("steps", {"incident_id": incident_id, **row})

    def finish_incident(self, incident_id: int, **values: Any) -> None:
        self.update("incidents", incident_id, {"ended_at": now(), **values})

    def incident(self, incident_id: int) -> dict[str, Any] | None:
        found = self.rows("SELECT * FROM incidents WHERE id = ?", [incident_id])
        if not found:
            return None
        found[0]["steps"] = self.rows("SELECT * FROM steps WHERE incident_id = ? ORDER BY n", [incident_id])
        return found[0]

    def close(self) -> None:
        self.db.close()
