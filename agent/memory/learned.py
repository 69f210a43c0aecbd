"""Learned signatures: what a model said about a failure no shipped pattern explains, kept so that the same
failure is named the next time without asking again (table `learned_signatures`, created on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.memory.store import now

if TYPE_CHECKING:
    from agent.memory.store import Store

TABLE = "learned_signatures"
LEARNED_CONFIDENCE = 0.7


def _ensure(store: Store) -> None:
    with store._lock:
        if not store.db.table(TABLE).exists():
            store.db.table(TABLE).create(
                {"signature": str, "category": str, "line": str, "model": str, "created_at": str},
                pk="signature",
            )


def learn(store: Store, signature: str, category: str, line: str, model: str) -> None:
    """Remember the model's category for an unknown signature (and show it in `errors list --unknown`)."""
    _ensure(store)
    with store._lock:
        store.db.table(TABLE).upsert(
            {"signature": signature, "category": category, "line": line, "model": model, "created_at": now()},
            pk="signature",
        )
        store.db.execute("UPDATE signatures SET category = ? WHERE signature = ? AND known = 0", [category, signature])
        store.db.conn.commit()


def lookup(store: Store, signature: str) -> dict[str, Any] | None:
    """The learned row of a signature, or None."""
    _ensure(store)
    rows = store.rows(f"SELECT * FROM {TABLE} WHERE signature = ?", [signature])
    return rows[0] if rows else None
