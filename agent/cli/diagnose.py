"""`shipshape diagnose LOG|-`: which known failures a build log shows, its root cause, and what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command()
    def diagnose(
        log: str = typer.Argument(..., help="The build log file, or - to read standard input."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
        image: str = typer.Option("", "--image", help="The image the log belongs to (recorded in memory)."),
        record: bool = typer.Option(True, "--record/--no-record", help="Remember the failure in memory."),
        learn: bool = typer.Option(
            False, "--learn", help="Ask Claude about a failure no pattern explains; remember its answer."
        ),
        context: str = typer.Option(
            "", "--context", help="The build context (Dockerfile, lock files): fixes that fit its tools come first."
        ),
    ) -> None:
        """Name the root cause of a failed docker build from its log, with ranked fixes.

        Example: docker build . 2>&1 | shipshape diagnose - --json
        """
        import sys

        from agent.buildlog import diagnose_path, diagnose_stream

        if log == "-":
            result = diagnose_stream(sys.stdin.buffer)
            source = "stdin"
        else:
            result = diagnose_path(Path(log))
            source = str(Path(log).resolve())
        doc = result.as_dict()
        if record:
            doc = _remember(result, doc, image or None, source, learn)
        if context:
            _fit_fixes(doc, Path(context))
        if json_out:
            from agent.cli.common import emit_json

            emit_json(doc)
            return
        _show(doc)


def _remember(result: Any, doc: dict[str, Any], image: str | None, source: str, learn: bool) -> dict[str, Any]:
    """Record the failure and re-rank its fixes by what memory knows; an unknown failure is named by a learned
    signature (or, with --learn and Claude available, by asking Claude once and remembering the answer)."""
    from agent.cli.common import open_store
    from agent.memory import learned, learning

    store = open_store()
    try:
        doc = learning.remember_diagnosis(store, result, image=image, source=source)
        sig = (doc.get("memory") or {}).get("signature")
        if doc["root_cause"] != "unknown" or not sig:
            return doc
        row = learned.lookup(store, sig)
        if row is None and learn:
            row = _ask_claude(store, result, sig)
        if row is not None:
            doc["root_cause"] = row["category"]
            doc["confidence"] = learned.LEARNED_CONFIDENCE
            doc["learned"] = {"category": row["category"], "line": row["line"], "model": row["model"]}
        return doc
    finally:
        store.close()


def _ask_claude(store: Any, result: Any, sig: str) -> dict[str, Any] | None:
    from agent.brains.classify import classify_excerpt, decisive_excerpt
    from agent.brains.claude import claude_available, default_model
    from agent.buildlog.patterns import load_knowledge
    from agent.memory import learned

    if not claude_available():
        return None
    import anthropic

    client = anthropic.Anthropic(max_retries=1, timeout=30)
    model = default_model()
    try:
        answer = classify_excerpt(decisive_excerpt(result), sorted(load_knowledge().categories()), client, model)
    except anthropic.AnthropicError:
        return None
    if answer is None:
        return None
    learned.learn(store, sig, answer["category"], answer["line"], model)
    return learned.lookup(store, sig)


def _fit_fixes(doc: dict[str, Any], context: Path) -> None:
    """Reorder the root finding's fixes for the tools the build context uses (npm/yarn/pnpm, musl/glibc)."""
    from agent.buildlog.patterns import load_knowledge
    from agent.repair.toolchain import adapt_fixes, detect_toolchain

    if not doc["findings"] or doc["root_cause"] == "unknown":
        return
    knowledge = load_knowledge()
    root = doc["findings"][0]
    shipped = [knowledge.fixes[f["id"]] for f in root["fixes"] if f["id"] in knowledge.fixes]
    shipped += [f for f in knowledge.fixes_for_category(root["category"]) if f not in shipped]
    toolchain = detect_toolchain(context, context / "Dockerfile")
    root["fixes"] = [f.as_dict() for f in adapt_fixes(shipped, toolchain, knowledge)]
    doc["toolchain"] = {"package_manager": toolchain.package_manager, "libc": toolchain.libc}


def _show(doc: dict[str, Any]) -> None:
    from rich.markup import escape

    from agent.cli.common import console

    out = console()
    root = doc["root_cause"]
    colour = "yellow" if root == "unknown" else "red"
    out.print(f"[bold]root cause:[/bold] [{colour}]{root}[/{colour}] (confidence {doc.get('confidence', 0):.2f})")
    if root == "unknown" and doc.get("candidates"):
        likely = ", ".join(f"{c['category']} {c['confidence']:.2f}" for c in doc["candidates"])
        out.print(f"[bold]most likely:[/bold] {likely}")
    if doc.get("failed_step"):
        out.print(f"[bold]failed step:[/bold] {escape(doc['failed_step'])}")
    if doc.get("exit_code") is not None:
        out.print(f"[bold]exit code:[/bold] {doc['exit_code']}")
    if doc.get("memory"):
        mem = doc["memory"]
        out.print(f"[bold]memory:[/bold] seen {mem['count']} time(s) since {mem['first_seen']}")
    for n, finding in enumerate(doc["findings"][:8]):
        mark = "=>" if n == 0 and root != "unknown" else "  "
        out.print(f"{mark} line {finding['line']}: [cyan]{finding['category']}[/cyan]  {escape(finding['excerpt'])}")
        if n == 0:
            out.print(f"   {finding['explanation']}")
            for rank, fix in enumerate(finding["fixes"], 1):
                auto = " (apply_fix can do this)" if fix.get("auto") else ""
                out.print(f"   {rank}. {escape('[' + fix['id'] + ']')} {escape(fix['description'])}{auto}")
    if not doc["findings"]:
        out.print("no known failure in this log (nothing matched, and no failed step was found)")
