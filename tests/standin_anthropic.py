"""A stand-in Anthropic Messages API on loopback, for tests that drive the real `anthropic` SDK.

It is a real HTTP server (127.0.0.1, a free port, one thread per connection) that answers
`POST /v1/messages` from a script, checks the protocol of every request the way the real API does, and
records every request for assertions. The SDK reaches it through `base_url` (or `ANTHROPIC_BASE_URL`).

Scripting API::

    # tests/ is on sys.path under pytest (its conftest.py has no package around it), so the module is
    # `standin_anthropic`; `tests.standin_anthropic` needs `pythonpath = ["."]` in the pytest settings.
    from standin_anthropic import standin, reply, text, tool_use, error, hang, pause

    def test_recovery(standin):                      # the fixture: a started server, closed afterwards
        standin.script(
            reply(tool_use("cluster_status", {"namespace": "todo"})),   # stop_reason "tool_use"
            lambda req: reply(text("pods: " + req.result_of("cluster_status"))),   # reacts to the result
        )
        brain = ClaudeBrain(base_url=standin.url, api_key="test")
        ...
        assert standin.requests[1].tool_results()[0]["is_error"] is False

Entries, one consumed per request, in order:

- ``reply(*blocks, stop_reason=None)``: an assistant message. Blocks are ``text("...")``, ``tool_use(name,
  input, id=None)`` or any dict; a bare string is a text block. ``stop_reason`` defaults to ``"tool_use"``
  when a tool_use block is present, else ``"end_turn"``; any string is passed through (``"max_tokens"``,
  ``"refusal"``, ``"model_context_window_exceeded"``, made-up ones).
- ``pause(*blocks)``: the same with ``stop_reason="pause_turn"``.
- ``error(status, message=None, retry_after=None, retry_after_ms=None, should_retry=None)``: an error
  answer with the API's error body; the type follows the status (429 rate_limit_error, 529
  overloaded_error, 500 api_error, 401 authentication_error, ...).
- ``hang(seconds)``: answer nothing for that long (past the client's timeout), then close.
- a callable ``f(request) -> entry``: decided when the request arrives; ``request`` is a `Recorded`
  (``.body``, ``.headers``, ``.tool_results()``, ``.result_of(tool_name)``, ``.last_user_text()``).

``standin.default`` answers once the script is used up (default: a 500 with ``x-should-retry: false`` and
the request marked ``unscripted``); set ``standin.default = error(529)`` for an outage. ``standin.api_key``
(default None: any key) makes every other key a 401.

Protocol checks (a violation is answered 400 ``invalid_request_error`` and recorded in
``Recorded.violation``): the ``anthropic-version`` header; ``model`` and ``max_tokens`` present; no
``temperature`` (2.x no longer takes it); the first message is the user's; unique, well-formed tool names;
``tool_choice`` consistent with ``tools``; every ``tool_use`` answered by a ``tool_result`` with the same id
at the start of the very next user message (all of them, results before any other block) and no
``tool_result`` without its ``tool_use``; tool history only with ``tools`` defined (``tool_choice: none`` to
forbid calls); at most 4 ``cache_control`` breakpoints. Sorted tools are not a rule:
``Recorded.tools_sorted`` records it.

Usage numbers are computed from the request (characters / 4). Prompt caching is simulated: the content up
to each ``cache_control`` breakpoint (tools, then system, then messages) is remembered, and a later request
with the same prefix reports it as ``cache_read_input_tokens`` instead of ``cache_creation_input_tokens``;
``standin.min_cache_tokens`` (default 0) leaves shorter prefixes uncached, as the real API does silently.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = [
    "Recorded",
    "StandIn",
    "check_request",
    "error",
    "hang",
    "pause",
    "reply",
    "standin",
    "standin_env",
    "text",
    "tool_use",
]

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    504: "api_error",
    529: "overloaded_error",
}
_ids = itertools.count(1)


# --- script entries ---------------------------------------------------------------------------------------


@dataclass
class Reply:
    content: list[dict[str, Any]]
    stop_reason: str
    stop_sequence: str | None = None


@dataclass
class Error:
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hang:
    seconds: float


Entry = Reply | Error | Hang | Callable[["Recorded"], "Reply | Error | Hang"]


def text(s: str) -> dict[str, Any]:
    """A text content block."""
    return {"type": "text", "text": s}


def tool_use(name: str, input: dict[str, Any] | None = None, id: str | None = None) -> dict[str, Any]:
    """A tool_use content block; the id is generated (``toolu_standin_N``) unless given."""
    return {"type": "tool_use", "id": id or f"toolu_standin_{next(_ids)}", "name": name, "input": input or {}}


def reply(*blocks: dict[str, Any] | str, stop_reason: str | None = None, stop_sequence: str | None = None) -> Reply:
    """An assistant message; stop_reason defaults to tool_use when a tool_use block is present."""
    content = [text(b) if isinstance(b, str) else b for b in blocks]
    if stop_reason is None:
        stop_reason = "tool_use" if any(b.get("type") == "tool_use" for b in content) else "end_turn"
    return Reply(content, stop_reason, stop_sequence)


def pause(*blocks: dict[str, Any] | str) -> Reply:
    """An assistant message paused by the API (stop_reason pause_turn)."""
    return reply(*blocks, stop_reason="pause_turn")


def error(
    status: int,
    message: str | None = None,
    *,
    retry_after: float | None = None,
    retry_after_ms: float | None = None,
    should_retry: bool | None = None,
) -> Error:
    """An error answer: status, the API's error body, and the retry headers the SDK reads."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    if retry_after_ms is not None:
        headers["retry-after-ms"] = str(retry_after_ms)
    if should_retry is not None:
        headers["x-should-retry"] = "true" if should_retry else "false"
    default = {429: "Rate limited", 529: "Overloaded", 401: "invalid x-api-key"}.get(status, "Internal server error")
    return Error(status, message or default, headers)


def hang(seconds: float = 30.0) -> Hang:
    """Answer nothing for `seconds` (longer than the client's timeout), then drop the connection."""
    return Hang(seconds)


# --- what was received ------------------------------------------------------------------------------------


@dataclass
class Recorded:
    """One request as the stand-in received it, and how it answered."""

    path: str
    headers: dict[str, str]
    body: Any
    at: float
    status: int = 0
    violation: str | None = None
    unscripted: bool = False
    answer: Reply | Error | Hang | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or []) if isinstance(self.body, dict) else []

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.body.get("tools") or []) if isinstance(self.body, dict) else []

    @property
    def tool_names(self) -> list[str]:
        return [str(t.get("name")) for t in self.tools]

    @property
    def tools_sorted(self) -> bool:
        return self.tool_names == sorted(self.tool_names)

    def tool_results(self) -> list[dict[str, Any]]:
        """The tool_result blocks of the last user message, in order."""
        users = [m for m in self.messages if m.get("role") == "user"]
        if not users or not isinstance(users[-1].get("content"), list):
            return []
        return [b for b in users[-1]["content"] if b.get("type") == "tool_result"]

    def result_of(self, tool: str) -> str:
        """The text of the last tool_result answering a call of `tool` ("" when there is none)."""
        names = {
            b.get("id"): b.get("name")
            for m in self.messages
            if m.get("role") == "assistant" and isinstance(m.get("content"), list)
            for b in m["content"]
            if b.get("type") == "tool_use"
        }
        found = ""
        for m in self.messages:
            if m.get("role") != "user" or not isinstance(m.get("content"), list):
                continue
            for b in m["content"]:
                if b.get("type") == "tool_result" and names.get(b.get("tool_use_id")) == tool:
                    found = _result_text(b)
        return found

    def last_user_text(self) -> str:
        """The plain text blocks of the last user message, joined."""
        users = [m for m in self.messages if m.get("role") == "user"]
        if not users:
            return ""
        content = users[-1].get("content")
        if isinstance(content, str):
            return content
        return "\n".join(b.get("text", "") for b in content or [] if b.get("type") == "text")


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content", "")
    if isinstance(content, str):
        return content
    return "\n".join(c.get("text", "") for c in content if isinstance(c, dict))


# --- the protocol checker ---------------------------------------------------------------------------------


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _check_tools(body: dict[str, Any]) -> str | None:
    tools = body.get("tools")
    if tools is None:
        tools = []
    if not isinstance(tools, list):
        return "tools: Input should be a valid list"
    seen: set[str] = set()
    for i, tool in enumerate(tools):
        name = tool.get("name") if isinstance(tool, dict) else None
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            return f"tools.{i}.name: String should match pattern '{TOOL_NAME.pattern}'"
        if name in seen:
            return f"tools: Tool names must be unique (duplicate: {name})"
        seen.add(name)
        schema = tool.get("input_schema")
        if "type" not in tool and (not isinstance(schema, dict) or schema.get("type") != "object"):
            return f"tools.{i}.input_schema: Input should be a JSON schema of type object"
    choice = body.get("tool_choice")
    if choice is not None:
        kind = choice.get("type") if isinstance(choice, dict) else None
        if kind not in {"auto", "any", "tool", "none"}:
            return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'"
        if kind in {"any", "tool"} and not tools:
            return "tool_choice: may only be specified while providing tools"
        if kind == "tool" and choice.get("name") not in seen:
            return f"tool_choice.name: tool {choice.get('name')!r} not found in tools"
    return None


def _check_messages(body: dict[str, Any], require_tools: bool) -> str | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in {"user", "assistant"}:
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        if not m.get("content") and not (i == len(messages) - 1 and m["role"] == "assistant"):
            return (
                f"messages.{i}: all messages must have non-empty content "
                "except for the optional final assistant message"
            )
    if messages[0]["role"] != "user":
        return "messages.0.role: the first message must use the user role"
    used: set[str] = set()
    has_tool_blocks = False
    for i, m in enumerate(messages):
        blocks = _blocks(m)
        if m["role"] == "assistant":
            ids = [b.get("id") for b in blocks if b.get("type") == "tool_use"]
            has_tool_blocks = has_tool_blocks or bool(ids)
            for tid in ids:
                if not isinstance(tid, str) or tid in used:
                    return f"messages.{i}: `tool_use` ids must be unique strings ({tid!r})"
                used.add(tid)
            if not ids:
                continue
            nxt = messages[i + 1] if i + 1 < len(messages) else None
            if nxt is None or nxt["role"] != "user":
                return (
                    f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(ids)}. Each `tool_use` block must have a corresponding `tool_result` block in "
                    "the next message."
                )
            nblocks = _blocks(nxt)
            lead = list(itertools.takewhile(lambda b: b.get("type") == "tool_result", nblocks))
            answered = [b.get("tool_use_id") for b in lead]
            missing = [t for t in ids if t not in answered]
            if missing:
                return (
                    f"messages.{i + 1}: Did not find {len(ids)} `tool_result` block(s) at the beginning of this "
                    f"message (missing: {', '.join(missing)}). Messages following `tool_use` blocks must begin "
                    "with a matching number of `tool_result` blocks."
                )
        else:
            prev = _blocks(messages[i - 1]) if i > 0 and messages[i - 1]["role"] == "assistant" else []
            prev_ids = {b.get("id") for b in prev if b.get("type") == "tool_use"}
            in_lead = True
            for j, b in enumerate(blocks):
                if b.get("type") != "tool_result":
                    in_lead = False
                    continue
                has_tool_blocks = True
                if not in_lead:
                    return f"messages.{i}.content.{j}: `tool_result` blocks must come before any other content"
                if b.get("tool_use_id") not in prev_ids:
                    return (
                        f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{b.get('tool_use_id')}. Each `tool_result` block must have a corresponding `tool_use` "
                        "block in the previous message."
                    )
    if require_tools and has_tool_blocks and not body.get("tools"):
        return "Requests which include `tool_use` or `tool_result` blocks must define tools."
    return None


def _count_breakpoints(body: dict[str, Any]) -> int:
    count = 1 if body.get("cache_control") else 0
    count += sum(1 for t in body.get("tools") or [] if isinstance(t, dict) and t.get("cache_control"))
    system = body.get("system")
    if isinstance(system, list):
        count += sum(1 for b in system if isinstance(b, dict) and b.get("cache_control"))
    for m in body.get("messages") or []:
        if isinstance(m, dict):
            count += sum(1 for b in _blocks(m) if b.get("cache_control"))
    return count


def check_request(body: Any, require_tools_with_tool_history: bool = True) -> str | None:
    """The first protocol violation in a Messages request body, or None when it is well formed."""
    if not isinstance(body, dict):
        return "The request body is not a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if "max_tokens" not in body:
        return "max_tokens: Field required"
    if not isinstance(body["max_tokens"], int) or body["max_tokens"] < 0:
        return "max_tokens: Input should be a non-negative integer"
    if "temperature" in body:
        return "temperature: Extra inputs are not permitted"
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        return "system: Input should be a string or a list of text blocks"
    problem = _check_tools(body) or _check_messages(body, require_tools_with_tool_history)
    if problem:
        return problem
    if _count_breakpoints(body) > 4:
        return f"A maximum of 4 blocks with cache_control may be provided. Found {_count_breakpoints(body)}."
    return None


# --- usage and the cache simulation ----------------------------------------------------------------------


def _strip_cache(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_cache(v) for k, v in obj.items() if k != "cache_control"}
    if isinstance(obj, list):
        return [_strip_cache(v) for v in obj]
    return obj


def _segments(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """The request's cacheable blocks in prefix order, each as (canonical text, carries a breakpoint)."""
    out: list[tuple[str, bool]] = []

    def add(kind: str, block: Any) -> None:
        marked = isinstance(block, dict) and bool(block.get("cache_control"))
        out.append((kind + json.dumps(_strip_cache(block), sort_keys=True), marked))

    for t in body.get("tools") or []:
        add("tool:", t)
    system = body.get("system")
    for b in [text(system)] if isinstance(system, str) else system or []:
        add("system:", b)
    for m in body.get("messages") or []:
        for b in _blocks(m):
            add(m.get("role", "") + ":", b)
    return out


def _tokens(chars: int) -> int:
    return max(1, chars // 4)


# --- the server -------------------------------------------------------------------------------------------


class StandIn:
    """The running stand-in: `url`, the `script`, the `requests` it received."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Recorded] = []
        self.default: Entry | None = None
        self.api_key: str | None = None
        self.require_tools_with_tool_history = True
        self.model_echo: str | None = None
        # Like the real API, a breakpoint whose prefix is shorter than this is silently not cached.
        self.min_cache_tokens = 0
        self._script: list[Entry] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._cache: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # scripting
    def script(self, *entries: Entry) -> StandIn:
        """Append entries to the script; each request consumes the next one."""
        with self._lock:
            self._script.extend(entries)
        return self

    @property
    def remaining(self) -> int:
        """How many scripted entries have not been used yet."""
        with self._lock:
            return len(self._script)

    @property
    def violations(self) -> list[str]:
        return [r.violation for r in self.requests if r.violation]

    @property
    def message_requests(self) -> list[Recorded]:
        """The requests to /v1/messages, in arrival order."""
        return [r for r in self.requests if r.path.startswith("/v1/messages")]

    # life cycle
    def start(self) -> StandIn:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="standin-anthropic", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # answering
    def _next_entry(self, rec: Recorded) -> Reply | Error | Hang:
        with self._lock:
            entry = self._script.pop(0) if self._script else self.default
        if entry is None:
            rec.unscripted = True
            return Error(500, "stand-in: no scripted turn left for this request", {"x-should-retry": "false"})
        return entry(rec) if callable(entry) else entry

    def _message(self, body: dict[str, Any], answer: Reply) -> dict[str, Any]:
        segments = _segments(body)
        total = _tokens(len(json.dumps(body)))
        read = created = 0
        prefix = hashlib.sha256()
        prefix_chars = 0
        with self._lock:
            for seg, marked in segments:
                prefix.update(seg.encode())
                prefix_chars += len(seg)
                if not marked or _tokens(prefix_chars) < self.min_cache_tokens:
                    continue
                key = prefix.hexdigest()
                if key in self._cache:
                    read = _tokens(prefix_chars)
                    created = 0
                else:
                    created = _tokens(prefix_chars) - read
                    self._cache.add(key)
        return {
            "id": f"msg_standin_{next(_ids)}",
            "type": "message",
            "role": "assistant",
            "model": self.model_echo or body.get("model"),
            "content": answer.content,
            "stop_reason": answer.stop_reason,
            "stop_sequence": answer.stop_sequence,
            "usage": {
                "input_tokens": max(1, total - read - created),
                "output_tokens": _tokens(len(json.dumps(answer.content))),
                "cache_creation_input_tokens": created,
                "cache_read_input_tokens": read,
            },
        }


def _error_body(status: int, message: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
        "request_id": f"req_standin_{next(_ids)}",
    }


def _make_handler(owner: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            return

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", payload.get("request_id") or f"req_standin_{next(_ids)}")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw or b"null")
            except ValueError:
                body = None
            rec = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
            with owner._lock:
                owner.requests.append(rec)
            if self.path.split("?")[0] != "/v1/messages":
                rec.status = 404
                self._send(404, _error_body(404, f"stand-in serves only /v1/messages, not {self.path}"))
                return
            key = rec.headers.get("x-api-key") or rec.headers.get("authorization", "").removeprefix("Bearer ")
            if not key or (owner.api_key is not None and key != owner.api_key):
                rec.status = 401
                self._send(401, _error_body(401, "invalid x-api-key"), {"x-should-retry": "false"})
                return
            violation = check_request(body, owner.require_tools_with_tool_history)
            if violation is None and not rec.headers.get("anthropic-version"):
                violation = "anthropic-version: header is required"
            if violation is None and body.get("stream"):
                violation = "stream: the stand-in does not stream; send stream=false"
            if violation:
                rec.status, rec.violation = 400, violation
                self._send(400, _error_body(400, violation))
                return
            answer = owner._next_entry(rec)
            rec.answer = answer
            if isinstance(answer, Hang):
                rec.status = 0
                owner._stop.wait(answer.seconds)
                self.close_connection = True
                return
            if isinstance(answer, Error):
                rec.status = answer.status
                self._send(answer.status, _error_body(answer.status, answer.message), answer.headers)
                return
            rec.status = 200
            self._send(200, owner._message(body, answer))

    return Handler


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A started stand-in Messages server on 127.0.0.1; closed (and any hang released) after the test."""
    server = StandIn().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def standin_env(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    """The stand-in, with ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY pointing the SDK (and subprocesses) at it."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-standin")
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    return standin
