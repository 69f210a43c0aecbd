"""`shipshape errors list|show|stats` (the learned error database) and `shipshape review` (Datasette)."""

from __future__ import annotations

from typing import Any

import typer

errors_app = typer.Typer(
    help="The learned error database: failures seen, fixes tried, what worked. Example: shipshape errors list",
    no_args_is_help=True,
)


@errors_app.command("list")
def list_cmd(
    unknown: bool = typer.Option(False, "--unknown", help="Only failures the shipped knowledge does not cover."),
    search: str = typer.Option("", "--search", help="Full-text search over failures (category, excerpt, image)."),
    limit: int = typer.Option(50, "--limit", help="At most this many signatures."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Signatures in memory, most frequent first. Example: shipshape errors list --unknown"""
    from agent.memory import learning

    rows = _with_store(lambda s: learning.list_signatures(s, unknown=unknown, search=search or None, limit=limit))
    if json_out:
        from agent.cli.common import emit_json

        emit_json(rows)
        return
    from rich.markup import escape
    from rich.table import Table

    from agent.cli.common import console

    table = Table("id", "count", "category", "known", "last seen", "signature")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["count"]),
            row["category"],
            "yes" if row["known"] else "no",
            str(row["last_seen"])[:19],
            escape(row["signature"][:90]),
        )
    console().print(table if rows else "no failures in memory match")


@errors_app.command("show")
def show_cmd(
    ident: str = typer.Argument(..., help="A signature id (from `errors list`), the signature, or its prefix."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """One signature: its failures, the fixes tried and their outcomes. Example: shipshape errors show 3"""
    from agent.errors import ShipshapeError
    from agent.memory import learning

    row = _with_store(lambda s: learning.show_signature(s, ident))
    if row is None:
        raise ShipshapeError(f"no signature {ident!r} in memory", "see `shipshape errors list`", "not-found")
    if json_out:
        from agent.cli.common import emit_json

        emit_json(row)
        return
    from rich.markup import escape

    from agent.cli.common import console

    out = console()
    out.print(f"[bold]{escape(row['signature'])}[/bold]")
    out.print(f"category {row['category']}, seen {row['count']} time(s), {row['first_seen']} .. {row['last_seen']}")
    for failure in row["failures"]:
        out.print(f"  failure {failure['id']} image={failure['image']} step={escape(str(failure['step']))}")
    for attempt in row["fix_attempts"]:
        out.print(f"  fix {attempt['fix_id']} on {attempt['image']}: {attempt['outcome']}")


@errors_app.command("stats")
def stats_cmd(json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """How much memory has learned: signatures, failures, fixes and their outcomes.

    Example: shipshape errors stats --json"""
    from agent.memory import learning

    doc = _with_store(learning.stats)
    if json_out:
        from agent.cli.common import emit_json

        emit_json(doc)
        return
    from agent.cli.common import console

    out = console()
    out.print(
        f"{doc['signatures']} signatures ({doc['unknown_signatures']} unknown), {doc['failures']} failures, "
        f"{doc['fix_attempts']} fixes tried: {doc['fixes_succeeded']} worked, {doc['fixes_failed']} did not, "
        f"{doc['fixes_pending']} pending"
    )
    for row in doc["by_category"]:
        out.print(f"  {row['category']}: {row['failures']} failures, {row['signatures']} signatures")


def _with_store(read: Any) -> Any:
    from agent.cli.common import open_store

    store = open_store()
    try:
        return read(store)
    finally:
        store.close()


def _metadata_for(db_path: Any) -> Any:
    """data/datasette-metadata.yml with its database renamed to the file's stem (Datasette keys metadata by the
    database name, and SHIPSHAPE_DB may name the file anything)."""
    import tempfile
    from pathlib import Path

    import yaml

    source = Path(__file__).resolve().parents[2] / "data" / "datasette-metadata.yml"
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    doc["databases"] = {Path(db_path).stem: doc["databases"]["memory"]}
    with tempfile.NamedTemporaryFile("w", prefix="shipshape-datasette-", suffix=".yml", delete=False) as handle:
        yaml.safe_dump(doc, handle)
    return Path(handle.name)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(errors_app, name="errors")

    @app.command()
    def review(
        get: str = typer.Option("", "--get", help="Print one page (e.g. /memory/failures.json) instead of serving."),
        port: int = typer.Option(8001, "--port", help="Port to serve on."),
    ) -> None:
        """Browse the memory database in Datasette (titles, column descriptions, facets).

        Example: shipshape review"""
        import subprocess
        import sys

        from agent.cli.common import open_store
        from agent.errors import ShipshapeError

        store = open_store()  # creates and migrates the database if it is new
        db_path = store.path
        store.close()
        metadata = _metadata_for(db_path)
        cmd = [sys.executable, "-m", "datasette", "serve", str(db_path), "--metadata", str(metadata)]
        if get:
            result = subprocess.run([*cmd, "--get", get], capture_output=True, text=True, check=False)
            if result.returncode != 0:
                reason = ((result.stderr + result.stdout).strip().splitlines() or ["no output"])[-1]
                raise ShipshapeError(f"datasette could not answer {get}: {reason}", code="datasette")
            sys.stdout.write(result.stdout)
            return
        try:
            subprocess.run([*cmd, "--port", str(port)], check=False)
        except FileNotFoundError:
            raise ShipshapeError("datasette is not installed", "pip install 'datasette<0.66'") from None
