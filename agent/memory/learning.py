"""Learning from builds: every failure, every fix tried and whether the next build succeeded; fixes ranked by that.

Ranking: each fix's success rate is smoothed with a Beta prior whose mean comes from the shipped order
(the first shipped fix starts at 0.6, the last at 0.3, prior weight 1 build). A fix that worked once for a
signature therefore outranks every untried fix; one that failed drops below them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.memory.signatures import signature as make_signature
from agent.memory.store import now

if TYPE_CHECKING:
    from agent.diagnosis.patterns import Fix
    from agent.diagnosis.rootcause import Diagnosis
    from agent.memory.store import Store

PRIOR_TOP = 0.6
PRIOR_BOTTOM = 0.3
PRIOR_WEIGHT = 1.0
SUCCESS, FAILURE, PENDING = "success", "failure", "pending"


def failure_signature(diagnosis: Diagnosis) -> tuple[str, str, str] | None:
    """(signature, category, excerpt) of the diagnosis's root cause; an unknown failure gets a signature from
    its failed step. None when the log shows no failure at all."""
    root = diagnosis.root
    if root is not None:
        return root.signature, root.category, root.excerpt
    if diagnosis.failed_step:
        text = f"{diagnosis.failed_step} (exit code {diagnosis.exit_code})"
        return make_signature("unknown", text), "unknown", text
    if diagnosis.findings:
        first = diagnosis.findings[0]
        return make_signature("unknown", first.excerpt), "unknown", first.excerpt
    return None


def record_failure(
    store: Store,
    sig: str,
    category: str,
    *,
    excerpt: str,
    image: str | None = None,
    step: str | None = None,
    exit_code: int | None = None,
    line: int | None = None,
    source: str | None = None,
    build_id: int | None = None,
) -> dict[str, Any]:
    """Store one failure and count its signature (a new unknown signature gets known=0). Returns the signature row."""
    stamp = now()
    with store._lock:
        existing = store.rows("SELECT * FROM signatures WHERE signature = ?", [sig])
        if existing:
            store.db.execute("UPDATE signatures SET count = count + 1, last_seen = ? WHERE signature = ?", [stamp, sig])
            store.db.conn.commit()
        else:
            store.db.table("signatures").insert(
                {
                    "signature": sig,
                    "category": category,
                    "known": 0 if category == "unknown" else 1,
                    "count": 1,
                    "first_seen": stamp,
                    "last_seen": stamp,
                    "example": excerpt,
                }
            )
        store.insert(
            "failures",
            {
                "signature": sig,
                "category": category,
                "image": image,
                "step": step,
                "exit_code": exit_code,
                "line": line,
                "excerpt": excerpt,
                "source": source,
                "build_id": build_id,
                "created_at": stamp,
            },
        )
        return store.rows("SELECT * FROM signatures WHERE signature = ?", [sig])[0]


def remember_diagnosis(
    store: Store,
    diagnosis: Diagnosis,
    *,
    image: str | None = None,
    source: str | None = None,
    build_id: int | None = None,
) -> dict[str, Any]:
    """Record the diagnosis's failure and return its dict with memory facts and the root's fixes re-ranked."""
    doc = diagnosis.as_dict()
    found = failure_signature(diagnosis)
    if found is None:
        return doc
    sig, category, excerpt = found
    row = record_failure(
        store,
        sig,
        category,
        excerpt=excerpt,
        image=image,
        step=diagnosis.failed_step,
        exit_code=diagnosis.exit_code,
        line=diagnosis.findings[0].line if diagnosis.findings else None,
        source=source,
        build_id=build_id,
    )
    doc["memory"] = {
        "signature": sig,
        "count": row["count"],
        "known": bool(row["known"]),
        "first_seen": row["first_seen"],
    }
    shipped = diagnosis.root.fixes if diagnosis.root is not None else []
    ranked = rank_fixes(store, sig, shipped)
    if diagnosis.root is not None and doc["findings"]:
        doc["findings"][0]["fixes"] = ranked
    elif ranked:
        doc["memory"]["fixes"] = ranked
    return doc


def record_fix_attempt(
    store: Store, sig: str, fix_id: str, *, image: str | None, description: str = "", build_id: int | None = None
) -> int:
    """A fix was applied for a signature; its outcome is decided by the next build of the image."""
    return store.insert(
        "fix_attempts",
        {
            "signature": sig,
            "fix_id": fix_id,
            "image": image,
            "description": description,
            "outcome": PENDING,
            "build_id": build_id,
        },
    )


def resolve_fix_outcomes(store: Store, image: str | None, build_ok: bool, build_id: int | None = None) -> int:
    """Called after a rebuild of `image`: every pending fix for it succeeded or failed with that build.
    Returns how many attempts were resolved."""
    outcome = SUCCESS if build_ok else FAILURE
    where = "image = ?" if image is not None else "image IS NULL"
    params: list[Any] = [outcome, now(), build_id] + ([image] if image is not None else [])
    with store._lock:
        cursor = store.db.execute(
            f"UPDATE fix_attempts SET outcome = ?, resolved_at = ?, build_id = COALESCE(?, build_id) "
            f"WHERE outcome = '{PENDING}' AND {where}",
            params,
        )
        store.db.conn.commit()
        return int(cursor.rowcount or 0)


def fix_history(store: Store, sig: str) -> dict[str, dict[str, int]]:
    """fix_id -> {"tried", "succeeded", "failed"} for a signature (resolved attempts only count as tried)."""
    rows = store.rows(
        "SELECT fix_id, outcome, COUNT(*) AS n FROM fix_attempts WHERE signature = ? GROUP BY fix_id, outcome", [sig]
    )
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        stats = out.setdefault(row["fix_id"], {"tried": 0, "succeeded": 0, "failed": 0})
        if row["outcome"] == SUCCESS:
            stats["succeeded"] += row["n"]
            stats["tried"] += row["n"]
        elif row["outcome"] == FAILURE:
            stats["failed"] += row["n"]
            stats["tried"] += row["n"]
    return out


def rank_fixes(store: Store, sig: str, shipped: list[Fix]) -> list[dict[str, Any]]:
    """The shipped fixes (plus any fix memory has tried for this signature), best first."""
    history = fix_history(store, sig)
    entries: list[dict[str, Any]] = [f.as_dict() for f in shipped]
    known = {e["id"] for e in entries}
    for fix_id in history:
        if fix_id not in known:
            entries.append({"id": fix_id, "description": "a fix memory has tried for this failure", "auto": False})
    count = len(entries)
    for position, entry in enumerate(entries):
        prior = PRIOR_TOP - (PRIOR_TOP - PRIOR_BOTTOM) * (position / max(count - 1, 1))
        if entry["id"] not in {f.id for f in shipped}:
            prior = PRIOR_BOTTOM
        stats = history.get(entry["id"], {"tried": 0, "succeeded": 0, "failed": 0})
        alpha, beta = PRIOR_WEIGHT * prior, PRIOR_WEIGHT * (1 - prior)
        entry["score"] = round((stats["succeeded"] + alpha) / (stats["tried"] + alpha + beta), 4)
        entry["tried"] = stats["tried"]
        entry["succeeded"] = stats["succeeded"]
        entry["order"] = position
    entries.sort(key=lambda e: (-e["score"], e["order"]))
    for entry in entries:
        del entry["order"]
    return entries


def pending_fixes(store: Store, image: str | None) -> list[dict[str, Any]]:
    """Fix attempts still waiting for the next build of `image`."""
    where = "image = ?" if image is not None else "image IS NULL"
    return store.rows(
        f"SELECT * FROM fix_attempts WHERE outcome = '{PENDING}' AND {where} ORDER BY id",
        [image] if image is not None else [],
    )
