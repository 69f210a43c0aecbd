"""The tools that had no command of their own, each as a thin command over the same tool (sqlite-utils' habit:
every feature is a function and a command with the same options):

`shipshape prisma check|fix` (check_prisma_targets, fix_prisma_targets), `shipshape fix suggest|apply`
(suggest_dockerfile_fixes, apply_fix), `shipshape recall` (recall), `shipshape skills [NAME]` (activate_skill).

Each call goes the agent's one way (agent.run.call, through cluster._call): the Policy's guards apply, and
typing a write command is its approval, as for build, patch or scale; `--dry-run` shows the edit and writes
nothing. `TOOL_COMMANDS` in tests/test_cli_tools.py checks that every registered tool has a command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from agent.cli.cluster import CONFIG_HELP, PROJECT_HELP, _call, _Where

JSON_HELP = "Print one JSON document."
# A Prisma check whose status says an image would fail at runtime exits 2, as `analyze` does for its verdict.
PRISMA_FAILING = ("missing-target", "failed")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    prisma_app = typer.Typer(help="Prisma binaryTargets against each image's runtime. Example: shipshape prisma check")
    fix_app = typer.Typer(help="Repairs for a failed build: suggest, then apply. Example: shipshape fix suggest web")
    app.add_typer(prisma_app, name="prisma")
    app.add_typer(fix_app, name="fix")

    @prisma_app.command("check")
    def prisma_check(
        image: str = typer.Option("", "--image", help="Image name (default: every image with a prisma_schema)."),
        target: str = typer.Option("", "--target", help="Prisma binary target (default: read from the Dockerfile)."),
        json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Does each schema generate the query engine its image's runtime needs? (check_prisma_targets). Reads
        only. Exit code 2 when an image lacks its target.

        Example: shipshape prisma check --image frontend --json"""
        args = {"image": image or None, "target": target or None}
        doc = _call("check_prisma_targets", args, json_out, _Where(config, project_dir, ""))
        if not json_out:
            _show_prisma(doc)
        if doc["status"] in PRISMA_FAILING:
            raise typer.Exit(2)

    @prisma_app.command("fix")
    def prisma_fix(
        image: str = typer.Option("", "--image", help="Image name (default: every image with a prisma_schema)."),
        target: str = typer.Option("", "--target", help="Prisma binary target (default: read from the Dockerfile)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show the edit as a diff; write nothing."),
        json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Add the missing binary target to schema.prisma (fix_prisma_targets): a backup first, `shipshape undo`
        reverses it; nothing changes when no target is needed.

        Example: shipshape prisma fix --dry-run"""
        args = {"image": image or None, "target": target or None}
        doc = _call("fix_prisma_targets", args, json_out, _Where(config, project_dir, "", dry_run=dry_run))
        if not json_out:
            _show_prisma(doc)
        if doc["status"] in PRISMA_FAILING:
            raise typer.Exit(2)

    @fix_app.command("suggest")
    def fix_suggest(
        image: str = typer.Argument(..., help="Image name in shipshape.toml."),
        log: str = typer.Option("", "--log", help="The failed build's log file, or - for standard input."),
        category: str = typer.Option("", "--category", help="A failure category, when no log is at hand."),
        json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Concrete repairs for an image's failed build, best first, each with its diff
        (suggest_dockerfile_fixes). Without --log or --category: the image's last recorded failure. Reads only.

        Example: shipshape fix suggest frontend --log build.log"""
        args: dict[str, Any] = {"image": image, "category": category or None}
        if log == "-":
            args["log_text"] = sys.stdin.read()
        elif log:
            # The person named the file, so it is read here: the tool's confinement to the project and shipshape's
            # logs directory guards what a brain may open, and a log in /tmp is a person's everyday case.
            try:
                args["log_text"] = Path(log).read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                from agent.errors import ShipshapeError

                raise ShipshapeError(f"cannot read {log}: {exc.strerror}", code="bad-input") from None
        doc = _call("suggest_dockerfile_fixes", args, json_out, _Where(config, project_dir, ""))
        if json_out:
            return
        typer.echo(f"{image}: {doc['category']}" + (f" (signature {doc['signature']})" if doc["signature"] else ""))
        for plan in doc["fixes"]:
            how = "automatic" if plan["automatic"] else "by hand"
            typer.echo(f"\n{plan['fix_id']} ({how}): {plan['description']}")
            if plan["diff"]:
                typer.echo(plan["diff"].rstrip("\n"))
            elif plan["suggestion"] and plan["suggestion"] != plan["description"]:
                typer.echo(f"  {plan['suggestion']}")
        if not doc["fixes"]:
            typer.echo("no fix is known for it")

    @fix_app.command("apply")
    def fix_apply(
        image: str = typer.Argument(..., help="Image name in shipshape.toml."),
        fix_id: str = typer.Argument(..., help="The fix's id, from `shipshape fix suggest` or `diagnose`."),
        signature: str = typer.Option("", "--signature", help="The failure signature it fixes (for learning)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show the edit as a diff; write nothing."),
        json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """Apply one fix to an image's files (apply_fix): backup, atomic write, `shipshape undo` reverses it; the
        next build of the image decides whether the fix worked.

        Example: shipshape fix apply frontend npm-retry-settings --dry-run"""
        args = {"image": image, "fix_id": fix_id, "signature": signature or None}
        doc = _call("apply_fix", args, json_out, _Where(config, project_dir, "", dry_run=dry_run))
        if json_out:
            return
        typer.echo(f"{fix_id} on {image}: {doc['status']}" + "".join(f"\n  {p}" for p in doc.get("changed") or []))
        if doc["status"] == "suggestion" and doc.get("suggestion"):
            typer.echo(f"  by hand: {doc['suggestion']}")

    @app.command()
    def recall(
        signature: str = typer.Argument("", help="A failure signature, its prefix, or its id from `errors list`."),
        image: str = typer.Option("", "--image", help="An image name: its recent failures and fix attempts."),
        json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
        config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
        project_dir: Path = typer.Option(None, "--project", "-C", help=PROJECT_HELP),
    ) -> None:
        """What memory knows about a failure signature or an image: how often it was seen, the fixes tried and
        whether the next build succeeded (recall). Works without a shipshape.toml.

        Example: shipshape recall --image frontend --json"""
        from agent.errors import ShipshapeError

        args = {"signature": signature or None, "image": image or None}
        doc = _call("recall", args, None, _Anywhere(config, project_dir))
        if signature and doc.get("signature") is None:
            raise ShipshapeError(
                f"memory knows no signature {signature!r} (or the prefix is not unique)",
                "see `shipshape errors list`",
                code="not-found",
            )
        if json_out:
            from agent.cli.common import emit_json

            emit_json(doc)
            return
        _show_recall(doc)

    @app.command()
    def skills(
        name: str = typer.Argument("", help="A skill's name: print its instructions (default: list the skills)."),
        json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """The skills the brains follow (skills/*/SKILL.md); with NAME, its full instructions (activate_skill).

        Example: shipshape skills recover-image-pull"""
        if not name:
            from agent.skills import catalogue

            listed = [{"name": s.name, "description": s.description} for s in catalogue()]
            if json_out:
                from agent.cli.common import emit_json

                emit_json({"ok": True, "skills": listed})
            for s in [] if json_out else listed:
                typer.echo(f"{s['name']}: {s['description']}")
            return
        doc = _call("activate_skill", {"name": name}, json_out, _Anywhere(None, None))
        if not json_out:
            typer.echo(doc["instructions"].rstrip("\n"))


class _Anywhere(_Where):
    """A command that needs no project (memory, skills): the nearest shipshape.toml if there is one, else none."""

    def __init__(self, config: Path | None, project_dir: Path | None) -> None:
        super().__init__(config, project_dir, "")

    def project(self) -> Any:
        from agent.errors import ConfigError
        from agent.project.config import Project, find_config

        if self.config is None:
            try:
                find_config(self.project_dir)
            except ConfigError:
                return Project(root=(self.project_dir or Path.cwd()).resolve(), name="none", images=[])
        return super().project()


def _show_recall(doc: dict[str, Any]) -> None:
    sig = doc.get("signature")
    if sig:
        typer.echo(f"signature #{sig['id']}: {sig['signature']} ({sig.get('category')})")
        typer.echo(f"  seen {len(sig['failures'])} time(s), {len(sig['fix_attempts'])} fix attempt(s)")
        for f in sig["fix_attempts"]:
            typer.echo(f"  fix #{f['id']} {f['fix_id']} on {f['image']}: {f['outcome']} ({f['created_at']})")
    img = doc.get("image")
    if img:
        typer.echo(
            f"image {img['image']}: {len(img['failures'])} failure(s), {len(img['fix_attempts'])} fix attempt(s)"
        )
        for f in img["failures"]:
            typer.echo(f"  failure #{f['id']} {f['category']}: {f['signature']} ({f['created_at']})")
        for f in img["fix_attempts"]:
            typer.echo(f"  fix #{f['id']} {f['fix_id']}: {f['outcome']} ({f['created_at']})")


def _show_prisma(doc: dict[str, Any]) -> None:
    typer.echo(f"prisma: {doc['status']}: {doc['reason']}")
    for entry in doc["images"]:
        targets = ", ".join(entry.get("binary_targets") or []) or "none"
        typer.echo(
            f"  {entry['image']}: {entry['status']}; needs {entry['target']} ({entry['target_source']}); "
            f"binaryTargets {targets}; {entry['schema']}"
        )  # the diff of a fix was shown by the tool's reporter as it was made
