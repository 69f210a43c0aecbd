"""Learning from builds: every failure, every fix tried and whether the next build succeeded; fixes ranked by that.

Ranking: each fix's success rate is smoothed with a Beta prior whose mean comes from the shipped order
(the first shipped fix starts at 0.6, the last at 0.35, prior weight 1 build). A fix that worked once for a
signature therefore outranks every untried fix; one that failed drops below them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.buildlog.signatures import signature as make_signature
from agent.memory.store import now
from agent.redaction import redact

# Findings shown to a brain for one log; the rest stay in memory.
MAX_FINDINGS_SHOWN = 8

if TYPE_CHECKING:
    from agent.buildlog.patterns import Fix
    from agent.buildlog.rootcause import Diagnosis
    from agent.memory.store import Store

PRIOR_TOP = 0.6
PRIOR_BOTTOM = 0.35
PRIOR_WEIGHT = 1.0
SUCCESS, FAILURE, PENDING = "success", "failure", "pending"


def failure_signature(diagnosis: Diagnosis) -> tuple[str, str, str, bool] | None:
    """(signature, category, excerpt, known) of the diagnosis's root cause. known is False when no shipped
    pattern matched (only the exit code or the command gave a category, or nothing did); an unknown failure
    gets its signature from the failed step. None when the log shows no failure at all."""
    root = diagnosis.root
    if root is not None:
        return root.signature, root.category, root.excerpt, not root.pattern.startswith("exit-code-")
    if diagnosis.failed_step:
        text = f"{diagnosis.failed_step} (exit code {diagnosis.exit_code})"
        if diagnosis.last_message:
            text += f": {diagnosis.last_message}"
        text = redact(text)
        return make_signature("unknown", text), "unknown", text, False
    if diagnosis.findings:
        first = diagnosis.findings[0]
        return make_signature("unknown", first.excerpt), "unknown", first.excerpt, False
    return None


def _already_recorded(store: Store, sig: str, source: str | None) -> bool:
    """The same log file, unchanged since its failure was recorded (the build tool records every failed build;
    a later detect_build_failures on that log must not count it twice)."""
    if not source or not Path(source).is_file():
        return False
    written = datetime.fromtimestamp(Path(source).stat().st_mtime, UTC).isoformat(timespec="milliseconds")
    found = store.rows(
        "SELECT created_at FROM failures WHERE source = ? AND signature = ? ORDER BY id DESC LIMIT 1", [source, sig]
    )
    return bool(found) and str(found[0]["created_at"]) >= written


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
    known: bool | None = None,
) -> dict[str, Any]:
    """Store one failure and count its signature (a new unknown signature gets known=0). Returns the signature row."""
    stamp = now()
    sig, excerpt = redact(sig), redact(excerpt)
    with store.transaction() as conn:
        if _already_recorded(store, sig, source):
            return store.rows("SELECT * FROM signatures WHERE signature = ?", [sig])[0]
        # One upsert: two processes recording a new signature at once both count, neither fails.
        conn.execute(
            "INSERT INTO signatures (signature, category, known, count, first_seen, last_seen, example) "
            "VALUES (?, ?, ?, 1, ?, ?, ?) "
            "ON CONFLICT(signature) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen",
            [sig, category, int(known if known is not None else category != "unknown"), stamp, stamp, excerpt],
        )
        conn.execute(
            "INSERT INTO failures (signature, category, image, step, exit_code, line, excerpt, source, build_id, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sig, category, image, redact(step or "") or None, exit_code, line, excerpt, source, build_id, stamp],
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
    sig, category, excerpt, known = found
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
        known=known,
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


def resolve_fix_outcomes(
    store: Store,
    image: str | None,
    build_ok: bool,
    build_id: int | None = None,
    failure_signature: str | None = None,
) -> int:
    """Called after a rebuild of `image`: every pending fix for it is decided by that build. A successful build
    makes them successes. A failed build makes them failures, except a fix whose own failure is gone: when the
    caller passes the new failure's signature and it differs from the one the fix was for, that fix worked
    (the build got past it). Returns how many attempts were resolved."""
    where = "image = ?" if image is not None else "image IS NULL"
    pending = store.rows(
        f"SELECT id, signature FROM fix_attempts WHERE outcome = '{PENDING}' AND {where}",
        [image] if image is not None else [],
    )
    stamp = now()
    failure_signature = redact(failure_signature) if failure_signature is not None else None
    with store.transaction() as conn:
        for row in pending:
            worked = build_ok or (failure_signature is not None and row["signature"] != failure_signature)
            # Only a row still pending is decided: another process may have resolved it meanwhile.
            conn.execute(
                "UPDATE fix_attempts SET outcome = ?, resolved_at = ?, build_id = COALESCE(?, build_id) "
                f"WHERE id = ? AND outcome = '{PENDING}'",
                [SUCCESS if worked else FAILURE, stamp, build_id, row["id"]],
            )
    return len(pending)


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


# -- reading what memory knows (the `shipshape errors` commands and the recall tool) -------------------


def list_signatures(
    store: Store, *, unknown: bool = False, search: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Signatures, most frequent first; `unknown` keeps only those the shipped knowledge does not cover;
    `search` is full-text over failures (category, excerpt, signature, image)."""
    where, params = ["1 = 1"], []
    if unknown:
        where.append("s.known = 0")
    if search:
        matched = [
            r["signature"]
            for r in store.rows(
                "SELECT DISTINCT f.signature FROM failures f JOIN failures_fts ON failures_fts.rowid = f.id "
                "WHERE failures_fts MATCH ?",
                [_fts_query(search)],
            )
        ]
        if not matched:
            return []
        where.append(f"s.signature IN ({', '.join('?' for _ in matched)})")
        params.extend(matched)
    return store.rows(
        f"SELECT s.rowid AS id, s.* FROM signatures s WHERE {' AND '.join(where)} "
        f"ORDER BY s.count DESC, s.last_seen DESC LIMIT {int(limit)}",
        params,
    )


def _fts_query(text: str) -> str:
    """Every word quoted, so that user text is never FTS syntax."""
    words = [w.replace('"', "") for w in text.split() if w.replace('"', "")]
    return " ".join(f'"{w}"' for w in words) or '""'


def show_signature(store: Store, ident: str) -> dict[str, Any] | None:
    """One signature (by row id, exact signature, or unique prefix) with its failures and fix history."""
    rows: list[dict[str, Any]] = []
    if ident.isdigit():
        rows = store.rows("SELECT rowid AS id, * FROM signatures WHERE rowid = ?", [int(ident)])
    if not rows:
        rows = store.rows("SELECT rowid AS id, * FROM signatures WHERE signature = ?", [ident])
    if not rows:
        rows = store.rows("SELECT rowid AS id, * FROM signatures WHERE signature LIKE ? LIMIT 2", [ident + "%"])
        if len(rows) != 1:
            return None
    row = rows[0]
    row["failures"] = store.rows(
        "SELECT id, image, step, exit_code, line, excerpt, source, created_at FROM failures "
        "WHERE signature = ? ORDER BY id DESC LIMIT 20",
        [row["signature"]],
    )
    row["fix_attempts"] = store.rows(
        "SELECT id, fix_id, image, outcome, created_at, resolved_at FROM fix_attempts WHERE signature = ? "
        "ORDER BY id DESC LIMIT 20",
        [row["signature"]],
    )
    row["fix_history"] = fix_history(store, row["signature"])
    return row


def recall(store: Store, *, signature: str | None = None, image: str | None = None) -> dict[str, Any]:
    """What memory knows about a signature (or a signature prefix) and/or an image."""
    out: dict[str, Any] = {}
    if signature:
        out["signature"] = show_signature(store, signature)
    if image:
        out["image"] = {
            "image": image,
            "failures": store.rows(
                "SELECT id, signature, category, step, exit_code, created_at FROM failures WHERE image = ? "
                "ORDER BY id DESC LIMIT 20",
                [image],
            ),
            "fix_attempts": store.rows(
                "SELECT id, signature, fix_id, outcome, created_at, resolved_at FROM fix_attempts "
                "WHERE image = ? ORDER BY id DESC LIMIT 20",
                [image],
            ),
        }
    return out


def stats(store: Store) -> dict[str, Any]:
    """Counts for `shipshape errors stats`."""

    def one(sql: str) -> int:
        return int(store.rows(sql)[0]["n"])

    return {
        "signatures": one("SELECT COUNT(*) AS n FROM signatures"),
        "unknown_signatures": one("SELECT COUNT(*) AS n FROM signatures WHERE known = 0"),
        "failures": one("SELECT COUNT(*) AS n FROM failures"),
        "fix_attempts": one("SELECT COUNT(*) AS n FROM fix_attempts"),
        "fixes_succeeded": one(f"SELECT COUNT(*) AS n FROM fix_attempts WHERE outcome = '{SUCCESS}'"),
        "fixes_failed": one(f"SELECT COUNT(*) AS n FROM fix_attempts WHERE outcome = '{FAILURE}'"),
        "fixes_pending": one(f"SELECT COUNT(*) AS n FROM fix_attempts WHERE outcome = '{PENDING}'"),
        "by_category": store.rows(
            "SELECT category, COUNT(*) AS failures, COUNT(DISTINCT signature) AS signatures FROM failures "
            "GROUP BY category ORDER BY failures DESC"
        ),
        "top_fixes": store.rows(
            "SELECT fix_id, SUM(outcome = 'success') AS succeeded, SUM(outcome = 'failure') AS failed "
            "FROM fix_attempts GROUP BY fix_id ORDER BY succeeded DESC LIMIT 10"
        ),
    }


def remember_log(store: Store, path: Path | None, text: str | None, image: str | None) -> dict[str, Any]:
    """Diagnose a build log (a file already confined by the caller, or the text itself) and record it; the
    result's root finding carries fixes ranked by memory."""
    from agent.buildlog import diagnose_bytes, diagnose_path
    from agent.errors import ShipshapeError

    if path is not None:
        diagnosis = diagnose_path(path)
        source = str(path)
    elif text is not None:
        diagnosis = diagnose_bytes(text)
        source = "text"
    else:
        raise ShipshapeError("detect_build_failures needs log_path or log_text", code="bad-input")
    doc = remember_diagnosis(store, diagnosis, image=image, source=source)
    doc["findings"] = doc["findings"][:MAX_FINDINGS_SHOWN]
    doc["image"] = image
    return doc
