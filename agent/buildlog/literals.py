"""Required literals of a regex: strings of which every match must contain at least one.

The scanner's prefilter is derived from the patterns with this, never written beside them: a line the precise
regex would match always contains one of its pattern's literals, so the fast literal scan cannot hide it.

The analysis walks Python's own parse tree (re._parser). Each node yields
  exact: the finite set of strings the node can match (None when unbounded or too many), and
  factor: a set of strings one of which every match contains (None when nothing is required).
Sequences join neighbouring exact sets into longer strings (cross products, bounded) and keep the best factor;
alternations need a factor from every branch. Case-insensitive patterns are refused: the prefilter is
case-sensitive.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # Python >= 3.11: the parser behind re, which these literals must agree with
import re._parser as sre_parse
from dataclasses import dataclass
from typing import Any

MAX_SET = 24  # more alternatives than this are not worth a literal set
MAX_CLASS = 4  # a character class of up to this many characters is expanded ([Nn]o -> No, no)
MIN_LEN = 3  # a literal shorter than this hits too many lines to be a useful prefilter


class LiteralError(ValueError):
    """The regex has no usable required literal (the prefilter could not see its lines)."""


@dataclass(frozen=True)
class _Info:
    exact: frozenset[str] | None
    factor: frozenset[str] | None


EMPTY = _Info(frozenset({""}), None)
ANY = _Info(None, None)


def _score(candidates: frozenset[str] | None) -> tuple[int, int]:
    """Bigger is better: the shortest literal's length first, then fewer alternatives."""
    if not candidates:
        return (-1, 0)
    return (min(len(c) for c in candidates), -len(candidates))


def _best(*sets: frozenset[str] | None) -> frozenset[str] | None:
    usable = [s for s in sets if s and all(s)]
    return max(usable, key=_score) if usable else None


def _cross(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    if len(left) * len(right) > MAX_SET:
        return None
    return frozenset(a + b for a in left for b in right)


def _seq(items: list[_Info]) -> _Info:
    exact: frozenset[str] | None = frozenset({""})
    run: frozenset[str] | None = frozenset({""})  # the exact strings of the current run of exact nodes
    factors: list[frozenset[str] | None] = []
    for item in items:
        factors.append(item.factor)
        if item.exact is not None and run is not None:
            joined = _cross(run, item.exact)
            if joined is None:
                factors.append(run)
                run = item.exact
            else:
                run = joined
        else:
            factors.append(run)
            run = item.exact if item.exact is not None else frozenset({""})
        exact = _cross(exact, item.exact) if exact is not None and item.exact is not None else None
    factors.append(run)
    return _Info(exact, _best(*factors))


def _alt(branches: list[_Info]) -> _Info:
    exact: frozenset[str] | None = frozenset()
    factor: frozenset[str] | None = frozenset()
    for branch in branches:
        if exact is not None and branch.exact is not None and len(exact) + len(branch.exact) <= MAX_SET:
            exact = exact | branch.exact
        else:
            exact = None
        need = _best(branch.factor, branch.exact)
        factor = factor | need if factor is not None and need is not None else None
    if factor is not None and len(factor) > MAX_SET:
        factor = None
    return _Info(exact, factor)


def _node(op: Any, av: Any, flags: int) -> _Info:
    c = sre_constants
    if op is c.LITERAL:
        return _Info(frozenset({chr(av)}), None)
    if op is c.NOT_LITERAL or op is c.ANY or op is c.CATEGORY:
        return ANY
    if op is c.IN:
        chars = [chr(v) for o, v in av if o is c.LITERAL]
        if len(chars) == len(av) and 0 < len(chars) <= MAX_CLASS:
            return _Info(frozenset(chars), None)
        return ANY
    if op is c.SUBPATTERN:
        group_flags = av[1]
        if group_flags & re.IGNORECASE:
            raise LiteralError("case-insensitive groups are not supported by the case-sensitive prefilter")
        return _tree(av[3], flags)
    if op is c.BRANCH:
        return _alt([_tree(b, flags) for b in av[1]])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low: int = av[0]
        high: int = av[1]
        sub: Any = av[2]
        inner = _tree(sub, flags)
        if low == 0:
            return _Info(frozenset({""}) | inner.exact if inner.exact is not None and high == 1 else None, None)
        if low == high and inner.exact is not None and low <= 3:
            return _seq([inner] * low)
        return _Info(None, _best(inner.factor, inner.exact))
    if op in (c.AT, c.ASSERT_NOT, c.ASSERT, c.GROUPREF):
        return EMPTY if op is not c.GROUPREF else ANY
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _tree(av, flags)
    return ANY


def _tree(pattern: Any, flags: int) -> _Info:
    return _seq([_node(op, av, flags) for op, av in pattern])


def required_literals(regex: str) -> tuple[str, ...]:
    """The literals of `regex` (sorted): every string it matches contains one of them. Raises LiteralError when
    there is no such set with every literal at least MIN_LEN characters long."""
    parsed = sre_parse.parse(regex)
    if parsed.state.flags & re.IGNORECASE:
        raise LiteralError("case-insensitive patterns are not supported by the case-sensitive prefilter")
    info = _tree(parsed, parsed.state.flags)
    found = _best(info.factor, info.exact)
    if not found or min(len(s) for s in found) < MIN_LEN:
        raise LiteralError(f"no required literal of at least {MIN_LEN} characters in {regex!r}")
    return tuple(sorted(found))


# Words so common in build logs that a prefilter on them alone would look at most lines.
COMMON_WORDS = frozenset(
    [
        "error",
        "error:",
        "errors",
        "ERROR",
        "ERROR:",
        "Error",
        "Error:",
        "failed",
        "failed:",
        "Failed",
        "FAILED",
        "found",
        "Found",
        "package",
        "packages",
        "command",
        "Command",
        "network",
        "https://",
        "http://",
        "build",
        "building",
        "install",
        "installing",
        "could",
        "Could",
        "cannot",
        "Cannot",
        "version",
        "with",
        "from",
        "that",
        "this",
        "the",
        "and",
        "for",
        "not",
        "run",
        "running",
        "requirement",
        "requirements",
        "dependency",
        "dependencies",
        "resolve",
        "repository",
        "returned",
        "successfully",
        "Release",
        "Temporary",
        "matching",
        "missing",
        # issue 12v: words of the 12v patterns' literals that ordinary lines carry (`npm WARN deprecated`, `undefined
        # reference`, `bookworm-updates`, prose's `which`): the whole literal is searched instead
        "deprecated",
        "defined",
        "which",
        "updates",
        "invalid",
        "execute",
        "platform",
        "format",
        "current",
        "process",
        "compile",
        "compile.",
        "because",
        "code:",
        "code",
        "ERR!",
        "npm",
        "warning",
        "WARNING",
        "Downloading",
        "Collecting",
        "fetch",
        "download",
        "downloading",
        "loading",
        "Loading",
        "contain",
        "source",
        "stack",
        "Python",
        "python",
        "script",
        "manifest",
        "Module",
        "module",
        "project",
        "files",
        "BUILD",
        "archive",
        "wheel",
        "wheels",
        "exist",
        "select",
        "named",
        "service",
        "environment",
        "requested",
        "reached",
        "access",
        "should",
        # Issue 12c: words of ordinary progress lines (pip's `Collecting requests`, make's `Entering directory`).
        "request",
        "requests",
        "directory",
        "problem",
        "problems",
        "solving",
        "currently",
        "lockfile",
        "required",
        "requires",
        "checkout",
        "reset",
        "metadata",
        "setup",
        # Issue 12g: words of warnings that fill real logs (npm's deprecations: `This module is not supported`,
        # `... are no longer supported`).
        "supported",
        "unexpected",
        "longer",
        # Issue 12h: words of compiler and tool progress lines (`checking whether gcc accepts option -g`, `the operation
        # completed`): a literal whose longest word is one of them is searched whole (`E: Command line option '`).
        "option",
        "options",
        "operation",
        "Invalid",
        # Issue 12i: BuildKit's own progress lines (`#1 [internal] load build definition from Dockerfile`) and the
        # ca-certificates package every apt install sets up.
        "[internal]",
        "certificate",
        "certificates",
        # Issue 12n: configure's `checking whether the C compiler works`, bundler's `69 gems now installed`.
        "check",
        "compiler",
        "installed",
        # Issue 12w: words of ordinary lines the 12w literals would reach (V8's `allocation failure`, cargo's
        # `crates.io`, `Connecting to`, gradle's `Required by:`, `not allowed`, `configured`).
        "location",
        "crate",
        "connect",
        "Required",
        "configured",
        "allowed",
        # Issue 12x: words of ordinary lines the 12x literals would reach (apt's and yum's `Package`, git's and
        # grep's `match`, gpg's `imported:`, npm's `initialize`; only 12x patterns had them as their longest word).
        "Package",
        "Packages",
        "match",
        "items",
        "imported",
        "initialize",
        "initialise",
    ]
)


def prefilter_tokens(literals: tuple[str, ...]) -> tuple[str, ...]:
    """What the byte-level prefilter searches for each required literal.

    Raw logs carry colour codes where a tool switched colour, in practice at word boundaries
    (`npm\x1b[0m\x1b[91m ERR!`), which the cleaned line the regex sees no longer has. A piece of a required
    literal is required too, so the longest whitespace-free word of the literal is searched, which survives
    such codes; when that word is a common one (`error`, `failed`), the whole literal is searched instead so
    the prefilter stays selective (colour codes inside it would hide that line, as they did before)."""
    out: dict[str, None] = {}
    for literal in literals:
        words = sorted((w for w in literal.split() if len(w) >= MIN_LEN), key=len, reverse=True)
        word = next((w for w in words if w not in COMMON_WORDS and len(w) >= 5), None)
        out.setdefault(word or literal, None)
    return tuple(out)
