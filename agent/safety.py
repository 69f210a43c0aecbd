"""Safety between the brain and the tools: redaction, the approval policy, namespace and path guards.

The decision lives here, outside the tools and the brains (as kubectl-ai does it): every call is classified by
its tool's `writes` flag; a write needs approval unless the user said --yes, approved it for the session, or
the project's policy auto-approves that tool. A namespace outside the allowed list is refused outright, for
reads as for writes (reads may be widened with `read_namespaces`; see docs/safety.md for why reads are limited
by default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from agent.errors import ShipshapeError
from agent.redaction import REDACTED, redact, redact_value

if TYPE_CHECKING:
    from agent.project.config import Project

__all__ = [
    "REDACTED",
    "Approval",
    "Approver",
    "DenyAll",
    "FunctionApprover",
    "Namespaces",
    "Policy",
    "Verdict",
    "redact",
    "redact_value",
]

Decision = Literal["allow", "ask", "deny"]


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str


@dataclass(frozen=True)
class Namespaces:
    """The namespace guard, the one place it is written: where shipshape may change things, and where it may look.

    The Policy asks it before a call runs; the Kubernetes and helm engines ask it again before each write, so a
    write that reaches an engine some other way is refused too."""

    writable: list[str]
    # Where reads may look; None: the same namespaces as writes. "*" allows any.
    readable: list[str] | None = None

    def refusal(self, namespace: str | None, writes: bool) -> str | None:
        """Why a call on `namespace` is refused, or None when it may go ahead."""
        if not namespace:
            return None
        if writes:
            if namespace in self.writable:
                return None
            allowed = ", ".join(self.writable) or "none"
            return (
                f"namespace {namespace!r} is not allowed for changes (allowed: {allowed}; "
                "[policy] allowed_namespaces in shipshape.toml)"
            )
        readable = self.writable if self.readable is None else self.readable
        if "*" in readable or namespace in readable:
            return None
        return (
            f"namespace {namespace!r} is not allowed for reads (allowed: {', '.join(readable) or 'none'}; "
            "add it to [policy] read_namespaces in shipshape.toml to let shipshape look there)"
        )

    def require_writable(self, namespace: str) -> None:
        """Raise (code forbidden-namespace) when shipshape may not change `namespace`: the engines' last check."""
        if not namespace or self.refusal(namespace, writes=True):
            raise ShipshapeError(
                f"namespace {namespace!r} is not one shipshape may change (allowed: {', '.join(self.writable)})",
                "add it to [policy] allowed_namespaces in shipshape.toml",
                code="forbidden-namespace",
            )


@dataclass
class Policy:
    """Which calls run at once, which need a person's yes, which are refused."""

    allowed_namespaces: list[str]
    auto_approve: set[str] = field(default_factory=set)
    assume_yes: bool = False
    session_approved: set[str] = field(default_factory=set)
    # Where reads may look; None: the same namespaces as writes. "*" allows any.
    read_namespaces: list[str] | None = None

    @classmethod
    def from_project(cls, project: Project, *, assume_yes: bool = False) -> Policy:
        """The project's policy ([policy] in shipshape.toml); `assume_yes` when the person already said yes
        (--yes, or typing a command that names the change)."""
        return cls(
            allowed_namespaces=project.allowed_namespaces(),
            read_namespaces=project.read_namespaces(),
            auto_approve=set(project.policy.auto_approve),
            assume_yes=assume_yes,
        )

    def namespace_refusal(self, namespace: str | None, writes: bool) -> str | None:
        """Why a call on `namespace` is refused, or None when it may go ahead."""
        return Namespaces(self.allowed_namespaces, self.read_namespaces).refusal(namespace, writes)

    def decide(self, tool: str, writes: bool, args: dict[str, Any]) -> Verdict:
        refusal = self.namespace_refusal(args.get("namespace"), writes)
        if refusal:
            return Verdict("deny", refusal)
        if not writes:
            return Verdict("allow", "read-only")
        if self.assume_yes:
            return Verdict("allow", "--yes")
        if tool in self.auto_approve:
            return Verdict("allow", "auto-approved by the project's policy")
        if tool in self.session_approved:
            return Verdict("allow", "approved for this session")
        return Verdict("ask", f"{tool} changes things")


Answer = Literal["yes", "session", "no"]


@dataclass(frozen=True)
class Approval:
    answer: Answer
    reason: str = ""


class Approver(Protocol):
    """Asks a person about one writing call (terminal prompt, Slack buttons)."""

    def ask(self, tool: str, args: dict[str, Any], why: str) -> Approval: ...


class DenyAll:
    """No person to ask (non-interactive, MCP without consent): every write that needs approval is refused, with
    a reason that tells the brain (and the person reading its answer) how writes can be allowed."""

    def __init__(self, reason: str = "no one to approve it (run with --yes, or allow the tool in shipshape.toml)"):
        self.reason = reason

    def ask(self, tool: str, args: dict[str, Any], why: str) -> Approval:
        return Approval("no", self.reason)


class FunctionApprover:
    """Adapts a plain function (tests, Slack) to the Approver protocol."""

    def __init__(self, func: Callable[[str, dict[str, Any], str], Approval]) -> None:
        self.func = func

    def ask(self, tool: str, args: dict[str, Any], why: str) -> Approval:
        return self.func(tool, args, why)
