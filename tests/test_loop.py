"""The tool-calling loop with scripted brains and real (test-registered) tools: approvals, policy, parallel
reads, bounded and redacted observations, the last step without tools, fallback, dry run, persistence."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from agent import tools as registry
from agent.brains.base import BrainUnavailable, ToolCall, Trajectory, Turn
from agent.memory.store import Store
from agent.project.config import project_from_dict
from agent.run.loop import Agent, Limits
from agent.safety import Approval, FunctionApprover, Policy
from agent.tools.context import ToolContext

pytestmark = pytest.mark.unit


class Args(BaseModel):
    namespace: str | None = None
    size: int = 10


WRITES: list[dict[str, Any]] = []
BARRIER = threading.Barrier(2, timeout=5)


def _register() -> None:
    if "test_read" in registry.REGISTRY:
        return

    @registry.tool("test_read", "read something", Args, writes=False)
    def test_read(ctx: ToolContext, args: Args) -> dict[str, Any]:
        return {"ok": True, "data": "x" * args.size, "secret": "password=hunter2"}

    @registry.tool("test_write", "write something", Args, writes=True)
    def test_write(ctx: ToolContext, args: Args) -> dict[str, Any]:
        WRITES.append(args.model_dump())
        return {"ok": True}

    @registry.tool("test_pipe", "a daemon socket that breaks", Args, writes=False)
    def test_pipe(ctx: ToolContext, args: Args) -> dict[str, Any]:
        raise BrokenPipeError(32, "Broken pipe")

    @registry.tool("test_meet", "two of these must run at the same time", Args, writes=False)
    def test_meet(ctx: ToolContext, args: Args) -> dict[str, Any]:
        BARRIER.wait()  # raises BrokenBarrierError if the calls run one after the other
        return {"ok": True}


@pytest.fixture(autouse=True)
def _tools() -> Any:
    _register()
    WRITES.clear()
    yield
    for name in ("test_read", "test_write", "test_meet", "test_pipe"):
        registry.REGISTRY.pop(name, None)


class Scripted:
    """Replays turns; each item is a Turn or a function of the trajectory returning one."""

    name = "scripted"

    def __init__(self, turns: list[Any]) -> None:
        self.turns = list(turns)
        self.model_calls = 0
        self.seen_tools: list[bool] = []
        self.seen: list[Trajectory] = []

    def next(self, trajectory: Trajectory, tools: list[dict[str, Any]] | None) -> Turn:
        self.model_calls += 1
        self.seen_tools.append(tools is not None)
        self.seen.append(trajectory)
        item = self.turns.pop(0) if self.turns else Turn(text="done", final=True)
        if isinstance(item, Exception):
            raise item
        return item(trajectory) if callable(item) else item


def call(name: str, n: int = 1, **inp: Any) -> ToolCall:
    return ToolCall(f"c{n}", name, inp)


@pytest.fixture
def ctx(tmp_path: Path, store: Store) -> ToolContext:
    (tmp_path / "app").mkdir()
    project = project_from_dict(
        {"images": [{"name": "backend", "context": "app"}], "cluster": {"namespace": "todo"}}, tmp_path
    )
    return ToolContext(project=project, store=store)


def agent(ctx: ToolContext, brain: Any, *, yes: bool = False, approver: Any = None, **kw: Any) -> Agent:
    policy = Policy(allowed_namespaces=["todo"], assume_yes=yes)
    return Agent(brain, ctx, policy, approver=approver, **kw)


def test_a_read_then_an_answer_is_saved_with_every_step(ctx: ToolContext, store: Store) -> None:
    brain = Scripted([Turn(calls=[call("test_read")]), Turn(text="all good", final=True)])
    result = agent(ctx, brain).run("pods show ImagePullBackOff")
    assert result.answer == "all good"
    assert [s["tool"] for s in result.steps] == ["test_read"]
    saved = store.incident(result.incident_id)
    assert saved is not None and saved["answer"] == "all good"
    assert [s["tool"] for s in saved["steps"]] == ["test_read"]
    assert "hunter2" not in saved["steps"][0]["result"]
    # the brain saw the observation, redacted
    assert "hunter2" not in brain.seen[-1].observations()[0].text


def test_a_write_waits_for_approval_and_a_no_goes_back_to_the_brain(ctx: ToolContext) -> None:
    asked: list[str] = []

    def no(tool: str, args: dict[str, Any], why: str) -> Approval:
        asked.append(tool)
        return Approval("no", "not during the demo")

    brain = Scripted([Turn(calls=[call("test_write", namespace="todo")]), Turn(text="ok", final=True)])
    agent(ctx, brain, approver=FunctionApprover(no)).run("fix it")
    assert asked == ["test_write"]
    assert WRITES == []
    obs = brain.seen[-1].observations()[0]
    assert obs.denied and "not during the demo" in obs.text


def test_session_approval_is_asked_once(ctx: ToolContext) -> None:
    asked: list[str] = []

    def session(tool: str, args: dict[str, Any], why: str) -> Approval:
        asked.append(tool)
        return Approval("session")

    brain = Scripted([Turn(calls=[call("test_write", 1)]), Turn(calls=[call("test_write", 2)])])
    agent(ctx, brain, approver=FunctionApprover(session)).run("fix it")
    assert asked == ["test_write"] and len(WRITES) == 2


def test_without_anyone_to_ask_writes_are_refused(ctx: ToolContext) -> None:
    brain = Scripted([Turn(calls=[call("test_write")])])
    agent(ctx, brain).run("fix it")
    assert WRITES == []


def test_a_namespace_outside_the_policy_is_refused_even_with_yes(ctx: ToolContext) -> None:
    brain = Scripted([Turn(calls=[call("test_write", namespace="kube-system")])])
    agent(ctx, brain, yes=True).run("fix it")
    assert WRITES == []
    assert "not allowed" in brain.seen[-1].observations()[0].text


def test_independent_reads_in_one_turn_run_in_parallel(ctx: ToolContext) -> None:
    brain = Scripted([Turn(calls=[call("test_meet", 1), call("test_meet", 2)])])
    agent(ctx, brain).run("look")
    observed = brain.seen[-1].observations()
    assert [o.ok for o in observed] == [True, True]


def test_long_results_are_cut_with_advice(ctx: ToolContext) -> None:
    brain = Scripted([Turn(calls=[call("test_read", size=100_000)])])
    agent(ctx, brain).run("look")
    text = brain.seen[-1].observations()[0].text
    assert len(text) < 7000 and "characters cut" in text and "Narrow" in text


def test_the_last_step_is_offered_without_tools(ctx: ToolContext) -> None:
    brain = Scripted([Turn(calls=[call("test_read", i)]) for i in range(5)])
    result = agent(ctx, brain, limits=Limits(max_steps=3)).run("look")
    assert brain.seen_tools == [True, True, False]
    assert len(result.steps) == 2  # the third turn's call was not run
    assert "step limit" in result.answer


def test_an_unreachable_brain_falls_back(ctx: ToolContext) -> None:
    backup = Scripted([Turn(text="rulebook answered", final=True)])
    brain = Scripted([Turn(calls=[call("test_read")]), BrainUnavailable("529 overloaded")])
    result = agent(ctx, brain, fallback=lambda: backup).run("look")
    assert result.answer == "rulebook answered"
    assert result.brain == "scripted+scripted"
    assert any("unavailable" in n for n in backup.seen[-1].notes)


def test_dry_run_plans_writes_without_doing_them(ctx: ToolContext) -> None:
    ctx.dry_run = True
    brain = Scripted([Turn(calls=[call("test_write")])])
    result = agent(ctx, brain).run("fix it")
    assert WRITES == []
    assert result.ok is False
    assert '"dry_run":true' in brain.seen[-1].observations()[0].text


def test_unknown_tools_and_bad_input_become_error_observations(ctx: ToolContext) -> None:
    brain = Scripted([Turn(calls=[call("no_such_tool"), call("test_read", 2, size="big")])])
    agent(ctx, brain).run("look")
    first, second = brain.seen[-1].observations()
    assert not first.ok and "unknown tool" in first.text
    assert not second.ok and "invalid input" in second.text


def test_nothing_changed_is_not_a_verified_outcome(ctx: ToolContext) -> None:
    brain = Scripted([Turn(calls=[call("test_read")]), Turn(text="looks fine", final=True)])
    result = agent(ctx, brain).run("look")
    assert result.ok is False
    assert result.verification["checks"][0]["detail"] == "nothing was changed"


def test_the_chat_progress_line_of_pod_logs_names_the_pods_read() -> None:
    """pod_logs results list log lines per pod, not pod states: no 'None: None (None)' for them."""
    from agent.run.assemble import result_gist

    gist = result_gist({"namespace": "todo", "pods": [{"pod": "todo-frontend-7bff898f5-knhtf", "lines": ["a", "b"]}]})
    assert gist == "todo-frontend-7bff898f5-knhtf: 2 log lines"


def test_a_socket_error_that_escaped_an_engine_is_a_failed_step_with_its_reason(ctx: ToolContext) -> None:
    """An OSError out of a tool is an observation that says what broke, never an exception: a BrokenPipeError
    reaching the CLI's framework ended `shipshape build` with exit 1 and no message."""
    from agent.run.call import run_direct

    observation = run_direct(ctx, Policy(allowed_namespaces=["todo"]), "test_pipe", {})
    assert observation.ok is False
    assert observation.code == "io-error" and observation.error == "test_pipe: [Errno 32] Broken pipe"
