"""The stand-in Messages server itself: its protocol checker rejects what the real API rejects, and its
answers have the shape the SDK expects. Requests here are sent with plain urllib, not the SDK, so a
checker that let bad requests through would be caught."""

# ruff: noqa: F811  (pytest fixtures are imported, then named as test parameters)
from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from standin_anthropic import (  # tests/ is on sys.path (rootdir conftest); see the module docstring
    StandIn,
    error,
    hang,
    reply,
    standin,  # noqa: F401  (the fixture; tests take it as a parameter)
    text,
    tool_use,
)

pytestmark = pytest.mark.unit

TOOLS = [
    {"name": "cluster_status", "description": "pods", "input_schema": {"type": "object"}},
    {"name": "pod_logs", "description": "logs", "input_schema": {"type": "object"}},
]


def post(
    server: StandIn, body: Any, key: str | None = "sk-test", timeout: float = 5, version: str | None = "2026-10-21"
) -> tuple[int, dict[str, Any]]:
    headers = {"content-type": "application/json"}
    if version:
        headers["anthropic-version"] = version
    if key:
        headers["x-api-key"] = key
    req = urllib.request.Request(f"{server.url}/v1/messages", json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def body(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"model": "claude-test", "max_tokens": 100, "messages": messages, **extra}


def conversation(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "pods show ImagePullBackOff"},
        {
            "role": "assistant",
            "content": [
                text("Looking."),
                tool_use("cluster_status", {}, id="toolu_a"),
                tool_use("pod_logs", {"pod": "web"}, id="toolu_b"),
            ],
        },
        {"role": "user", "content": results},
    ]


def result(tid: str, content: str = "ok", **extra: Any) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tid, "content": content, **extra}


def test_well_formed_request_gets_a_message_with_usage(standin: StandIn) -> None:
    standin.script(reply(text("All healthy.")))
    status, answer = post(standin, body(conversation([result("toolu_a"), result("toolu_b")]), tools=TOOLS))
    assert status == 200, answer
    assert answer["type"] == "message" and answer["role"] == "assistant" and answer["model"] == "claude-test"
    assert answer["content"] == [{"type": "text", "text": "All healthy."}]
    assert answer["stop_reason"] == "end_turn" and answer["stop_sequence"] is None
    usage = answer["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["cache_creation_input_tokens"] == 0 and usage["cache_read_input_tokens"] == 0
    assert standin.violations == []


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [
        ({"model": "m", "messages": [{"role": "user", "content": "hi"}]}, "max_tokens"),
        ({"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}, "model"),
        (body([{"role": "user", "content": "hi"}], temperature=0.2), "temperature"),
        (body([{"role": "assistant", "content": "hi"}]), "first message"),
        (body([{"role": "user", "content": "hi"}], tools=[TOOLS[0], TOOLS[0]]), "unique"),
        (body([{"role": "user", "content": "hi"}], tools=[{**TOOLS[0], "name": "bad name"}]), "pattern"),
        (body([{"role": "user", "content": "hi"}], tool_choice={"type": "any"}), "tool_choice"),
        # one of two parallel calls unanswered
        (body(conversation([result("toolu_a")]), tools=TOOLS), "Did not find 2"),
        # results after other content
        (body(conversation([text("here"), result("toolu_a"), result("toolu_b")]), tools=TOOLS), "Did not find"),
        (
            body(conversation([result("toolu_a"), result("toolu_b"), text("x"), result("toolu_a")]), tools=TOOLS),
            "before any other content",
        ),
        # a result for a call that was never made
        (
            body(conversation([result("toolu_a"), result("toolu_b"), result("toolu_zzz")]), tools=TOOLS),
            "unexpected `tool_use_id`",
        ),
        # a tool_use with nothing after it
        (body(conversation([])[:2], tools=TOOLS), "without `tool_result`"),
        # tool history but no tools
        (body(conversation([result("toolu_a"), result("toolu_b")])), "must define tools"),
    ],
)
def test_protocol_violations_are_refused_with_400(
    standin: StandIn, request_body: dict[str, Any], expected: str
) -> None:
    standin.script(reply("never sent"))
    status, answer = post(standin, request_body)
    assert status == 400
    assert answer["type"] == "error" and answer["error"]["type"] == "invalid_request_error"
    assert expected in answer["error"]["message"]
    assert standin.requests[-1].violation == answer["error"]["message"]
    assert standin.remaining == 1, "a refused request must not consume a scripted turn"


def test_more_than_four_cache_breakpoints_are_refused(standin: StandIn) -> None:
    cc = {"type": "ephemeral"}
    system = [{"type": "text", "text": f"part {i}", "cache_control": cc} for i in range(4)]
    status, answer = post(
        standin, body([{"role": "user", "content": [text("hi") | {"cache_control": cc}]}], system=system)
    )
    assert status == 400 and "maximum of 4" in answer["error"]["message"]


def test_unsorted_tools_are_allowed_but_recorded(standin: StandIn) -> None:
    standin.script(reply("ok"), reply("ok"))
    assert post(standin, body([{"role": "user", "content": "hi"}], tools=TOOLS[::-1]))[0] == 200
    assert post(standin, body([{"role": "user", "content": "hi"}], tools=TOOLS))[0] == 200
    assert [r.tools_sorted for r in standin.requests] == [False, True]


def test_missing_or_wrong_key_is_401(standin: StandIn) -> None:
    standin.script(reply("ok"))
    status, answer = post(standin, body([{"role": "user", "content": "hi"}]), key=None)
    assert status == 401 and answer["error"]["type"] == "authentication_error"
    standin.api_key = "sk-right"
    assert post(standin, body([{"role": "user", "content": "hi"}]), key="sk-wrong")[0] == 401
    assert post(standin, body([{"role": "user", "content": "hi"}]), key="sk-right")[0] == 200


def test_scripted_errors_carry_retry_headers(standin: StandIn) -> None:
    standin.script(error(529), error(429, retry_after=2, retry_after_ms=5))
    req = urllib.request.Request(
        f"{standin.url}/v1/messages",
        json.dumps(body([{"role": "user", "content": "hi"}])).encode(),
        {"x-api-key": "k", "content-type": "application/json", "anthropic-version": "2026-10-21"},
    )
    with pytest.raises(urllib.error.HTTPError) as first:
        urllib.request.urlopen(req, timeout=5)
    assert first.value.code == 529 and json.loads(first.value.read())["error"]["type"] == "overloaded_error"
    with pytest.raises(urllib.error.HTTPError) as second:
        urllib.request.urlopen(req, timeout=5)
    assert second.value.code == 429
    assert second.value.headers["retry-after"] == "2" and second.value.headers["retry-after-ms"] == "5"


def test_script_functions_see_the_tool_results(standin: StandIn) -> None:
    standin.script(lambda req: reply(f"status said: {req.result_of('cluster_status')}"))
    results = [result("toolu_a", "web: ImagePullBackOff"), result("toolu_b", "boom", is_error=True)]
    status, answer = post(standin, body(conversation(results), tools=TOOLS))
    assert status == 200
    assert answer["content"][0]["text"] == "status said: web: ImagePullBackOff"
    assert [r["is_error"] for r in standin.requests[0].tool_results() if "is_error" in r] == [True]


def test_an_exhausted_script_answers_500_and_marks_the_request(standin: StandIn) -> None:
    status, answer = post(standin, body([{"role": "user", "content": "hi"}]))
    assert status == 500 and "no scripted turn" in answer["error"]["message"]
    assert standin.requests[0].unscripted
    standin.default = error(529)
    assert post(standin, body([{"role": "user", "content": "hi"}]))[0] == 529
    assert post(standin, body([{"role": "user", "content": "hi"}]))[0] == 529


def test_repeated_prefix_is_read_from_the_simulated_cache(standin: StandIn) -> None:
    cc = {"type": "ephemeral"}
    tools = [TOOLS[0], {**TOOLS[1], "cache_control": cc}]
    system = [{"type": "text", "text": "You keep containers healthy. " * 50, "cache_control": cc}]
    standin.script(reply("a"), reply("b"))
    first = post(standin, body([{"role": "user", "content": "one"}], tools=tools, system=system))[1]["usage"]
    second = post(standin, body([{"role": "user", "content": "two"}], tools=tools, system=system))[1]["usage"]
    assert first["cache_creation_input_tokens"] > 300 and first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0


def test_hang_outlasts_the_client_timeout(standin: StandIn) -> None:
    standin.script(hang(10))
    started = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        post(standin, body([{"role": "user", "content": "hi"}]), timeout=0.5)
    assert time.monotonic() - started < 3


def test_prefixes_below_the_minimum_are_not_cached(standin: StandIn) -> None:
    cc = {"type": "ephemeral"}
    system = [{"type": "text", "text": "short", "cache_control": cc}]
    standin.min_cache_tokens = 1024
    standin.script(reply("a"), reply("b"))
    for _ in range(2):
        usage = post(standin, body([{"role": "user", "content": "hi"}], system=system))[1]["usage"]
        assert usage["cache_creation_input_tokens"] == 0 and usage["cache_read_input_tokens"] == 0


def test_the_version_header_is_required(standin: StandIn) -> None:
    standin.script(reply("ok"))
    status, answer = post(standin, body([{"role": "user", "content": "hi"}]), version=None)
    assert status == 400 and "anthropic-version" in answer["error"]["message"]
