"""`shipshape chat`: say what you see; the agent investigates, acts, verifies and remembers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    app.command()(chat)


def chat(
    report: str = typer.Argument(None, help='What you see, e.g. "pods show ImagePullBackOff". Omit to chat.'),
    brain: str = typer.Option("auto", help="auto (Claude when ANTHROPIC_API_KEY is set), claude or rulebook."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve every writing call without asking."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Plan writes without doing them."),
    json_out: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
    max_steps: int = typer.Option(20, help="At most this many brain steps."),
    project_dir: Path = typer.Option(None, "--project", "-C", help="Directory with shipshape.toml."),
    config: Path = typer.Option(None, "--config", "-c", help="shipshape.toml (default: nearest)."),
) -> None:
    """Describe a problem; shipshape fixes it with its tools and verifies the outcome.

    Example: shipshape chat "pods show ImagePullBackOff" --yes"""
    from agent.cli.common import console, emit_json, load, make_context
    from agent.run.assemble import brain_choice, make_agent
    from agent.run.loop import Limits

    choice = brain_choice(brain)
    out = console(json_out)
    project = load(config, project_dir)
    ctx = make_context(project, json_out, dry_run=dry_run)
    interactive = sys.stdin.isatty() and not json_out
    approver = _TerminalApprover(out) if interactive and not yes else None
    reports = [report] if report else None
    if reports is None:
        if not sys.stdin.isatty():
            reports = [line.strip() for line in sys.stdin if line.strip()]
        else:
            out.print("[bold]shipshape[/bold]: say what you see (empty line to quit)")
    ok_all = True
    while True:
        if reports is not None:
            if not reports:
                break
            text = reports.pop(0)
        else:
            text = typer.prompt(">", default="", show_default=False).strip()
            if not text:
                break
        agent = make_agent(
            ctx,
            choice,
            assume_yes=yes,
            approver=approver,
            listener=_Live(out),
            limits=Limits(max_steps=max_steps),
        )
        result = agent.run(text)
        ok_all = ok_all and result.ok
        if json_out:
            emit_json(result.as_json())
        else:
            _summary(out, result)
    if not ok_all:
        print("shipshape: the outcome was not verified (see the checks above)", file=sys.stderr)
        raise typer.Exit(1)


class _Live:
    """Shows each step as it happens."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        from rich.markup import escape

        from agent.redaction import redact
        from agent.run.assemble import result_gist, summarise_input

        def text(value: Any) -> str:
            # What the brain, the tools or the user wrote is text: "[cluster]" must not be read as markup.
            return escape(redact(str(value)))

        if kind == "thought":
            self.out.print(f"[cyan]{escape(data['brain'])}[/cyan]: {text(data['text'])}", markup=True, highlight=False)
        elif kind == "call":
            args = text(summarise_input(data["input"]))
            self.out.print(f"  [bold]→ {text(data['tool'])}[/bold]({args})", highlight=False)
        elif kind == "result":
            mark = "[green]✓[/green]" if data["ok"] else "[red]✗[/red]"
            gist = text(result_gist(data["result"]))
            self.out.print(
                f"    {mark} {text(data['tool'])} in {data['seconds']:.1f} s" + (f": {gist}" if gist else ""),
                highlight=False,
            )
        elif kind in ("error", "denied"):
            self.out.print(f"    [red]✗ {text(data['tool'])}[/red]: {text(data['error'])}", highlight=False)
        elif kind == "planned":
            args = text(summarise_input(data["input"]))
            self.out.print(f"  [yellow]plan (dry run)[/yellow] {text(data['tool'])}({args})", highlight=False)
        elif kind == "fallback":
            self.out.print(f"[yellow]{text(data['text'])}[/yellow]", highlight=False)
        elif kind == "waiting":
            self.out.print(
                f"[dim]{escape(data['brain'])}: waiting for the model, {data['seconds']:.1f} s of "
                f"{data['timeout']:.0f} s[/dim]",
                highlight=False,
            )


def _summary(out: Any, result: Any) -> None:
    from rich.markup import escape
    from rich.panel import Panel

    from agent.redaction import redact
    from agent.run.assemble import outcome_lines, outcome_title

    out.print(
        Panel(
            escape(redact("\n".join([result.answer, "", *outcome_lines(result)]))),
            title=escape(outcome_title(result)),
            border_style="green" if result.ok else "red",
        )
    )


class _TerminalApprover:
    """Yes / Yes for this session / No (with a reason that goes back to the brain)."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def ask(self, tool: str, args: dict[str, Any], why: str) -> Any:
        from rich.markup import escape

        from agent.redaction import redact
        from agent.run.assemble import summarise_input
        from agent.safety import Approval

        asked = escape(redact(f"{tool}({summarise_input(args)})? {why}"))
        self.out.print(f"[yellow]approve[/yellow] {asked}")
        answer = typer.prompt("  [y]es / [s]ession / [n]o", default="y").strip().lower()
        if answer.startswith("s"):
            return Approval("session")
        if answer.startswith("y"):
            return Approval("yes")
        reason = typer.prompt("  why not (goes back to the agent)", default="", show_default=False)
        return Approval("no", reason)
