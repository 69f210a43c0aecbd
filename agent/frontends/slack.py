"""`shipshape serve slack`: the agent as a Slack app (slack-bolt, Socket Mode: no public URL needed).

A mention of the app, or a message in a channel it is in, starts an incident; the Slack thread is the
conversation (a later message in the thread is a follow-up report in the same conversation). One incident
runs at a time; a report that arrives meanwhile is queued and says so. Each finished
step is posted in the thread (tool, why, a gist of the result), then the answer with the verification checks.

A write that needs approval posts Approve / Approve for this conversation / Deny buttons carrying the pending
call's id. The agent's worker thread waits (10 minutes by default, then it counts as a No with that reason);
the button handler acks at once, resolves the pending call and updates the message. After Deny the thread is
asked why: a reply within two minutes goes back to the brain as the reason, else "denied in Slack by <user>".
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from agent.errors import ShipshapeError
from agent.frontends.session import AgentFactory, StepLines
from agent.run.assemble import outcome_lines, outcome_title, summarise_input
from agent.safety import Approval, redact

log = logging.getLogger("shipshape.slack")

ACTIONS = {
    "shipshape_approve": "yes",
    "shipshape_approve_session": "session",
    "shipshape_deny": "no",
}
_MENTION = re.compile(r"<@[A-Z0-9]+>")


@dataclass
class Pending:
    """A writing call waiting for a person in Slack."""

    id: str
    tool: str
    args: dict[str, Any]
    why: str
    channel: str
    thread_ts: str
    message_ts: str = ""
    answer: str = ""
    user: str = ""
    reason: str = ""
    decided: threading.Event = field(default_factory=threading.Event)
    reason_given: threading.Event = field(default_factory=threading.Event)


@dataclass
class Conversation:
    """One Slack thread: its incidents, what was approved for the whole conversation, whether a run is on."""

    channel: str
    thread_ts: str
    session_approved: set[str] = field(default_factory=set)
    incidents: list[int] = field(default_factory=list)
    running: bool = False
    awaiting_reason: Pending | None = None


class SlackFrontend:
    """The conversations, the pending approvals, and the workers that run the agent off Slack's threads."""

    def __init__(
        self,
        make_agent: AgentFactory,
        *,
        approval_timeout: float = 600.0,
        reason_timeout: float = 120.0,
        approvers: set[str] | None = None,
        workers: int = 4,
    ) -> None:
        self.make_agent = make_agent
        self.approval_timeout = approval_timeout
        self.reason_timeout = reason_timeout
        self.approvers = approvers
        self.conversations: dict[tuple[str, str], Conversation] = {}
        self.pending: dict[str, Pending] = {}
        self.runs: list[Future[None]] = []
        self._lock = threading.Lock()
        # One incident at a time across the workspace: two threads must not build or restart at once.
        self._one_run = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shipshape-slack")

    # -- wiring ------------------------------------------------------------------------------------------

    def register(self, app: App) -> None:
        """Add the event and button listeners to `app`."""
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        for action_id in ACTIONS:
            app.action(action_id)(self.on_button)

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait for every run started so far (tests, shutdown)."""
        for run in list(self.runs):
            run.result(timeout=timeout)

    def close(self) -> None:
        for pending in list(self.pending.values()):
            pending.answer, pending.reason = "no", "the shipshape Slack app is shutting down"
            pending.decided.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- events ------------------------------------------------------------------------------------------

    def on_mention(self, event: dict[str, Any], client: WebClient) -> None:
        """`@shipshape pods show ImagePullBackOff`: a report, in the thread it was said in (or a new one)."""
        self._report(event, client)

    def on_message(self, event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        """A plain message: a deny reason, a follow-up in a known thread, or a new report in a channel."""
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, other bots (our own messages are dropped by bolt already)
        bot = context.get("bot_user_id")
        if bot and f"<@{bot}>" in (event.get("text") or ""):
            return  # the app_mention event carries it
        thread_ts = event.get("thread_ts")
        if thread_ts:
            conv = self.conversations.get((event["channel"], thread_ts))
            if conv is None:
                return  # a thread among people: not ours
            pending = conv.awaiting_reason
            if pending is not None:
                conv.awaiting_reason = None
                pending.reason = (event.get("text") or "").strip()
                pending.reason_given.set()
                return
        self._report(event, client)

    def _report(self, event: dict[str, Any], client: WebClient) -> None:
        text = _MENTION.sub("", event.get("text") or "").strip()
        channel = event["channel"]
        thread_ts = event.get("thread_ts") or event["ts"]
        if not text:
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text="Say what you see, e.g. `pods show ImagePullBackOff`."
            )
            return
        with self._lock:
            conv = self.conversations.setdefault((channel, thread_ts), Conversation(channel, thread_ts))
            busy = conv.running
            conv.running = True
        if busy:
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text="Still working on the previous report in this thread; tell me again when it is done.",
            )
            return
        self.runs.append(self._pool.submit(self._run, conv, text, client))

    # -- one run -----------------------------------------------------------------------------------------

    def _run(self, conv: Conversation, report: str, client: WebClient) -> None:
        def post(text: str) -> None:
            try:
                client.chat_postMessage(channel=conv.channel, thread_ts=conv.thread_ts, text=redact(text))
            except Exception:  # Slack being unreachable must not stop the agent
                log.exception("posting to Slack failed")

        if not self._one_run.acquire(blocking=False):
            post("Queued: another report is being worked on; I start on this one when it is done.")
            self._one_run.acquire()
        try:
            post(f"On it: {report}")
            steps = StepLines(post)
            agent = self.make_agent(_SlackApprover(self, conv, client), steps)
            # "Approve for this conversation" lasts as long as the thread, across its reports.
            agent.policy.session_approved = conv.session_approved
            result = agent.run(report)
            conv.incidents.append(result.incident_id)
            post("\n".join([f"*{outcome_title(result)}*", result.answer, "", *outcome_lines(result)]))
        except ShipshapeError as exc:
            post(f"shipshape: error: {exc.one_line()}")
        except Exception as exc:
            log.exception("the run failed")
            post(f"shipshape: internal error ({type(exc).__name__}); the details are in the server's log")
        finally:
            conv.running = False
            self._one_run.release()

    # -- approvals ---------------------------------------------------------------------------------------

    def ask(self, conv: Conversation, client: WebClient, tool: str, args: dict[str, Any], why: str) -> Approval:
        """Post the buttons and wait (on the agent's worker thread) for a person, a timeout, or shutdown."""
        pending = Pending(secrets.token_hex(8), tool, args, why, conv.channel, conv.thread_ts)
        with self._lock:
            self.pending[pending.id] = pending
        question = redact(f"*Approve `{tool}`?* {summarise_input(args)}" + (f"\n_{why}_" if why else ""))
        posted = client.chat_postMessage(
            channel=conv.channel,
            thread_ts=conv.thread_ts,
            text=redact(f"Approve {tool}? ({summarise_input(args)})"),
            blocks=approval_blocks(pending.id, question),
        )
        pending.message_ts = str(posted.get("ts") or "")
        if not pending.decided.wait(self.approval_timeout):
            with self._lock:
                self.pending.pop(pending.id, None)
            minutes = f"{self.approval_timeout / 60:g} minutes"
            self._update(client, pending, f"`{tool}` was not approved within {minutes}: counted as a No.")
            return Approval("no", f"no one approved it in Slack within {minutes}")
        if pending.answer != "no":
            return Approval("session" if pending.answer == "session" else "yes")
        # The reason may have come in already (a quick reply while this thread was waking up): same words either way.
        if not pending.reason:
            pending.reason_given.wait(self.reason_timeout)
        with self._lock:
            if conv.awaiting_reason is pending:
                conv.awaiting_reason = None
        if pending.reason:
            return Approval("no", f"denied in Slack by <@{pending.user}>: {pending.reason}")
        return Approval("no", f"denied in Slack by <@{pending.user}>")

    def on_button(self, ack: Callable[[], Any], body: dict[str, Any], client: WebClient) -> None:
        """Approve / Approve for this conversation / Deny: ack first (Slack wants it within 3 s)."""
        ack()
        action = body["actions"][0]
        user = body.get("user", {}).get("id", "someone")
        with self._lock:
            pending = self.pending.get(action.get("value", ""))
            allowed = self.approvers is None or user in self.approvers
            if pending is not None and allowed:
                del self.pending[pending.id]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        message_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
        if pending is None:
            if channel and message_ts:
                client.chat_update(
                    channel=channel, ts=message_ts, text="This approval is no longer pending.", blocks=[]
                )
            return
        if not allowed:
            client.chat_postEphemeral(
                channel=pending.channel,
                user=user,
                thread_ts=pending.thread_ts,
                text="You may not approve shipshape's writes.",
            )
            return
        answer = ACTIONS[action["action_id"]]
        pending.user = user
        # A click can come in before chat.postMessage has returned the question's ts to ask(): the button's own
        # message is that question.
        pending.message_ts = pending.message_ts or str(message_ts or "")
        call = f"`{pending.tool}`({summarise_input(pending.args)})"
        if answer == "no":
            conv = self.conversations.get((pending.channel, pending.thread_ts))
            if conv is not None and self.reason_timeout > 0:
                conv.awaiting_reason = pending
                seconds = f"{self.reason_timeout:g} s"
                text = f"⛔ {call} denied by <@{user}>. Reply in this thread within {seconds} to tell the agent why."
            else:
                text = f"⛔ {call} denied by <@{user}>."
        elif answer == "session":
            text = f"✅ {call} approved by <@{user}>, and `{pending.tool}` for the rest of this conversation."
        else:
            text = f"✅ {call} approved by <@{user}>."
        pending.answer = answer
        pending.decided.set()
        self._update(client, pending, text)

    def _update(self, client: WebClient, pending: Pending, text: str) -> None:
        try:
            client.chat_update(channel=pending.channel, ts=pending.message_ts, text=redact(text), blocks=[])
        except Exception:
            log.exception("updating the approval message failed")


class _SlackApprover:
    """The Approver the loop calls: asks in the conversation's thread."""

    def __init__(self, frontend: SlackFrontend, conv: Conversation, client: WebClient) -> None:
        self.frontend, self.conv, self.client = frontend, conv, client

    def ask(self, tool: str, args: dict[str, Any], why: str) -> Approval:
        return self.frontend.ask(self.conv, self.client, tool, args, why)


def approval_blocks(pending_id: str, question: str) -> list[dict[str, Any]]:
    """Block Kit: the question, then Approve / Approve for this conversation / Deny carrying the call's id."""

    def button(action_id: str, label: str, style: str | None = None) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label},
            "value": pending_id,
        }
        if style:
            element["style"] = style
        return element

    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": question}},
        {
            "type": "actions",
            "block_id": f"shipshape_approval_{pending_id}",
            "elements": [
                button("shipshape_approve", "Approve", "primary"),
                button("shipshape_approve_session", "Approve for this conversation"),
                button("shipshape_deny", "Deny", "danger"),
            ],
        },
    ]


def build_app(
    frontend: SlackFrontend,
    *,
    token: str | None = None,
    signing_secret: str = "",
    client: WebClient | None = None,
    authorize: Callable[..., Any] | None = None,
    process_before_response: bool = False,
) -> App:
    """The bolt App with shipshape's listeners. Socket Mode needs no signing secret (Slack signs nothing there);
    over HTTP, and in tests, requests are verified with `signing_secret`."""
    app = App(
        token=token,
        signing_secret=signing_secret,
        client=client,
        authorize=authorize,
        process_before_response=process_before_response,
        name="shipshape",
    )
    frontend.register(app)
    return app


def serve(frontend: SlackFrontend, bot_token: str, app_token: str) -> None:
    """Connect over Socket Mode and serve until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    try:
        app = build_app(frontend, token=bot_token)  # checks the bot token with auth.test
        SocketModeHandler(app, app_token).start()  # opens the connection with the app-level token
    except (BoltError, SlackApiError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ShipshapeError(
            f"Slack refused or could not be reached: {first}",
            "check SLACK_BOT_TOKEN (xoxb-, installed in the workspace), SLACK_APP_TOKEN (xapp-, connections:write, "
            "Socket Mode on) and the network",
        ) from None
    finally:
        frontend.close()
