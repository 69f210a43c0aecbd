"""ClaudeBrain through the real anthropic SDK (2.14) against the stand-in Messages server on loopback:
the Turns it produces, the requests it sends (protocol, caching, sorted tools, error results), every
stop_reason, and the failures that must end in BrainUnavailable within a bounded time."""

# ruff: noqa: F811  (pytest fixtures are imported, then named as test parameters)
from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from standin_anthropic import (  # tests/ is on sys.path (rootdir conftest); see the module docstring
    Recorded,
    StandIn,
    error,
    hang,
    pause,
    reply,
    standin,  # noqa: F401  (the fixture)
    standin_env,  # noqa: F401  (the fixture)
    text,
    tool_use,
)

from agent.brains.base import BrainUnavailable, Observation, Step, ToolCall, Trajectory, Turn
from agent.brains.claude import DEFAULT_MODEL, LAST_STEP_NOTE, ClaudeBrain, claude_available

pytestmark = pytest.mark.unit

SYSTEM = "You are shipshape. You keep a team's containers and local Kubernetes deployments healthy."
# Deliberately not sorted: the brain must send them sorted by name.
TOOLS: list[dict[str, Any]] = [
    {
        "name": name,
        "description": f"{name} tool",
        "input_schema": {"type": "object", "properties": {"namespace": {"type": "string"}}},
    }
    for name in ("rollout_restart", "cluster_status", "pod_logs", "check_health")
]


def brain_for(server: StandIn, **kw: Any) -> ClaudeBrain:
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", 5)
    return ClaudeBrain(base_url=server.url, api_key="sk-standin", **kw)


def observe(call: ToolCall, ok: bool = True, text: str = "", denied: bool = False) -> Observation:
    return Observation(call=call, ok=ok, result={} if ok else None, text=text or f"{call.name}: done", denied=denied)


def breakpoints(rec: Recorded) -> list[str]:
    """Where the request put cache_control: 'tool:NAME', 'system', 'message:I'."""
    found = [f"tool:{t['name']}" for t in rec.tools if "cache_control" in t]
    found += ["system" for b in rec.body.get("system") or [] if "cache_control" in b]
    for i, m in enumerate(rec.messages):
        found += [f"message:{i}" for b in m["content"] if "cache_control" in b]
    return found


def strip_cache(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**m, "content": [{k: v for k, v in b.items() if k != "cache_control"} for b in m["content"]]} for m in messages
    ]


def test_two_turn_tool_conversation(standin: StandIn) -> None:
    standin.script(
        reply(text("Checking the cluster first."), tool_use("cluster_status", {"namespace": "todo"})),
        # Reacts to what cluster_status returned, as a real model would.
        lambda req: reply(
            text(f"The status says {req.result_of('cluster_status')!r}; reading logs and health."),
            tool_use("pod_logs", {"namespace": "todo"}),
            tool_use("check_health", {"namespace": "todo"}),
            tool_use("rollout_restart", {"namespace": "todo"}),
        ),
        reply(text("The backend image was missing on the node; it is loaded and /health answers 200.")),
    )
    brain = brain_for(standin)
    traj = Trajectory(report="pods show ImagePullBackOff", system=SYSTEM)

    first = brain.next(traj, TOOLS)
    assert not first.final
    assert [(c.name, c.input) for c in first.calls] == [("cluster_status", {"namespace": "todo"})]
    assert first.calls[0].why == "Checking the cluster first."
    assert first.calls[0].id.startswith("toolu_")
    traj.steps.append(Step(first, [observe(first.calls[0], text="backend: ImagePullBackOff")]))

    second = brain.next(traj, TOOLS)
    assert [c.name for c in second.calls] == ["pod_logs", "check_health", "rollout_restart"]
    assert "backend: ImagePullBackOff" in second.text
    logs, health, restart = second.calls
    traj.steps.append(
        Step(
            second,
            [
                observe(logs, ok=False, text="error: pod not found"),
                observe(health, text="200 OK"),
                observe(restart, ok=False, denied=True, text="denied by the user: not now"),
            ],
        )
    )

    final = brain.next(traj, TOOLS)
    assert final.final and not final.calls
    assert final.text == "The backend image was missing on the node; it is loaded and /health answers 200."
    assert brain.model_calls == 3
    assert standin.violations == []

    r0, r1, r2 = standin.requests
    for rec in (r0, r1, r2):
        assert rec.tool_names == sorted(t["name"] for t in TOOLS) and rec.tools_sorted
        assert rec.body["model"] == DEFAULT_MODEL and rec.body["max_tokens"] == 2048
        assert "temperature" not in rec.body and "tool_choice" not in rec.body
        assert rec.body["system"] == [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]
        last = len(rec.messages) - 1
        assert breakpoints(rec) == ["tool:rollout_restart", "system", f"message:{last}"]
    assert r0.messages == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "pods show ImagePullBackOff", "cache_control": {"type": "ephemeral"}}],
        }
    ]
    # The assistant turn goes back exactly as returned.
    assert r1.messages[1] == {"role": "assistant", "content": first.raw}
    assert first.raw == standin.requests[0].answer.content  # type: ignore[union-attr]
    # All results of the parallel turn, in call order, first in the message; failures and denials flagged.
    results = r2.messages[4]["content"]
    assert [b["tool_use_id"] for b in results] == [logs.id, health.id, restart.id]
    assert [b.get("is_error", False) for b in results] == [True, False, True]
    assert [b["content"] for b in results] == ["error: pod not found", "200 OK", "denied by the user: not now"]
    # Apart from the moving breakpoint, each request extends the previous one: the prefix can be cached.
    assert strip_cache(r2.messages[:3]) == strip_cache(r1.messages)


def test_tokens_are_counted_and_the_prefix_is_cached(standin: StandIn) -> None:
    standin.script(reply(tool_use("cluster_status", {})), reply("done"))
    brain = brain_for(standin)
    traj = Trajectory(report="pods show ImagePullBackOff", system=SYSTEM * 20)
    turn = brain.next(traj, TOOLS)
    traj.steps.append(Step(turn, [observe(turn.calls[0])]))
    final = brain.next(traj, TOOLS)
    assert turn.input_tokens > 0 and turn.output_tokens > 0 and final.input_tokens > turn.input_tokens
    assert brain.input_tokens == turn.input_tokens + final.input_tokens
    assert brain.output_tokens == turn.output_tokens + final.output_tokens
    # Tools and system were written to the cache by the first call and read back by the second.
    assert brain.cache_creation_tokens > 0 and brain.cache_read_tokens > 0


def test_model_comes_from_the_argument_then_the_environment(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    standin.script(reply("a"), reply("b"))
    monkeypatch.setenv("SHIPSHAPE_MODEL", "claude-from-env")
    brain_for(standin).next(Trajectory(report="r"), TOOLS)
    brain_for(standin, model="claude-from-arg").next(Trajectory(report="r"), TOOLS)
    assert [r.body["model"] for r in standin.requests] == ["claude-from-env", "claude-from-arg"]


def test_pause_turn_is_given_back_and_continued(standin: StandIn) -> None:
    standin.script(
        pause(text("Let me think about the cluster.")),
        reply(tool_use("cluster_status", {"namespace": "todo"})),
    )
    brain = brain_for(standin)
    turn = brain.next(Trajectory(report="pods show ImagePullBackOff", system=SYSTEM), TOOLS)
    assert [c.name for c in turn.calls] == ["cluster_status"]
    assert brain.model_calls == 2
    resent = standin.requests[1]
    assert resent.messages[:1] == [
        {k: v for k, v in m.items()} for m in standin.requests[0].messages
    ]  # the conversation itself is unchanged
    assert resent.messages[-1] == {"role": "assistant", "content": [text("Let me think about the cluster.")]}
    # The turn keeps the paused content, so the next request replays the whole assistant turn.
    assert turn.raw[0] == text("Let me think about the cluster.") and turn.raw[1]["type"] == "tool_use"


def test_endless_pause_turn_is_bounded(standin: StandIn) -> None:
    standin.script(*[pause(text(f"still working {i}")) for i in range(10)])
    brain = brain_for(standin)
    turn = brain.next(Trajectory(report="r"), TOOLS)
    assert turn.final and not turn.calls
    assert brain.model_calls == 4 and standin.remaining == 6
    assert "still working 0" in turn.text and "paused the turn 4 times" in turn.text


@pytest.mark.parametrize(
    ("stop_reason", "note"),
    [
        ("end_turn", None),
        ("max_tokens", "max_tokens"),
        ("stop_sequence", "stop sequence"),
        ("refusal", "refusal"),
        ("model_context_window_exceeded", "context window"),
        ("tool_use_v2_from_the_future", "unknown reason (tool_use_v2_from_the_future)"),
    ],
)
def test_every_stop_reason_ends_with_a_final_turn(standin: StandIn, stop_reason: str, note: str | None) -> None:
    standin.script(reply(text("Partial answer"), stop_reason=stop_reason))
    turn = brain_for(standin).next(Trajectory(report="r"), TOOLS)
    assert turn.final and not turn.calls
    assert turn.text.startswith("Partial answer")
    if note is None:
        assert turn.text == "Partial answer"
    else:
        assert "[stopped: " in turn.text and note in turn.text


def test_max_tokens_in_the_middle_of_a_tool_call_runs_nothing(standin: StandIn) -> None:
    standin.script(reply(text("I will restart"), tool_use("rollout_restart", {}), stop_reason="max_tokens"))
    turn = brain_for(standin).next(Trajectory(report="r"), TOOLS)
    assert turn.final and turn.calls == [] and "max_tokens" in turn.text


def test_last_step_forbids_tools_but_keeps_the_cached_prefix(standin: StandIn) -> None:
    standin.script(
        reply(tool_use("cluster_status", {})),
        # A model that still asks for a tool on the last step gets no call run.
        reply(text("Pods are Ready."), tool_use("check_health", {})),
    )
    brain = brain_for(standin)
    traj = Trajectory(report="pods show ImagePullBackOff", system=SYSTEM)
    turn = brain.next(traj, TOOLS)
    traj.steps.append(Step(turn, [observe(turn.calls[0])]))
    final = brain.next(traj, None)
    assert final.final and final.calls == []
    assert final.text.startswith("Pods are Ready.") and "last allowed step" in final.text
    first, last = standin.requests
    assert last.violation is None
    assert last.body["tool_choice"] == {"type": "none"}
    assert last.tools == first.tools  # same definitions, same cache_control: the prefix still matches
    assert last.tool_results()[0]["tool_use_id"] == turn.calls[0].id
    assert last.last_user_text() == LAST_STEP_NOTE


def test_last_step_without_any_history_sends_no_tools(standin: StandIn) -> None:
    standin.script(reply("Nothing to do."))
    turn = brain_for(standin).next(Trajectory(report="r"), None)
    assert turn.final and turn.text == "Nothing to do."
    assert "tools" not in standin.requests[0].body and "tool_choice" not in standin.requests[0].body


def test_history_written_by_another_brain_and_unrun_calls_keep_the_protocol(standin: StandIn) -> None:
    standin.script(reply("ok"))
    status = ToolCall(id="rb-1", name="cluster_status", input={}, why="rulebook")
    restart = ToolCall(id="rb-2", name="rollout_restart", input={"deployment": "web"})
    traj = Trajectory(report="r", steps=[Step(Turn(text="Checking.", calls=[status, restart]), [observe(status)])])
    brain_for(standin).next(traj, TOOLS)
    rec = standin.requests[0]
    assert rec.violation is None
    assert [b["type"] for b in rec.messages[1]["content"]] == ["text", "tool_use", "tool_use"]
    results = rec.tool_results()
    assert [(r["tool_use_id"], r.get("is_error", False)) for r in results] == [("rb-1", False), ("rb-2", True)]
    assert "not run" in results[1]["content"]


def test_529_survived_by_a_retry(standin: StandIn) -> None:
    standin.script(error(529, retry_after_ms=10), reply(tool_use("cluster_status", {})))
    brain = brain_for(standin, max_retries=1)
    turn = brain.next(Trajectory(report="r"), TOOLS)
    assert [c.name for c in turn.calls] == ["cluster_status"]
    assert [r.status for r in standin.requests] == [529, 200]
    assert brain.model_calls == 1


def test_429_then_success_waits_as_told(standin: StandIn) -> None:
    standin.script(error(429, retry_after=0.6), reply("ok"))
    brain = brain_for(standin, max_retries=2)
    turn = brain.next(Trajectory(report="r"), TOOLS)
    assert turn.text == "ok"
    first, second = standin.requests
    assert second.at - first.at >= 0.6  # retry-after respected


def test_permanent_500_gives_up_after_the_retries(standin: StandIn) -> None:
    standin.default = error(500, "database on fire", retry_after_ms=20)
    brain = brain_for(standin, max_retries=2)
    started = time.monotonic()
    with pytest.raises(BrainUnavailable) as info:
        brain.next(Trajectory(report="r"), TOOLS)
    assert time.monotonic() - started < 5
    assert len(standin.requests) == 3
    assert "500" in str(info.value) and "database on fire" in str(info.value) and "after 2 retries" in str(info.value)
    assert "\n" not in str(info.value)
    assert brain.model_calls == 0


def test_overloaded_outage_gives_up(standin: StandIn) -> None:
    standin.default = error(529, retry_after_ms=10)
    with pytest.raises(BrainUnavailable, match="529 overloaded_error"):
        brain_for(standin, max_retries=3).next(Trajectory(report="r"), TOOLS)
    assert len(standin.requests) == 4


def test_unreachable_api_is_unavailable_quickly() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    brain = ClaudeBrain(base_url=f"http://127.0.0.1:{port}", api_key="k", max_retries=1, timeout=2)
    started = time.monotonic()
    with pytest.raises(BrainUnavailable, match="cannot reach the Claude API"):
        brain.next(Trajectory(report="r"), TOOLS)
    assert time.monotonic() - started < 5


def test_hang_times_out(standin: StandIn) -> None:
    standin.script(hang(20))
    brain = brain_for(standin, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BrainUnavailable, match=r"timed out after 0.5 s"):
        brain.next(Trajectory(report="r"), TOOLS)
    assert time.monotonic() - started < 3


def test_hang_then_success_on_retry(standin: StandIn) -> None:
    standin.script(hang(20), reply("back"))
    turn = brain_for(standin, timeout=0.5, max_retries=1).next(Trajectory(report="r"), TOOLS)
    assert turn.text == "back" and len(standin.requests) == 2


def test_wrong_key_is_unavailable_with_a_clear_message(standin: StandIn) -> None:
    standin.api_key = "sk-right"
    brain = ClaudeBrain(base_url=standin.url, api_key="sk-wrong", max_retries=2)
    with pytest.raises(BrainUnavailable, match=r"401.*ANTHROPIC_API_KEY"):
        brain.next(Trajectory(report="r"), TOOLS)
    assert len(standin.requests) == 1  # a 401 is not retried


def test_environment_points_the_brain_at_the_stand_in(standin_env: StandIn) -> None:
    standin_env.script(reply("from env"))
    assert claude_available()
    assert ClaudeBrain(max_retries=0).next(Trajectory(report="r"), TOOLS).text == "from env"
    assert standin_env.requests[0].headers["authorization"] == "Bearer sk-standin"


def test_without_credentials_the_brain_says_what_to_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path))  # no credentials profile on disk either
    assert not claude_available()
    with pytest.raises(BrainUnavailable, match="ANTHROPIC_API_KEY"):
        ClaudeBrain().next(Trajectory(report="r"), TOOLS)


def test_tool_use_without_a_call_is_a_final_turn(standin: StandIn) -> None:
    standin.script(reply(text("Hmm."), stop_reason="tool_use"))
    turn = brain_for(standin).next(Trajectory(report="r"), TOOLS)
    assert turn.final and turn.calls == [] and "no tool call" in turn.text


def test_a_request_the_api_refuses_is_unavailable_not_retried(standin: StandIn) -> None:
    # Two steps that reuse one call id: the API (and the stand-in) refuse duplicate tool_use ids.
    call = ToolCall(id="dup-1", name="cluster_status", input={})
    steps = [Step(Turn(calls=[call]), [observe(call)]) for _ in range(2)]
    with pytest.raises(BrainUnavailable, match=r"400 invalid_request_error: .*unique") as info:
        brain_for(standin, max_retries=2).next(Trajectory(report="r", steps=steps), TOOLS)
    assert len(standin.requests) == 1 and "retries" not in str(info.value)


def test_the_whole_wait_is_bounded_with_progress(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: 60 s per attempt and two retries, about 185 s of silence. Now one configurable bound."""
    monkeypatch.setenv("SHIPSHAPE_MODEL_TIMEOUT", "1.5")
    standin.script(hang(30), hang(30), hang(30))
    brain = ClaudeBrain(base_url=standin.url, api_key="sk-standin", max_retries=2)
    assert brain.timeout == 1.5 and brain.wait_limit == 1.5
    waited: list[float] = []
    brain.on_wait = lambda seconds, limit: waited.append(seconds)
    started = time.monotonic()
    with pytest.raises(BrainUnavailable, match=r"did not answer within 1.5 s"):
        brain.next(Trajectory(report="r"), TOOLS)
    assert time.monotonic() - started < 2.5
    assert len(waited) >= 2 and waited == sorted(waited) and waited[-1] < 1.5
