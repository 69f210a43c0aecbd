"""`shipshape serve mcp`: the tool registry and the agent as an MCP server (stdio).

Every read-only registry tool becomes an MCP tool with the registry's own JSON schema and description, so a
tool added to the registry appears here without a change. `chat` runs the whole agent on a report. An MCP
client has no approval channel of ours: writing tools are listed and run only when the server was started
with --allow-writes or the project's `[policy] auto_approve` names them; inside `chat` any other write is
refused, and the refusal (with how to allow it) goes back to the brain as its observation.

Plain `def` tools run on the SDK's worker threads; they share one ToolContext whose Store connection allows
that (check_same_thread=False, writes under the store's lock). Writes, and whole `chat` runs, take one lock
so that two clients never change the project or the cluster at the same time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from pathlib import Path
from typing import Annotated, Any

import anyio.from_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool as MCPTool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, create_model

from agent import tools as registry
from agent.frontends.session import AgentFactory, StepLines, agent_factory, open_context
from agent.run.assemble import BrainChoice, outcome_lines, outcome_title
from agent.run.call import run_direct
from agent.run.loop import Limits
from agent.safety import DenyAll, Policy, redact, redact_value
from agent.tools.context import ToolContext

NO_APPROVAL = (
    "writes need a person's approval and an MCP client cannot give it: start the server with "
    "`shipshape serve mcp --allow-writes`, or list the tool under [policy] auto_approve in shipshape.toml"
)

INSTRUCTIONS = """shipshape keeps a team's container images and local Kubernetes deployments healthy.
Call `chat` with what you see (e.g. "pods show ImagePullBackOff") to let the agent investigate, act and
verify the outcome; call the other tools to ask one question directly (cluster_status, pod_logs, verify_images,
check_prisma_targets, detect_build_failures, recall, ...). Writing tools are refused unless this server allows them."""

CHAT_DESCRIPTION = """Run shipshape's agent on a report of what you see ("pods show ImagePullBackOff",
"the frontend returns 500 with PrismaClientInitializationError", "docker build fails with ETIMEDOUT"). It
investigates with the read-only tools, acts (writes only if this server allows them), verifies the outcome
itself and remembers it. Returns the answer, ok (the outcome was verified), the steps, the verification checks
and the incident id."""


class ShipshapeMCP:
    """The server's state: one ToolContext, the policy for direct calls, and the agent factory for `chat`."""

    def __init__(self, ctx: ToolContext, make_agent: AgentFactory, *, allow_writes: bool = False) -> None:
        self.ctx = ctx
        self.make_agent = make_agent
        self.allow_writes = allow_writes
        self.policy = Policy.from_project(ctx.project, assume_yes=allow_writes)
        self.refuse = DenyAll(NO_APPROVAL)
        self.lock = threading.Lock()

    def exposed(self) -> list[registry.Tool]:
        """Registry tools offered to clients: every read-only one, and the writes this server may run."""
        tools = registry.load_all()
        return [
            tools[n] for n in sorted(tools) if not tools[n].writes or self.allow_writes or n in self.policy.auto_approve
        ]

    def call(self, name: str, args: dict[str, Any]) -> CallToolResult:
        """One registry tool, under the same policy as the agent's calls."""
        if registry.get(name).writes:
            with self.lock:
                done = run_direct(self.ctx, self.policy, name, args, self.refuse)
        else:
            done = run_direct(self.ctx, self.policy, name, args, self.refuse)
        return CallToolResult(
            content=[TextContent(type="text", text=redact(done.text))],
            structured_content=redact_value(done.result or {"ok": False, "error": done.error}),
            is_error=not done.ok,
        )

    def chat(self, report: str, max_steps: int, context: Context | None = None) -> CallToolResult:
        """Run the agent on `report`; progress goes to the client as progress notifications."""
        lines: list[str] = []
        refused: list[dict[str, str]] = []

        def emit(line: str) -> None:
            line = redact(line)
            lines.append(line)
            if context is not None:
                # A client that went away must not stop the run.
                with contextlib.suppress(Exception):
                    anyio.from_thread.run(context.report_progress, float(len(lines)), None, line)

        steps = StepLines(emit)

        def listener(kind: str, data: dict[str, Any]) -> None:
            if kind == "denied":
                refused.append({"tool": str(data["tool"]), "reason": str(data["error"])})
            steps(kind, data)

        with self.lock:
            agent = self.make_agent(self.refuse, listener)
            agent.limits = dataclasses.replace(agent.limits, max_steps=max_steps)
            result = agent.run(report)
        doc = {**result.as_json(), "refused": refused, "progress": lines}
        text = "\n".join([outcome_title(result), "", result.answer, "", *outcome_lines(result)])
        if refused:
            text += "\n\nRefused: " + "; ".join(f"{r['tool']}: {r['reason']}" for r in refused)
        content: list[Any] = [TextContent(type="text", text=redact(text))]
        return CallToolResult(content=content, structured_content=redact_value(doc))

    def _registry_tool(self, tool: registry.Tool) -> MCPTool:
        """An MCP tool whose schema is the registry's and whose arguments are validated by its input model."""
        bases: Any = (tool.input_model, ArgModelBase)
        arg_model: type[ArgModelBase] = create_model(f"{tool.name}_arguments", __base__=bases)

        def run(**kwargs: Any) -> CallToolResult:
            return self.call(tool.name, kwargs)

        return MCPTool(
            fn=run,
            name=tool.name,
            title=None,
            description=tool.description,
            parameters=tool.schema()["input_schema"],
            fn_metadata=FuncMetadata(arg_model=arg_model),
            is_async=False,  # the SDK runs it on a worker thread
            context_kwarg=None,
            annotations=ToolAnnotations(
                read_only_hint=not tool.writes, destructive_hint=tool.writes, open_world_hint=False
            ),
        )

    def server(self) -> MCPServer:
        """The MCPServer with the registry's tools and `chat`."""
        server: MCPServer = MCPServer(
            "shipshape",
            instructions=INSTRUCTIONS,
            tools=[self._registry_tool(t) for t in self.exposed()],
            log_level="WARNING",
        )

        def chat(
            report: Annotated[str, Field(description="What you see, in your own words, with any error text.")],
            context: Context,
            max_steps: Annotated[int, Field(description="At most this many agent steps.", ge=1, le=40)] = 20,
        ) -> CallToolResult:
            return self.chat(report, max_steps, context)

        server.add_tool(
            chat,
            name="chat",
            description=CHAT_DESCRIPTION,
            annotations=ToolAnnotations(read_only_hint=False, destructive_hint=self.allow_writes),
            structured_output=False,
        )
        return server


def build_server(
    ctx: ToolContext,
    *,
    brain: BrainChoice = "auto",
    allow_writes: bool = False,
    make_agent: AgentFactory | None = None,
    limits: Limits | None = None,
) -> MCPServer:
    """The MCP server for `ctx`'s project. `make_agent` replaces the usual brain wiring (tests)."""
    factory = make_agent or agent_factory(ctx, brain, assume_yes=allow_writes, limits=limits)
    return ShipshapeMCP(ctx, factory, allow_writes=allow_writes).server()


def serve(project_dir: Path | None, *, brain: BrainChoice = "auto", allow_writes: bool = False) -> None:
    """Serve over stdio until the client closes the connection. Nothing else may write to stdout."""
    ctx = open_context(project_dir)
    build_server(ctx, brain=brain, allow_writes=allow_writes).run("stdio")
