"""The memory database: one SQLite file (sqlite-utils), its schema as migrations, and the writes and reads.

The default path is in the user's data directory; SHIPSHAPE_DB overrides it. Each connection is made
with check_same_thread=False so a tool running on a worker thread (parallel calls, MCP) may use it.

Many processes share one database (Slack and MCP serve many users; several `shipshape` commands run at once):
WAL mode so readers never wait for the writer, a busy timeout so a writer waits for another instead of
failing, migrations applied once under an exclusive file lock (`<db>.lock`), and every read-modify-write in
one `BEGIN IMMEDIATE` transaction (`Store.transaction`), so two processes never both decide to insert the same
row. Inside one process a lock serialises the threads that share a connection.

Every text that goes into the database passes through `agent.redaction.redact` here (the one place all writes
go through); only the undo journal's file bytes (BLOBs) are kept exactly as they were.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from agent.memory.schema import MIGRATIONS
from agent.redaction import redact, redact_value

BUSY_TIMEOUT_MS = 60_000


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def default_path() -> Path:
    """SHIPSHAPE_DB, else shipshape/memory.db in the user's data directory."""
    if os.environ.get("SHIPSHAPE_DB"):
        return Path(os.environ["SHIPSHAPE_DB"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("shipshape")) / "memory.db"


def _cell(value: Any) -> Any:
    """A value as it is stored: dicts and lists as redacted JSON, text redacted, bytes exact."""
    if isinstance(value, dict | list):
        return json.dumps(redact_value(value))
    if isinstance(value, str):
        return redact(value)
    return value


class Store:
    """The memory database. Cheap to open; every write is its own transaction."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db = Database(conn)
        self._lock = threading.RLock()
        self._columns: dict[str, set[str]] = {}
        with self._lock, self._file_lock():
            # Switching to WAL and migrating both need the database to themselves: one process at a time,
            # and a process that finds them done does nothing.
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            if MIGRATIONS.pending(self.db):
                MIGRATIONS.apply(self.db)
        conn.execute("PRAGMA foreign_keys=ON")

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """An exclusive lock across processes (flock on `<db>.lock`), for what must happen once."""
        if str(self.path) == ":memory:":
            yield
            return
        with open(f"{self.path}.lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, begun IMMEDIATE: the write lock is taken before the first read, so a
        read-modify-write cannot interleave with another process's (a deferred transaction that reads and
        then writes can fail at once with "database is locked" instead of waiting)."""
        conn = self.db.conn
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    # -- generic -------------------------------------------------------------------------------------

    def columns(self, table: str) -> set[str]:
        if table not in self._columns:
            with self._lock:
                found = {r[1] for r in self.db.conn.execute(f"PRAGMA table_info([{table}])")}
            if not found:
                raise KeyError(f"no table {table!r} in the memory database")
            self._columns[table] = found
        return self._columns[table]

    def insert(self, table: str, row: dict[str, Any], *, exact: tuple[str, ...] = ()) -> int:
        """Insert one row (dicts and lists become JSON text, text is redacted except in the `exact` columns,
        which hold keys that must match as given, such as paths) and return its id."""
        if table not in ("incidents", "signatures"):
            row = {**row}
            row.setdefault("created_at", now())
        names = list(row)
        unknown = set(names) - self.columns(table)
        if unknown:
            raise KeyError(f"{table} has no column(s) {', '.join(sorted(unknown))}")
        sql = f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) VALUES ({', '.join('?' for _ in names)})"
        with self.transaction() as conn:
            cursor = conn.execute(sql, [row[n] if n in exact else _cell(row[n]) for n in names])
            return int(cursor.lastrowid or 0)

    def update(self, table: str, pk: Any, values: dict[str, Any]) -> None:
        """Set `values` on the row with primary key `pk` (text redacted)."""
        key = "signature" if table == "signatures" else "id"
        names = list(values)
        unknown = set(names) - self.columns(table)
        if unknown:
            raise KeyError(f"{table} has no column(s) {', '.join(sorted(unknown))}")
        sql = f"UPDATE [{table}] SET {', '.join(f'[{n}] = ?' for n in names)} WHERE [{key}] = ?"
        with self.transaction() as conn:
            conn.execute(sql, [*(_cell(values[n]) for n in names), pk])

    def execute(self, sql: str, params: list[Any] | None = None) -> int:
        """One write statement in its own transaction (parameters as given: redact text first where it
        is stored); returns the number of rows it changed."""
        with self.transaction() as conn:
            return conn.execute(sql, params or []).rowcount

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

    def begin_edit(
        self,
        *,
        project: str,
        path: str,
        backup_path: str,
        before: bytes | None,
        before_sha256: str | None,
        after_sha256: str,
        reason: str,
        diff: str,
    ) -> int:
        """Journal an edit before the file is replaced: state 'pending' until `set_edit_state(id, 'applied')`."""
        return self.insert(
            "edits",
            {
                "project": project,
                "path": path,
                "backup_path": backup_path,
                "reason": reason,
                "diff": diff,
                "undone": 0,
                "before": before,
                "before_existed": int(before is not None),
                "before_sha256": before_sha256,
                "after_sha256": after_sha256,
                "state": "pending",
                "pid": os.getpid(),
            },
            exact=("project", "path", "backup_path"),
        )

    def set_edit_state(self, edit_id: int, state: str) -> None:
        self.update("edits", edit_id, {"state": state, "undone": int(state == "undone")})

    def edits(self, project: str, *, states: tuple[str, ...] = (), path: str | None = None) -> list[dict[str, Any]]:
        """The project's journal, newest first. Rows from before the journal knew its project (NULL) count as
        the project's when their file lies inside it."""
        where = ["(project = ? OR (project IS NULL AND (path = ? OR path LIKE ?)))"]
        params: list[Any] = [project, project, project.rstrip("/") + "/%"]
        if states:
            where.append(f"state IN ({', '.join('?' for _ in states)})")
            params.extend(states)
        if path is not None:
            where.append("path = ?")
            params.append(path)
        return self.rows(f"SELECT * FROM edits WHERE {' AND '.join(where)} ORDER BY id DESC", params)

    def last_edit(self, project: str, path: str | None = None) -> dict[str, Any] | None:
        """The newest applied edit of the project (of one file when `path` is given)."""
        found = self.edits(project, states=("applied",), path=path)
        return found[0] if found else None

    # -- cluster changes (the undo journal of deployment writes) ---------------------------------------

    def begin_change(
        self, *, project: str, namespace: str, kind: str, name: str, tool: str, before: dict[str, Any], summary: str
    ) -> int:
        """Journal a change before it is written: the whole spec it replaces, exact (state 'pending')."""
        return self.insert(
            "cluster_changes",
            {
                "project": project,
                "namespace": namespace,
                "kind": kind,
                "name": name,
                "tool": tool,
                "summary": summary,
                "before": json.dumps(before, sort_keys=True).encode("utf-8"),
                "state": "pending",
                "pid": os.getpid(),
            },
            exact=("project", "namespace", "name"),
        )

    def finish_change(
        self, change_id: int, *, state: str, after: dict[str, Any] | None, generation: int | None, resource_version: str
    ) -> None:
        """The change's outcome: 'applied' with the spec the API server returned and its generation, or 'failed'."""
        blob = json.dumps(after, sort_keys=True).encode("utf-8") if after is not None else None
        self.update(
            "cluster_changes",
            change_id,
            {"state": state, "after": blob, "generation": generation, "resource_version": resource_version},
        )

    def set_change_state(self, change_id: int, state: str, *, expect: tuple[str, ...] = ()) -> bool:
        """Move the change to `state`; with `expect`, only from one of those states, in one statement (two undos
        of one change cannot both go ahead). Whether the row moved."""
        if not expect:
            self.update("cluster_changes", change_id, {"state": state})
            return True
        marks = ", ".join("?" for _ in expect)
        sql = f"UPDATE cluster_changes SET state = ? WHERE id = ? AND state IN ({marks})"
        return self.execute(sql, [state, change_id, *expect]) == 1

    @staticmethod
    def _change_row(row: dict[str, Any]) -> dict[str, Any]:
        for key in ("before", "after"):
            row[key] = json.loads(bytes(row[key]).decode("utf-8")) if row.get(key) is not None else None
        return row

    def cluster_change(self, change_id: int) -> dict[str, Any] | None:
        """One journalled change, its `before` / `after` specs decoded."""
        found = self.rows("SELECT * FROM cluster_changes WHERE id = ?", [change_id])
        return self._change_row(found[0]) if found else None

    def cluster_changes(self, namespaces: list[str], *, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """The changes made in these namespaces, newest first (specs decoded)."""
        if not namespaces:
            return []
        where = [f"namespace IN ({', '.join('?' for _ in namespaces)})"]
        params: list[Any] = list(namespaces)
        if states:
            where.append(f"state IN ({', '.join('?' for _ in states)})")
            params.extend(states)
        sql = f"SELECT * FROM cluster_changes WHERE {' AND '.join(where)} ORDER BY id DESC"
        return [self._change_row(r) for r in self.rows(sql, params)]

    def remember_ready(self, namespace: str, deployment: str, template_hash: str, revision: str | None = None) -> None:
        """Shipshape saw pods of this pod template (pod-template-hash) Ready."""
        if not template_hash:
            return
        seen = now()
        self.execute(
            "INSERT INTO ready_revisions (namespace, deployment, template_hash, revision, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, deployment, template_hash) DO UPDATE SET "
            "last_seen = excluded.last_seen, revision = coalesce(excluded.revision, ready_revisions.revision)",
            [namespace, deployment, template_hash, revision, seen, seen],
        )

    def ready_revisions(self, namespace: str, deployment: str) -> dict[str, str]:
        """pod-template-hash -> when shipshape last saw its pods Ready."""
        rows = self.rows(
            "SELECT template_hash, last_seen FROM ready_revisions WHERE namespace = ? AND deployment = ?",
            [namespace, deployment],
        )
        return {str(r["template_hash"]): str(r["last_seen"]) for r in rows}

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
