"""ClaudeBrain: the next step decided by Claude through the Anthropic Messages API (the `anthropic` SDK).

A manual tool-use loop (approvals live outside the brain, so the SDK's tool runner is not used): each call
rebuilds the whole conversation from the trajectory, so the brain keeps no state the loop cannot see.

- Message list: the report as the first user message; then, per step, the assistant turn exactly as the
  API returned it (`Turn.raw`) and one user message whose content starts with a `tool_result` for every
  `tool_use` of that turn (failed or denied calls carry `is_error: true`).
- Prompt caching is a prefix match over tools -> system -> messages: tools are sorted by name and the last
  one carries `cache_control`, the system prompt is one block with `cache_control`, and the last block of
  the conversation carries the third breakpoint (the limit is four).
- The last allowed step (`tools is None`) sends the same tools with `tool_choice: {"type": "none"}`: the
  history holds tool_use blocks, and keeping the tools unchanged keeps the cached prefix.
- Retries (429, 5xx, 529 overloaded, timeouts, dropped connections) are the SDK's own (`max_retries`,
  honouring `retry-after` / `retry-after-ms`); what is still failing afterwards raises `BrainUnavailable`
  with one line, and the loop continues with the RulebookBrain.
- One bound on the whole wait for an answer, retries included: the model timeout (SHIPSHAPE_MODEL_TIMEOUT,
  else `[model] timeout` in shipshape.toml, else 60 s). The call runs on a worker thread; every few seconds
  `on_wait(waited, limit)` lets the front end show that the model is still being waited for, and at the limit
  `BrainUnavailable` is raised at once (the abandoned request ends by its own timeout).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from agent.brains.base import BrainUnavailable, ToolCall, Trajectory, Turn
from agent.brains.messages import (
    CACHE,
    assistant_content,
    has_tool_blocks,
    prepare_tools,
    text_of,
    tool_results,
    tools_from_history,
)

DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_TIMEOUT = 60.0
WAIT_TICK = 5.0
PAUSE_LIMIT = 3
LAST_STEP_NOTE = (
    "No more tool calls are possible in this incident. Answer now: what was wrong, what was done, "
    "and how the outcome was verified (or what is still unverified)."
)
STOP_NOTES = {
    "max_tokens": "the answer was cut off at the max_tokens limit",
    "stop_sequence": "the model stopped at a stop sequence",
    "refusal": "the model declined to continue (refusal)",
    "model_context_window_exceeded": "the conversation no longer fits the model's context window",
    "pause_turn": "the API paused the turn {n} times in a row",
}


def claude_available() -> bool:
    """True when the environment can reach a Messages API: a key, a token, or a stand-in's base URL."""
    return any(os.environ.get(v) for v in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"))


def default_model() -> str:
    """The model id: SHIPSHAPE_MODEL, else DEFAULT_MODEL."""
    return os.environ.get("SHIPSHAPE_MODEL") or DEFAULT_MODEL


def model_timeout(configured: float | None = None) -> float:
    """Seconds to wait for one model answer, retries included: SHIPSHAPE_MODEL_TIMEOUT, else `configured`
    (shipshape.toml's [model] timeout), else DEFAULT_TIMEOUT. A bad value is a one-line error."""
    from agent.errors import ConfigError

    raw = os.environ.get("SHIPSHAPE_MODEL_TIMEOUT")
    if raw:
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"SHIPSHAPE_MODEL_TIMEOUT={raw!r} is not a number of seconds") from None
        if value <= 0:
            raise ConfigError(f"SHIPSHAPE_MODEL_TIMEOUT={raw!r} must be more than 0 seconds")
        return value
    return configured if configured is not None else DEFAULT_TIMEOUT


class ClaudeBrain:
    """A Brain that asks Claude for the next tool calls. One instance serves one incident at a time."""

    name = "claude"

    def __init__(
        self,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        max_retries: int = 2,
        timeout: float | None = None,
        max_tokens: int = 2048,
        client: Any = None,
        wait_limit: float | None = None,
    ) -> None:
        self.model = model or default_model()
        self.max_tokens = max_tokens
        # Per request (the SDK's own timeout), and for the whole wait, retries included.
        self.timeout = timeout if timeout is not None else model_timeout()
        self.wait_limit = wait_limit if wait_limit is not None else max(self.timeout, model_timeout())
        # Progress at least four times within the limit, at most every WAIT_TICK seconds.
        self.wait_tick = min(WAIT_TICK, max(0.5, self.wait_limit / 4))
        self.on_wait: Callable[[float, float], None] | None = None
        self.max_retries = max_retries
        self.model_calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_tokens = 0
        self.cache_creation_tokens = 0
        # The last tool list offered: the final, tool-less step re-sends it with tool_choice none.
        self._tools: list[dict[str, Any]] | None = None
        self._missing_credentials = ""
        if client is None:
            import anthropic  # heavy: imported only when a Claude brain is actually built

            base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
            key = api_key or os.environ.get("ANTHROPIC_API_KEY") or None
            if key is None and base_url and not os.environ.get("ANTHROPIC_AUTH_TOKEN"):
                key = "shipshape-no-key"  # a stand-in or an authenticating proxy needs no real key
            hint = "set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL for a stand-in)"
            try:
                client = anthropic.Anthropic(
                    api_key=key, base_url=base_url, max_retries=max_retries, timeout=self.timeout
                )
            except anthropic.AnthropicError as e:
                # The SDK looks for a credentials profile when no key is set; none found is our case too.
                self._missing_credentials = f"no usable Anthropic credentials ({_first_line(e)}): {hint}"
            else:
                if not (client.api_key or client.auth_token or client.credentials):
                    self._missing_credentials = f"no Anthropic credentials: {hint}"
        self.client = client
        self.base_url = str(getattr(client, "base_url", base_url or ""))

    # --- the Brain protocol ---------------------------------------------------------------------------

    def next(self, trajectory: Trajectory, tools: list[dict[str, Any]] | None) -> Turn:
        """Ask Claude for the next step; raises BrainUnavailable when the API cannot answer."""
        if self._missing_credentials:
            raise BrainUnavailable(self._missing_credentials)
        request = self.request(trajectory, tools)
        last_step = tools is None
        paused: list[dict[str, Any]] = []
        input_tokens = output_tokens = 0
        conversation = request["messages"]
        for attempt in range(PAUSE_LIMIT + 1):
            if paused:
                # pause_turn: give the paused content back as-is and let the model continue it.
                request["messages"] = [*conversation, {"role": "assistant", "content": paused}]
            response = self._create(request)
            used_in, used_out = self._count(response)
            input_tokens += used_in
            output_tokens += used_out
            blocks = [self._block(b) for b in response.content]
            if response.stop_reason == "pause_turn":
                paused = paused + blocks
                if attempt < PAUSE_LIMIT:
                    continue
                return self._final(paused, "pause_turn", input_tokens, output_tokens, paused_times=attempt + 1)
            blocks = paused + blocks
            if response.stop_reason == "tool_use" and not last_step:
                calls = self._calls(blocks)
                if calls:
                    return Turn(
                        text=text_of(blocks),
                        calls=calls,
                        input_tokens=input_tokens,
                        output_tokens=output_tokens,
                        raw=blocks,
                    )
            return self._final(blocks, response.stop_reason, input_tokens, output_tokens, last_step=last_step)
        raise AssertionError("unreachable: the pause loop always returns")

    # --- building the request -------------------------------------------------------------------------

    def request(self, trajectory: Trajectory, tools: list[dict[str, Any]] | None) -> dict[str, Any]:
        """The keyword arguments of `messages.create` for this step (public so tests and bench can see it)."""
        request: dict[str, Any] = {"model": self.model, "max_tokens": self.max_tokens}
        if trajectory.system:
            request["system"] = [{"type": "text", "text": trajectory.system, "cache_control": dict(CACHE)}]
        messages = self.messages(trajectory, final=tools is None)
        if tools:
            self._tools = request["tools"] = prepare_tools(tools)
        elif self._tools or has_tool_blocks(messages):
            # The API wants tools defined when the history holds tool blocks; forbid calls instead.
            request["tools"] = self._tools or tools_from_history(messages)
            request["tool_choice"] = {"type": "none"}
        request["messages"] = messages
        return request

    def messages(self, trajectory: Trajectory, final: bool = False) -> list[dict[str, Any]]:
        """The conversation so far, rebuilt from the trajectory, with the rolling cache breakpoint."""
        first: list[dict[str, Any]] = [{"type": "text", "text": trajectory.report or "(no report)"}]
        messages: list[dict[str, Any]] = [{"role": "user", "content": first}]
        for step in trajectory.steps:
            assistant = assistant_content(step)
            if not assistant:
                continue
            messages.append({"role": "assistant", "content": assistant})
            # A turn without calls (a rare non-final text turn) still needs a user turn after it.
            results = tool_results(step, assistant) or [{"type": "text", "text": "Continue."}]
            messages.append({"role": "user", "content": results})
        if final:
            messages[-1]["content"].append({"type": "text", "text": LAST_STEP_NOTE})
        messages[-1]["content"][-1]["cache_control"] = dict(CACHE)
        return messages

    # --- talking to the API ---------------------------------------------------------------------------

    def _create(self, request: dict[str, Any]) -> Any:
        import anthropic

        retries = f"after {self.max_retries} retries" if self.max_retries else "no retries"
        try:
            response = self._bounded(lambda: self.client.messages.create(**request))
        except anthropic.AuthenticationError as e:
            raise BrainUnavailable(
                f"Claude API rejected the credentials (401: {_api_message(e)}): check ANTHROPIC_API_KEY"
            ) from e
        except anthropic.APIStatusError as e:
            kind = getattr(e, "type", None) or _error_type(e)
            retried = e.status_code in (408, 409, 429) or e.status_code >= 500
            suffix = f" ({retries})" if retried else ""
            raise BrainUnavailable(f"Claude API answered {e.status_code} {kind}: {_api_message(e)}{suffix}") from e
        except anthropic.APITimeoutError as e:
            raise BrainUnavailable(f"Claude API timed out after {self.timeout:g} s ({retries})") from e
        except anthropic.APIConnectionError as e:
            cause = e.__cause__ or e
            raise BrainUnavailable(f"cannot reach the Claude API at {self.base_url}: {cause} ({retries})") from e
        except anthropic.AnthropicError as e:
            raise BrainUnavailable(f"Claude API call failed: {e}") from e
        self.model_calls += 1
        return response

    def _bounded(self, call: Callable[[], Any]) -> Any:
        """`call()` on a worker thread, waited for at most `wait_limit` seconds with `on_wait` every tick."""
        done = threading.Event()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["value"] = call()
            except BaseException as exc:  # handed to the waiting thread
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=work, name="claude-request", daemon=True).start()
        started = time.monotonic()
        while True:
            waited = time.monotonic() - started
            left = self.wait_limit - waited
            if left <= 0:
                raise BrainUnavailable(
                    f"Claude API did not answer within {self.wait_limit:g} s "
                    "(SHIPSHAPE_MODEL_TIMEOUT or [model] timeout sets the limit)"
                )
            if done.wait(min(self.wait_tick, left)):
                break
            if self.on_wait is not None and time.monotonic() - started < self.wait_limit:
                self.on_wait(time.monotonic() - started, self.wait_limit)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def _count(self, response: Any) -> tuple[int, int]:
        usage = getattr(response, "usage", None)
        if usage is None:
            return 0, 0
        read = usage.cache_read_input_tokens or 0
        created = usage.cache_creation_input_tokens or 0
        self.cache_read_tokens += read
        self.cache_creation_tokens += created
        # The whole prompt counts towards the loop's token budget, cached or not.
        total_in = (usage.input_tokens or 0) + read + created
        self.input_tokens += total_in
        self.output_tokens += usage.output_tokens or 0
        return total_in, usage.output_tokens or 0

    @staticmethod
    def _block(block: Any) -> dict[str, Any]:
        if isinstance(block, dict):
            return dict(block)
        data: dict[str, Any] = block.to_dict(mode="json", exclude_none=True)
        return data

    @staticmethod
    def _calls(blocks: list[dict[str, Any]]) -> list[ToolCall]:
        calls = []
        why = ""
        for b in blocks:
            if b.get("type") == "text":
                why = b.get("text", "").strip()
            elif b.get("type") == "tool_use":
                calls.append(ToolCall(id=b["id"], name=b["name"], input=dict(b.get("input") or {}), why=why))
        return calls

    def _final(
        self,
        blocks: list[dict[str, Any]],
        stop_reason: str | None,
        input_tokens: int,
        output_tokens: int,
        last_step: bool = False,
        paused_times: int = 0,
    ) -> Turn:
        answer = text_of(blocks)
        reason = stop_reason or "unknown"
        note = ""
        if reason == "tool_use" and last_step:
            note = "the model asked for tools on the last allowed step; its calls were not run"
        elif reason == "tool_use":
            note = "the API reported tool_use but sent no tool call"
        elif reason != "end_turn":
            note = STOP_NOTES.get(reason, f"the API stopped for an unknown reason ({reason})")
            note = note.format(n=paused_times)
        if note:
            answer = f"{answer}\n\n[stopped: {note}]" if answer else f"[stopped: {note}]"
        return Turn(
            text=answer,
            final=True,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            raw=blocks,
        )


# --- helpers ------------------------------------------------------------------------------------------


def _api_message(e: Any) -> str:
    message = getattr(e, "api_message", None)
    if message:
        return str(message)
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(e, "message", e)).splitlines()[0]


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _error_type(e: Any) -> str:
    body = getattr(e, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("type", "error"))
    return "error"
