"""`shipshape serve mcp|slack`: the agent behind an MCP server (stdio) or a Slack app (Socket Mode)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from agent.run.assemble import BrainChoice

serve_app = typer.Typer(
    help="Run shipshape as an MCP server or a Slack app. Example: shipshape serve mcp", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(serve_app, name="serve")


def _brain(brain: str) -> BrainChoice:
    from agent.run.assemble import brain_choice

    return brain_choice(brain)


@serve_app.command("mcp")
def mcp(
    project_dir: Path | None = typer.Option(None, "--project", "-C", help="Directory with shipshape.toml."),
    brain: str = typer.Option("auto", help="The brain behind the chat tool: auto, claude or rulebook."),
    allow_writes: bool = typer.Option(
        False, "--allow-writes", help="Offer the writing tools and let chat write without asking."
    ),
) -> None:
    """Serve the read-only tools and `chat` over stdio (point an MCP client at `shipshape serve mcp`).

    Example: shipshape serve mcp --allow-writes"""
    from agent.frontends.mcp import serve

    serve(project_dir, brain=_brain(brain), allow_writes=allow_writes)


@serve_app.command("slack")
def slack(
    project_dir: Path | None = typer.Option(None, "--project", "-C", help="Directory with shipshape.toml."),
    brain: str = typer.Option("auto", help="auto (Claude when ANTHROPIC_API_KEY is set), claude or rulebook."),
    approval_timeout: float = typer.Option(600, help="Seconds to wait for Approve / Deny before it counts as No."),
    approvers: str = typer.Option(
        "",
        envvar="SHIPSHAPE_SLACK_APPROVERS",
        help="Comma-separated Slack user ids allowed to approve (default: anyone).",
    ),
) -> None:
    """Answer mentions and channel messages in Slack over Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN).

    Example: shipshape serve slack"""
    from agent.errors import ShipshapeError

    missing = [name for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN") if not os.environ.get(name)]
    if missing:
        raise ShipshapeError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set",
            "create a Slack app with Socket Mode on (see docs/frontends.md): the bot token starts with xoxb-, "
            "the app-level token (connections:write) with xapp-",
        )
    from agent.frontends.session import agent_factory, open_context
    from agent.frontends.slack import SlackFrontend
    from agent.frontends.slack import serve as serve_slack

    ctx = open_context(project_dir)
    frontend = SlackFrontend(
        agent_factory(ctx, _brain(brain)),
        approval_timeout=approval_timeout,
        approvers={a.strip() for a in approvers.split(",") if a.strip()} or None,
    )
    typer.echo(f"shipshape: connecting {ctx.project.name} to Slack (Socket Mode); Ctrl-C to stop", err=True)
    serve_slack(frontend, os.environ["SLACK_BOT_TOKEN"], os.environ["SLACK_APP_TOKEN"])
