"""The Slack app, offline: real signed requests dispatched to the bolt App, and everything it posts captured by
a stand-in Slack Web API on 127.0.0.1 (a real HTTP server the WebClient talks to). The agent is the real loop,
policy and registry, with a scripted brain that proposes one write (fix_prisma_targets on a copy of the
sample app, so "it ran" means the schema file changed)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from agent.brains.base import Observation, ToolCall, Trajectory, Turn
from agent.frontends.session import open_context
from agent.frontends.slack import SlackFrontend, build_app
from agent.run.assemble import make_agent
from agent.run.loop import Agent, Listener
from agent.safety import Approver

REPO = Path(__file__).resolve().parents[1]
RUNTIME_TARGET = "debian-openssl-3.0.x"  # what the sample's runtime base (node:22-bookworm, OpenSSL 3) needs
SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
CHANNEL = "C0OPS"
FIXED = f'binaryTargets = ["native", "{RUNTIME_TARGET}"]'

pytestmark = pytest.mark.unit


# -- a stand-in Slack Web API ----------------------------------------------------------------------------


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    token: str
    ts: str


class SlackStandIn:
    """Answers Web API calls like Slack does (`{"ok": true, ...}`, message timestamps) and records them."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                if "json" in (self.headers.get("content-type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                auth = self.headers.get("authorization") or ""
                answer = owner.answer(self.path.rsplit("/", 1)[-1], params, auth.removeprefix("Bearer "))
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, method: str, params: dict[str, Any], token: str) -> dict[str, Any]:
        with self._lock:
            ts = f"1800000000.{next(self._ts):06d}"
            self.calls.append(ApiCall(method, params, token, ts))
        if method == "chat.postMessage":
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"text": params.get("text")}}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        return {"ok": True}

    def posts(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def wait_for(self, what: Callable[[], Any], timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = what()
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError(f"timed out; calls so far: {[(c.method, c.params.get('text')) for c in self.calls]}")

    def approvals(self, count: int = 1) -> list[ApiCall]:
        """The posted messages with approval buttons, once there are `count` of them."""

        def found() -> list[ApiCall]:
            with self._lock:
                asks = [c for c in self.calls if c.method == "chat.postMessage" and c.params.get("blocks")]
            return asks if len(asks) >= count else []

        return self.wait_for(found)

    def finals(self, count: int = 1) -> list[dict[str, Any]]:
        """The answers posted at the end of runs, once there are `count` of them."""

        def found() -> list[dict[str, Any]]:
            answers = [p for p in self.posts() if "incident #" in p["text"]]
            return answers if len(answers) >= count else []

        return self.wait_for(found)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack_api() -> Iterator[SlackStandIn]:
    api = SlackStandIn()
    yield api
    api.close()


# -- the agent's side: a sample app and a scripted brain -------------------------------------------------


def sample(tmp_path: Path) -> Path:
    """A copy of the sample app whose schema lacks the musl target (so fix_prisma_targets has work to do)."""
    root = tmp_path / "todo"
    shutil.copytree(REPO / "examples" / "todo", root, ignore=shutil.ignore_patterns("*.backup", "chart", "k8s"))
    config = (root / "shipshape.toml").read_text().replace("../../.cluster", str(REPO / ".cluster"))
    (root / "shipshape.toml").write_text(config)
    schema = root / "frontend" / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace(f', "{RUNTIME_TARGET}"]', "]"))
    return root


def schema_text(root: Path) -> str:
    return (root / "frontend" / "prisma" / "schema.prisma").read_text()


class OneWrite:
    """Proposes fix_prisma_targets, then answers with what it observed."""

    name = "scripted"
    model_calls = 0

    def __init__(self, seen: list[Observation]) -> None:
        self.seen = seen

    def next(self, trajectory: Trajectory, tools: list[dict[str, Any]] | None) -> Turn:
        obs = trajectory.last("fix_prisma_targets")
        if obs is None:
            call = ToolCall("call-1", "fix_prisma_targets", {}, why="the runtime needs the musl query engine")
            return Turn(text="The schema lacks the musl target.", calls=[call])
        self.seen.append(obs)
        return Turn(text=f"Observed: {obs.text[:300]}", final=True)


@dataclass
class Rig:
    app: App
    frontend: SlackFrontend
    api: SlackStandIn
    root: Path
    seen: list[Observation]

    def dispatch(self, body: str, content_type: str, secret: str = SECRET) -> BoltResponse:
        stamp = str(int(time.time()))
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        headers: dict[str, str | Sequence[str]] = {
            "content-type": [content_type],
            "x-slack-request-timestamp": [stamp],
            "x-slack-signature": [signature],
        }
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def event(self, event: dict[str, Any], secret: str = SECRET) -> BoltResponse:
        envelope = {
            "token": "legacy",
            "team_id": "T0TEAM",
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "event": {"channel": CHANNEL, "event_ts": event["ts"], **event},
        }
        return self.dispatch(json.dumps(envelope), "application/json", secret)

    def mention(self, text: str, ts: str = "1700000000.000100") -> BoltResponse:
        return self.event({"type": "app_mention", "user": "U0DEV", "text": f"<@UBOT> {text}", "ts": ts})

    def reply(self, text: str, thread_ts: str, ts: str) -> BoltResponse:
        event = {"type": "message", "channel_type": "channel", "user": "U0OPS", "text": text, "ts": ts}
        return self.event({**event, "thread_ts": thread_ts})

    def click(self, action_id: str, message: ApiCall, user: str = "U0OPS") -> BoltResponse:
        """Press one of the buttons of the posted `message` (the value is the pending call's id)."""
        buttons = [e for b in message.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
        button = next(e for e in buttons if e["action_id"] == action_id)
        message_ts = message.ts
        payload = {
            "type": "block_actions",
            "team": {"id": "T0TEAM", "domain": "team"},
            "user": {"id": user, "username": "ops"},
            "api_app_id": "A0APP",
            "token": "legacy",
            "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL},
            "channel": {"id": CHANNEL, "name": "ops"},
            "message": {"ts": message_ts, "text": message.params["text"]},
            "response_url": "https://hooks.invalid/actions/1",
            "actions": [{**button, "block_id": "b", "action_ts": str(time.time())}],
        }
        return self.dispatch(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@pytest.fixture
def rig_factory(tmp_path: Path, slack_api: SlackStandIn) -> Iterator[Callable[..., Rig]]:
    made: list[SlackFrontend] = []

    def make(**options: Any) -> Rig:
        root = sample(tmp_path / f"rig{len(made)}")
        ctx = open_context(root)
        seen: list[Observation] = []

        def agent(approver: Approver, listener: Listener) -> Agent:
            built = make_agent(ctx, "rulebook", approver=approver, listener=listener)
            built.brain = OneWrite(seen)
            return built

        def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
            return AuthorizeResult(
                enterprise_id=enterprise_id, team_id=team_id, bot_token=BOT_TOKEN, bot_user_id="UBOT", bot_id="B0BOT"
            )

        frontend = SlackFrontend(agent, **options)
        made.append(frontend)
        app = build_app(
            frontend,
            signing_secret=SECRET,
            client=WebClient(base_url=slack_api.url),
            authorize=authorize,
            process_before_response=True,
        )
        return Rig(app, frontend, slack_api, root, seen)

    yield make
    for frontend in made:
        frontend.close()


# -- the tests -------------------------------------------------------------------------------------------

MENTION_TS = "1700000000.000100"


def test_mention_asks_and_approve_runs_the_write(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    started = time.monotonic()
    assert rig.mention("the frontend returns 500 with PrismaClientInitializationError").status == 200
    mention_seconds = time.monotonic() - started
    ask = rig.api.approvals()[0]
    buttons = [e for b in ask.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["shipshape_approve", "shipshape_approve_session", "shipshape_deny"]
    assert len({b["value"] for b in buttons}) == 1  # all three carry the pending call's id
    assert "fix_prisma_targets" in ask.params["text"] and ask.params["thread_ts"] == MENTION_TS
    assert FIXED not in schema_text(rig.root)  # nothing runs before the answer

    started = time.monotonic()
    assert rig.click("shipshape_approve", ask).status == 200
    click_seconds = time.monotonic() - started
    final = rig.api.finals()[0]
    rig.frontend.wait_idle()
    assert FIXED in schema_text(rig.root)
    assert "fixed" in final["text"] and "incident #" in final["text"]
    updates = rig.api.posts("chat.update")
    assert updates[0]["ts"] == ask.ts and "approved by <@U0OPS>" in updates[0]["text"] and updates[0]["blocks"] == []
    texts = [p["text"] for p in rig.api.posts()]
    assert texts[0].startswith("On it: the frontend returns 500")
    step = next(t for t in texts if t.startswith("✓ fix_prisma_targets"))
    assert "the runtime needs the musl query engine" in step and "status=fixed" in step
    assert {p["thread_ts"] for p in rig.api.posts()} == {MENTION_TS}  # everything in the mention's thread
    assert {c.token for c in rig.api.calls} == {BOT_TOKEN}
    # Slack wants the ack within 3 s: the mention only starts the run, the click only resolves it.
    assert mention_seconds < 3.0 and click_seconds < 3.0, (mention_seconds, click_seconds)
    print(f"ack times: mention {mention_seconds * 1000:.0f} ms, button {click_seconds * 1000:.0f} ms")

    # A second press finds nothing pending and says so.
    assert rig.click("shipshape_deny", ask).status == 200
    assert "no longer pending" in rig.api.posts("chat.update")[-1]["text"]


def test_deny_sends_the_reason_from_the_thread_back_to_the_brain(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    before = schema_text(rig.root)
    rig.mention("pods crash with PrismaClientInitializationError")
    ask = rig.api.approvals()[0]
    rig.click("shipshape_deny", ask)
    asked_why = rig.api.wait_for(lambda: [u for u in rig.api.posts("chat.update") if "denied by <@U0OPS>" in u["text"]])
    assert "Reply in this thread" in asked_why[0]["text"]
    assert (
        rig.reply("release freeze until 17:00, do not touch the schema", MENTION_TS, "1700000000.000200").status == 200
    )
    final = rig.api.finals()[0]
    rig.frontend.wait_idle()
    assert schema_text(rig.root) == before
    assert len(rig.seen) == 1 and rig.seen[0].denied
    assert "denied in Slack by <@U0OPS>: release freeze until 17:00" in rig.seen[0].text  # what the brain saw
    assert "release freeze" in final["text"]
    assert any(p["text"].startswith("✗ fix_prisma_targets refused") for p in rig.api.posts())
    assert len(rig.api.approvals()) == 1  # the reason was not taken for a new report


def test_deny_without_a_reason_and_an_unanswered_approval_count_as_no(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(reason_timeout=0)
    rig.mention("PrismaClientInitializationError")
    rig.click("shipshape_deny", rig.api.approvals()[0])
    rig.api.finals()
    rig.frontend.wait_idle()
    assert rig.seen[0].denied and rig.seen[0].text.endswith(
        "fix_prisma_targets was not approved: denied in Slack by <@U0OPS>"
    )

    slow = rig_factory(approval_timeout=0.3)
    slow.mention("PrismaClientInitializationError", ts="1700000001.000100")
    slow.api.finals(2)
    slow.frontend.wait_idle()
    assert "no one approved it in Slack within" in slow.seen[0].text
    assert any("counted as a No" in u["text"] for u in slow.api.posts("chat.update"))


def test_approve_for_this_conversation_covers_the_next_report_in_the_thread(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    rig.mention("PrismaClientInitializationError")
    rig.click("shipshape_approve_session", rig.api.approvals()[0])
    rig.api.finals()
    rig.frontend.wait_idle()
    schema = rig.root / "frontend" / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace(f', "{RUNTIME_TARGET}"]', "]"))  # broken again
    rig.reply("it is back after a revert", MENTION_TS, "1700000000.000300")  # a follow-up in the same thread
    rig.api.finals(2)
    rig.frontend.wait_idle()
    assert len(rig.api.approvals()) == 1  # no second question
    assert FIXED in schema_text(rig.root)
    assert len(rig.seen) == 2 and all(o.ok for o in rig.seen)


def test_a_bad_signature_is_rejected_and_starts_nothing(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    response = rig.event(
        {"type": "app_mention", "user": "U0DEV", "text": "<@UBOT> restart everything", "ts": "1700000000.000900"},
        secret="not-the-secret",
    )
    assert response.status == 401
    time.sleep(0.3)
    assert rig.api.calls == [] and rig.frontend.runs == []


def test_channel_message_starts_one_incident_and_a_mention_is_not_taken_twice(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(reason_timeout=0)
    # Slack sends both a message and an app_mention event for a mention: one run only.
    text = "<@UBOT> PrismaClientInitializationError"
    rig.event({"type": "message", "channel_type": "channel", "user": "U0DEV", "text": text, "ts": MENTION_TS})
    rig.mention("PrismaClientInitializationError")
    # A plain message in the channel is a report too; a thread among people is not ours.
    rig.event(
        {"type": "message", "channel_type": "channel", "user": "U0DEV", "text": "build fails", "ts": "1700000005.1"}
    )
    rig.event({"type": "message", "user": "U0DEV", "text": "lunch?", "ts": "1700000006.2", "thread_ts": "1700000006.1"})
    # One incident at a time: the second report is queued until the first is done.
    first = rig.api.approvals(1)[0]
    rig.api.wait_for(lambda: [p for p in rig.api.posts() if p["text"].startswith("Queued:")])
    assert len(rig.api.approvals(1)) == 1
    rig.click("shipshape_deny", first)
    asks = rig.api.approvals(2)
    rig.click("shipshape_deny", asks[1])
    assert sorted(a.params["thread_ts"] for a in asks) == [MENTION_TS, "1700000005.1"]
    rig.api.finals(2)
    rig.frontend.wait_idle()
    assert len(rig.frontend.runs) == 2
    assert not [p for p in rig.api.posts() if p.get("thread_ts") == "1700000006.1"]


def test_serve_slack_without_tokens_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli.serve import slack
    from agent.errors import ShipshapeError

    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test")
    with pytest.raises(ShipshapeError) as caught:
        slack(project_dir=None, brain="auto", approval_timeout=600, approvers="")
    assert caught.value.one_line().startswith("SLACK_BOT_TOKEN is not set")
    assert "xoxb-" in caught.value.one_line()


def test_only_listed_approvers_may_approve(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(approvers={"U0LEAD"})
    rig.mention("PrismaClientInitializationError")
    ask = rig.api.approvals()[0]
    rig.click("shipshape_approve", ask, user="U0DEV")
    note = rig.api.wait_for(lambda: rig.api.posts("chat.postEphemeral"))
    assert note[0]["user"] == "U0DEV" and "may not approve" in note[0]["text"]
    assert FIXED not in schema_text(rig.root) and rig.frontend.pending  # still waiting
    rig.click("shipshape_approve", ask, user="U0LEAD")
    rig.api.finals()
    rig.frontend.wait_idle()
    assert FIXED in schema_text(rig.root)
