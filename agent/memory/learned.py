"""Learned signatures: what a model said about a failure no shipped pattern explains, kept so that the same
failure is named the next time without asking again (table `learned_signatures`, created on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.memory.store import now
from agent.redaction import redact

if TYPE_CHECKING:
    from agent.memory.store import Store

TABLE = "learned_signatures"
LEARNED_CONFIDENCE = 0.7


def _ensure(store: Store) -> None:
    with store._lock:
        # IF NOT EXISTS: two processes may both find the table missing (one memory database, many users).
        store.db.table(TABLE).create(
            {"signature": str, "category": str, "line": str, "model": str, "created_at": str},
            pk="signature",
            if_not_exists=True,
        )


def learn(store: Store, signature: str, category: str, line: str, model: str) -> None:
    """Remember the model's category for an unknown signature (and show it in `errors list --unknown`)."""
    _ensure(store)
    # One IMMEDIATE transaction (agent/memory/store.py), and the line redacted like every text memory keeps.
    with store.transaction() as conn:
        conn.execute(
            f"INSERT INTO {TABLE} (signature, category, line, model, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(signature) DO UPDATE SET category = excluded.category, line = excluded.line, "
            "model = excluded.model, created_at = excluded.created_at",
            [signature, category, redact(line), model, now()],
        )
        conn.execute("UPDATE signatures SET category = ? WHERE signature = ? AND known = 0", [category, signature])


def lookup(store: Store, signature: str) -> dict[str, Any] | None:
    """The learned row of a signature, or None."""
    _ensure(store)
    rows = store.rows(f"SELECT * FROM {TABLE} WHERE signature = ?", [signature])
    return rows[0] if rows else None
