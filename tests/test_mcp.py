"""The MCP server, driven in-process by the SDK's own client over memory streams, and once over stdio as an
MCP client would start it. The chat tests use the real Claude brain against the stand-in Messages API."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult, TextContent
from standin_anthropic import StandIn, reply, text, tool_use

from agent import tools as registry
from agent.frontends.mcp import NO_APPROVAL, build_server
from agent.frontends.session import open_context

REPO = Path(__file__).resolve().parents[1]
RUNTIME_TARGET = "debian-openssl-3.0.x"  # what the sample's runtime base (node:22-bookworm, OpenSSL 3) needs

pytestmark = pytest.mark.unit


def sample(tmp_path: Path, *, broken: bool = False, auto_approve: list[str] | None = None) -> Path:
    """A copy of the sample app whose cluster paths point at this checkout's .cluster."""
    root = tmp_path / "todo"
    shutil.copytree(REPO / "examples" / "todo", root, ignore=shutil.ignore_patterns("*.backup", "chart", "k8s"))
    config = (root / "shipshape.toml").read_text().replace("../../.cluster", str(REPO / ".cluster"))
    if auto_approve is not None:
        config = config.replace("auto_approve = []", f"auto_approve = {json.dumps(auto_approve)}")
    (root / "shipshape.toml").write_text(config)
    if broken:
        schema = root / "frontend" / "prisma" / "schema.prisma"
        schema.write_text(schema.read_text().replace(f', "{RUNTIME_TARGET}"]', "]"))
    return root


def schema_text(root: Path) -> str:
    return (root / "frontend" / "prisma" / "schema.prisma").read_text()


def text_of(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def run(server: Any, *calls: tuple[str, dict[str, Any]]) -> tuple[list[Any], list[CallToolResult]]:
    """List the tools and make `calls` one after another, in one client session."""
    out: dict[str, Any] = {}

    async def main() -> None:
        async with Client(server, mode="legacy") as client:
            out["tools"] = (await client.list_tools()).tools
            out["results"] = [await client.call_tool(name, args) for name, args in calls]

    anyio.run(main)
    return out["tools"], out["results"]


def test_lists_every_read_only_registry_tool_with_its_schema_and_no_writes(tmp_path: Path) -> None:
    ctx = open_context(sample(tmp_path))
    tools, _ = run(build_server(ctx, brain="rulebook"))
    listed = {t.name: t for t in tools}
    reg = registry.load_all()
    read_only = {n for n, t in reg.items() if not t.writes}
    writes = {n for n, t in reg.items() if t.writes}
    assert read_only and writes
    assert set(listed) == read_only | {"chat"}
    for name in read_only:
        assert listed[name].input_schema == reg[name].schema()["input_schema"]
        assert listed[name].description == reg[name].description
        assert listed[name].annotations is not None and listed[name].annotations.read_only_hint is True
    assert listed["chat"].input_schema["required"] == ["report"]
    assert "context" not in listed["chat"].input_schema["properties"]


def test_allow_writes_or_auto_approve_offers_the_writing_tools(tmp_path: Path) -> None:
    reg = registry.load_all()
    writes = {n for n, t in reg.items() if t.writes}
    ctx = open_context(sample(tmp_path / "a"))
    tools, _ = run(build_server(ctx, brain="rulebook", allow_writes=True))
    assert writes <= {t.name for t in tools}
    ctx = open_context(sample(tmp_path / "b", auto_approve=["fix_prisma_targets"]))
    tools, _ = run(build_server(ctx, brain="rulebook"))
    assert {t.name for t in tools} & writes == {"fix_prisma_targets"}


def test_activate_skill_returns_the_skill_body_and_a_bad_name_is_an_error(tmp_path: Path) -> None:
    ctx = open_context(sample(tmp_path))
    _, (good, bad) = run(
        build_server(ctx, brain="rulebook"),
        ("activate_skill", {"name": "fix-prisma-client"}),
        ("activate_skill", {"name": "no-such-skill"}),
    )
    assert good.is_error is False
    assert good.structured_content is not None and good.structured_content["name"] == "fix-prisma-client"
    assert "binaryTargets" in good.structured_content["instructions"]
    assert bad.is_error is True and "recover-image-pull" in text_of(bad)  # says which skills exist


def test_check_prisma_targets_reads_the_sample_app(tmp_path: Path) -> None:
    root = sample(tmp_path, broken=True)
    before = schema_text(root)
    ctx = open_context(root)
    _, (result, invalid) = run(
        build_server(ctx, brain="rulebook"),
        ("check_prisma_targets", {}),
        ("check_prisma_targets", {"image": 42}),
    )
    assert result.is_error is False and result.structured_content is not None
    assert result.structured_content["status"] == "missing-target"
    assert result.structured_content["images"][0]["target"] == RUNTIME_TARGET
    assert RUNTIME_TARGET in text_of(result)
    assert schema_text(root) == before  # a read
    assert invalid.is_error is True


def test_namespace_outside_the_policy_is_refused(tmp_path: Path) -> None:
    ctx = open_context(sample(tmp_path))
    _, (result,) = run(build_server(ctx, brain="rulebook"), ("cluster_status", {"namespace": "kube-system"}))
    assert result.is_error is True and "namespace 'kube-system' is not allowed" in text_of(result)


def test_parallel_calls_share_memory_safely_on_worker_threads(tmp_path: Path) -> None:
    """Plain def tools run on the SDK's worker threads: the one Store connection must serve them all, writes
    (detect_build_failures records what it finds) and reads (recall) at the same time."""
    ctx = open_context(sample(tmp_path))
    server = build_server(ctx, brain="rulebook")
    results: list[CallToolResult] = []
    log = (
        "npm ERR! code ETIMEDOUT\n"
        "npm ERR! network request to https://registry.npmjs.org/p{n} failed, reason: connect ETIMEDOUT 10.0.{n}.1\n"
    )

    async def main() -> None:
        async with Client(server, mode="legacy") as client:

            async def one(i: int) -> None:
                if i % 3 == 2:
                    results.append(await client.call_tool("recall", {"image": "frontend"}))
                else:
                    args = {"log_text": log.format(n=i), "image": "frontend"}
                    results.append(await client.call_tool("detect_build_failures", args))

            async with anyio.create_task_group() as tg:
                for i in range(12):
                    tg.start_soon(one, i)

    anyio.run(main)
    assert len(results) == 12
    assert [text_of(r) for r in results if r.is_error] == []
    found = ctx.store.rows("SELECT count(*) AS n FROM failures WHERE image = 'frontend'")[0]["n"]
    assert found == 8, found


def test_chat_refuses_a_write_and_the_brain_hears_why(tmp_path: Path, standin_env: StandIn) -> None:
    root = sample(tmp_path, broken=True)
    before = schema_text(root)
    standin_env.script(
        reply(tool_use("fix_prisma_targets", {}, id="toolu_fix")),
        lambda req: reply(text("Could not fix: " + req.result_of("fix_prisma_targets"))),
    )
    ctx = open_context(root)
    _, (result,) = run(build_server(ctx, brain="claude"), ("chat", {"report": "PrismaClientInitializationError"}))
    assert result.is_error is False and result.structured_content is not None
    doc = result.structured_content
    assert doc["ok"] is False and doc["brain"] == "claude" and doc["model_calls"] == 2
    assert doc["steps"] == [{"tool": "fix_prisma_targets", "input": {}, "ok": False, "seconds": 0.0}]
    assert doc["refused"][0]["tool"] == "fix_prisma_targets" and "--allow-writes" in doc["refused"][0]["reason"]
    assert schema_text(root) == before  # nothing was written
    # The brain got the refusal, with how to allow it, as the tool's result.
    seen = standin_env.message_requests[1].tool_results()[0]
    assert seen["is_error"] is True
    assert NO_APPROVAL.split(":")[0] in standin_env.message_requests[1].result_of("fix_prisma_targets")
    assert "--allow-writes" in doc["answer"]
    stored = ctx.store.incident(doc["incident_id"])
    assert stored is not None and stored["steps"][0]["outcome"] == "denied"


def test_chat_with_allow_writes_fixes_the_schema(tmp_path: Path, standin_env: StandIn) -> None:
    root = sample(tmp_path, broken=True)
    standin_env.script(reply(tool_use("fix_prisma_targets", {})), reply(text("Added the musl target.")))
    ctx = open_context(root)
    _, (result,) = run(
        build_server(ctx, brain="claude", allow_writes=True), ("chat", {"report": "PrismaClientInitializationError"})
    )
    assert result.structured_content is not None
    doc = result.structured_content
    assert doc["steps"][0]["ok"] is True and doc["refused"] == []
    assert f'"native", "{RUNTIME_TARGET}"' in schema_text(root)
    assert any(line.startswith("✓ fix_prisma_targets") for line in doc["progress"])


def test_serve_mcp_over_stdio(tmp_path: Path) -> None:
    """The command an MCP client runs: `shipshape serve mcp --project DIR` speaking JSON-RPC on stdio."""
    root = sample(tmp_path)
    script = "import typer; from agent.cli import serve; app = typer.Typer(); serve.register(app); app()"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", script, "serve", "mcp", "--project", str(root), "--brain", "rulebook"],
        cwd=str(REPO),
        env={"SHIPSHAPE_DB": str(tmp_path / "memory.db"), "PATH": "/usr/bin:/bin"},
    )
    out: dict[str, Any] = {}

    async def main() -> None:
        started = time.monotonic()
        async with Client(params, mode="legacy") as client:
            out["tools"] = {t.name for t in (await client.list_tools()).tools}
            out["startup"] = time.monotonic() - started
            out["result"] = await client.call_tool("check_prisma_targets", {})

    anyio.run(main)
    assert "chat" in out["tools"] and "cluster_status" in out["tools"] and "rollout_restart" not in out["tools"]
    assert out["result"].structured_content["status"] == "ok"
    print(f"stdio server: tools listed {out['startup']:.2f} s after start")
