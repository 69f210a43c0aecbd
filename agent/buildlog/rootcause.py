"""Choosing the root cause: the earliest decisive error inside the step that failed, not the cascade after it.

1. The failed step: the step named by the last failure marker ("The command ... returned a non-zero code",
   BuildKit "#N ERROR" / "ERROR [stage x/y] ...", "executor failed running"), else the last step header.
2. Candidates: the hits inside that step (and un-prefixed lines after it starts, where the daemon and BuildKit
   print their summary). Without any step information: every hit.
3. The winner: lowest tier (1 decisive, 2 specific, 3 weak/cascade), then the earliest line, then file order.
4. Nothing matched: the exit code speaks (127 command not found, 126 not executable, 137 killed); a step that is
   an explicit `exit N` is a script-error; any other failing project script is only a candidate (script-error
   without a message of its own is right about half the time), so the answer is "unknown" with candidates.
"""

from __future__ import annotations

import re

from agent.buildlog import ambiguity, arbitrate, buildargs, calibration, context, emulation, structure, wordmodel
from agent.buildlog.diagnosis import MAX_CANDIDATES, Diagnosis, Finding
from agent.buildlog.downloads import (
    DOWNLOAD_COMMAND,
    download_then_consequence,
    download_then_missing,
    installed_nothing,
)
from agent.buildlog.families import CURL_EXIT, EXIT_CODES
from agent.buildlog.patterns import Fix, Knowledge
from agent.buildlog.scanner import Failure, Hit, ScanResult
from agent.buildlog.signatures import signature
from agent.safety import redact

MAX_FINDINGS = 20
EXCERPT_LEN = 400
SCRIPT_COMMAND = re.compile(
    r"(?:^|&&|;|\|\|)\s*(?:exit\s+[1-9]|\./\S+|(?:ba)?sh\s+\S+|\S+\.sh\b|npm run\b"
    r"|yarn (?:run )?(?!install\b|add\b)[\w:-]+|(?:bundle exec\s+)?rake\b|python3?\s+(?!(?:\./)?setup\.py)\S+\.py)"
)
# The Dockerfile fails on purpose: the only case where a script-error needs no message to be sure.
# issue 12m: so does a step that only checks that a build variable is set (`RUN test -n "$VERSION"`, an ARG without a
# value: the 12k convention of configuration missing from the build).
EXPLICIT_EXIT = re.compile(r"^\s*(?:exit\s+[1-9]\d*|(?:test|\[)\s+-[nz]\s+\S+(?:\s+\])?)\s*$")
# issue 12y: so does a step whose last words are what a test of its own command (`[`, `[[`, `test`) echoes right before
# `exit N` or `false` (`if [ -z "$ROOT" ]; then echo 'No root.'; exit 1; fi`); not a message echoed after another
# program's failure (`make || (echo failed; exit 1)`: make's).
OWN_CHECK = re.compile(
    r"""(?:\bif\s+(?:\[\[?|test)\s[^;]*;\s*then|(?:^|&&|;|\()\s*(?:\[\[?|test)\s[^|&;]*\|\|\s*[({]?)\s*"""
    r"""(?:echo|printf)\s+(?:-[ne]+\s+)?(["']?)(.+?)\1\s*(?:1?>&2\s*)?(?:;|&&)\s*(?:exit\s+[1-9]\d*|false)\b"""
)
VARIABLE = re.compile(r"\\\$\\\{[^}]*\\\}|\\\$\w+")
# A failing install command with no known message is most likely a cause of that tool's family (a candidate only).
INSTALL_COMMAND_CATEGORY = (
    (
        re.compile(r"\b(?:npm (?:ci|install|i)\b|yarn(?: install| add)?\s*(?:$|&&|;|--)|pnpm (?:install|i|add)\b)"),
        "npm-dependency",
    ),
    (re.compile(r"\b(?:pip3? install|python3? (?:\./)?setup\.py|easy_install)\b"), "pip-build"),
    (re.compile(r"\bapt-get\b|\bapt install\b|\byum\b|\bdnf\b"), "apt-package"),
    (re.compile(r"\bapk (?:add|update)\b"), "apk-package"),
    (
        re.compile(
            r"\b(?:go (?:get|mod)|go-wrapper|godep|cargo|mvn|gradle|bundle install|gem install|composer|conda|"
            r"pipenv|poetry|mix deps|dotnet restore)\b"
        ),
        "dependency-resolution",
    ),
    (re.compile(r"\b(?:curl|wget)\b"), "download-failed"),
    (re.compile(r"\b(?:make|cmake|go build|gcc|g\+\+|javac|tsc)\b"), "compile-error"),
)
# The category an exit code alone names (127 command-not-found, 126 permission-denied, 137 out-of-memory, 132 SIGILL
# platform-mismatch): the structural reader's table, one definition.
EXIT_CODE_CATEGORY = {code: category for code, (_, category) in EXIT_CODES.items()}
# `apt-get install` without -y (issue 12g): with no terminal apt answers its own prompt with "Abort." (exit 1, or 100
# where the prompt line was not shown). Only where no pattern matched: a missing package has its own message.
APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b")
APT_ASSUME_YES = re.compile(r"(?:^|\s)(?:-[a-zA-Z]*y[a-zA-Z]*|--yes|--assume-yes|--force-yes)(?:\s|$)|Assume-Yes")
APT_ABORT_EXIT = {1, 100}
# curl's own exit codes when it prints nothing (-s): families.CURL_EXIT (one definition, issue 12m); wget's 4 network,
# 8 server error.
WGET_EXIT = {4, 8}
# How sure a root cause is, by the tier of the line that decided it (measured on the dev sets, see
# docs/diagnosis.md): decisive daemon/registry errors, specific causes, weak or cascade evidence, exit codes.
TIER_CONFIDENCE = {1: 0.95, 2: 0.85, 3: 0.6}
EXIT_CODE_CONFIDENCE = 0.65
# `RUN exit 1`: the Dockerfile fails on purpose.
EXPLICIT_EXIT_CONFIDENCE = 0.7
# A failing project script with no known message, or only a cascade symptom of one (npm ELIFECYCLE, a Python
# traceback): measured on the issue-12 sets, right about half the time. Below the threshold: "unknown" with
# script-error as the first candidate.
SCRIPT_CONFIDENCE = 0.45
# The lines that only say that some script failed (those cascade symptoms); a tier-3 script-error line that says
# what failed (next build's `Error occurred prerendering page`, issue 12i) keeps its tier's confidence.
SCRIPT_CASCADE = frozenset({"npm-script-failed", "python-traceback"})
COMMAND_CANDIDATE_CONFIDENCE = 0.35
# Below this the answer is "unknown" with the candidates, rather than a fix for a guess.
CONFIDENCE_THRESHOLD = 0.5
MAX_EVIDENCE = 5
# What the registry says when a base image's metadata cannot be resolved: the reason, not a missing image.
REGISTRY_REASONS = {"registry-auth", "registry-rate-limit"}
# The pattern of BuildKit's cache-key and COPY failures (a source missing from the context, unless the line says that a
# registry refused the layer).
CACHE_KEY_PATTERN = "copy-missing"
# Docker Hub answers a pull of a repository that does not exist with an access refusal: that one is a missing image.
NO_SUCH_REPOSITORY = re.compile(r"pull access denied|does not exist|not found|manifest unknown")
COPY_FROM_IMAGE = re.compile(
    r"(?:docker\.io/library/|pull access denied for |failed to solve: )([\w.-]+)(?::latest)?[:,\s]"
)


def _finding(hit: Hit, header: str | None) -> Finding:
    excerpt = redact(hit.text.strip())[:EXCERPT_LEN]
    return Finding(
        category=hit.pattern.category,
        pattern=hit.pattern.id,
        signature=signature(hit.pattern.id, redact(hit.text)),
        line=hit.line,
        excerpt=excerpt,
        explanation=hit.pattern.explanation,
        fixes=list(hit.pattern.fixes),
        tier=hit.pattern.tier,
        step=header,
    )


def _failed(scan: ScanResult) -> tuple[str | None, Failure | None]:
    if scan.failures:
        last = scan.failures[-1]
        # BuildKit repeats the failure in its summary; the first marker naming a step is the real one.
        named = [f for f in scan.failures if f.step is not None]
        chosen = named[-1] if named else last
        return chosen.step, chosen
    if scan.headers:
        return next(reversed(scan.headers)), None
    return None, None


def choose(scan: ScanResult, knowledge: Knowledge) -> Diagnosis:
    """Turn what the scanner kept into a Diagnosis."""
    step, failure = _failed(scan)
    header = scan.headers[step][1] if step is not None and step in scan.headers else None
    exit_code = failure.exit_code if failure else None
    if exit_code is None:
        exit_code = next((f.exit_code for f in reversed(scan.failures) if f.exit_code is not None), None)
    everything = scan.all_hits()
    if step is not None and step in scan.headers:
        start = scan.headers[step][0]
        candidates = [h for h in everything if h.step == step or (h.step is None and h.line >= start)]
    elif step is not None:
        candidates = [h for h in everything if h.step in (step, None)]
    else:
        candidates = everything
    if failure is None and not [h for h in candidates if not h.pattern.evidence]:
        # No failure marker names the step: a pasted log is often out of order, so any hit may be the cause.
        candidates = everything
    order = {p.id: i for i, p in enumerate(knowledge.patterns)}
    evidence_hits = [h for h in candidates if h.pattern.evidence]
    candidates = [h for h in candidates if not h.pattern.evidence]
    ranked = sorted(candidates, key=lambda h: (h.pattern.tier, h.line, order[h.pattern.id]))
    ranked = _refine(ranked, evidence_hits, knowledge)
    ranked = installed_nothing(ranked, evidence_hits, failure)
    ranked = download_then_missing(ranked, everything, scan)
    ranked = download_then_consequence(ranked, everything, scan, failure)
    region = structure.step_region(scan, step)  # the failing step's lines, read once for every reader of them
    reading = _read_structure(region, failure, header, exit_code)
    ranked = arbitrate.rerank(ranked, reading)
    failed_step = header or (f"RUN {failure.command}" if failure and failure.command else None)
    diagnosis = Diagnosis("unknown", failed_step, exit_code, lines=scan.lines, bytes=scan.bytes)
    findings: list[Finding] = []
    last = None if ranked else _last_message(scan, failure)  # the step's last words, read once: the fallback's and ours
    if ranked:
        root = _finding(ranked[0], _header_of(scan, ranked[0]))
        diagnosis.root_cause = root.category
        findings.append(root)
    else:
        fallback = _fallback(failure, exit_code, knowledge, failed_step, last)
        if fallback is not None:
            diagnosis.root_cause = fallback.category
            findings.append(fallback)
    seen = {f.signature for f in findings}
    for hit in everything:
        if len(findings) >= MAX_FINDINGS:
            break
        extra = _finding(hit, _header_of(scan, hit))
        if extra.signature not in seen:
            seen.add(extra.signature)
            findings.append(extra)
    diagnosis.findings = findings
    _confidence(diagnosis, ranked, failure is not None or bool(scan.headers))
    arbitrate.apply(diagnosis, reading, knowledge, CONFIDENCE_THRESHOLD, failure.line if failure else scan.lines)
    commands = [text for _, text in scan.headers.values()] + ([failure.command] if failure else [])
    # the COPY instructions the log shows, also where no step header carries them (a pasted excerpt; issue 12j)
    commands += [h.text.strip() for h in everything if h.pattern.id == "copy-sources"]
    # and the modules node could not load, by relative path (rule 6, issue 12k) or by name (rule 8, issue 12m)
    commands += [h.text.strip() for h in everything if h.pattern.id in calibration.MODULE_EVIDENCE]
    read_as = diagnosis.findings[0].category if diagnosis.findings else None
    calibration.apply(diagnosis, reading, commands, CONFIDENCE_THRESHOLD)
    reread = diagnosis.findings[0] if diagnosis.findings else None
    if reread is not None and reread.category != read_as:
        # an evidence rule read the line as another category: that category's fixes, those of the evidence that made
        # the rule first (the go.sum rule's COPY line: copy the lock file; issue 12j: the publickey clone of rule 1
        # kept fix-permissions before)
        evidence = [h for h in everything if h.pattern.evidence and h.pattern.category == reread.category]
        fixes: dict[str, Fix] = {}
        for fix in [f for h in evidence for f in h.pattern.fixes] + knowledge.fixes_for_category(reread.category):
            fixes.setdefault(fix.id, fix)
        reread.fixes = list(fixes.values()) or reread.fixes
    ambiguity.pull_refusal(diagnosis, scan, everything, knowledge)
    ambiguity.open_readings(diagnosis, knowledge)
    ambiguity.hash_mismatch(diagnosis, scan)
    ambiguity.arch_restricted_source(diagnosis, commands)
    ambiguity.prerender_backend(diagnosis, scan, everything, knowledge)
    ambiguity.dependency_syntax(diagnosis, scan, knowledge)
    ambiguity.empty_download(diagnosis, scan)
    _command_candidate(diagnosis, failure)
    emulation.emulated_crash(diagnosis, scan, step, knowledge, region)
    context.missing_context_file(diagnosis, scan, step, knowledge, region)
    buildargs.empty_build_variable(diagnosis, scan, step, knowledge, region)
    wordmodel.rank_unknown(diagnosis, scan, step)
    if diagnosis.root is None or diagnosis.root.pattern.startswith("exit-code-"):
        diagnosis.last_message = _last_message(scan, failure) if ranked else last
    return diagnosis


STEP_PREFIX = re.compile(r"^(?:Step \d+(?:/\d+)? : |(?:ERROR )?\[[^\]]*\] )?(?:RUN )?")


def _read_structure(
    lines: list[str], failure: Failure | None, header: str | None, exit_code: int | None
) -> structure.Reading:
    """The structural reading of the failed step: its command, exit code and the region's last lines."""
    command = failure.command if failure and failure.command else header
    if command is not None:  # `ERROR [17/21] RUN x` names the step's instruction, not only its command
        command = STEP_PREFIX.sub("", command)
    return structure.read(command, exit_code, lines)


def _refine(ranked: list[Hit], evidence: list[Hit], knowledge: Knowledge) -> list[Hit]:
    """Evidence that changes the reading of the winner: an image the builder could not pull whose name is a
    COPY --from stage is a stage the Dockerfile does not define (a Dockerfile error), not a missing base image; a
    base image whose metadata could not be resolved because the registry refused the token or rate-limited the pull
    (the same line says why) is that refusal."""
    if not ranked:
        return ranked
    # a registry's refusal on the winner's own line
    why = [h for h in ranked[1:] if h.line == ranked[0].line and h.pattern.category in REGISTRY_REASONS]
    if ranked[0].pattern.id == CACHE_KEY_PATTERN:
        # Issue 12v: BuildKit's `failed to compute cache key: failed to copy: httpReadSeeker: ... 429 Too Many Requests`
        # is a registry refusing a layer of the FROM image, not a file missing from the context: the same line says why.
        return [why[0], *[h for h in ranked if h is not why[0]]] if why else ranked
    if ranked[0].pattern.category != "base-image":
        return ranked
    if why and not NO_SUCH_REPOSITORY.search(ranked[0].text):
        return [why[0], *[h for h in ranked if h is not why[0]]]
    if not evidence:
        return ranked
    names = {m.group(1) for h in evidence for m in [h.pattern.regex.search(h.text)] if m and m.groups()}
    image = COPY_FROM_IMAGE.search(ranked[0].text + " ")
    stage = knowledge.by_id("copy-from-stage-missing")
    if image is None or image.group(1) not in names or stage is None:
        return ranked
    top = ranked[0]
    return [Hit(top.line, stage, top.text, top.step), *ranked]


def _confidence(diagnosis: Diagnosis, ranked: list[Hit], structured: bool) -> None:
    """Confidence, candidates and evidence; a guess below the threshold becomes "unknown" (findings kept)."""
    scores: dict[str, float] = {}
    for hit in ranked:
        score = TIER_CONFIDENCE.get(hit.pattern.tier, 0.5)
        if hit.pattern.id in SCRIPT_CASCADE:
            score = SCRIPT_CONFIDENCE  # a cascade symptom of some script, not its cause
        scores.setdefault(hit.pattern.category, score)
    root = diagnosis.findings[0] if diagnosis.findings and diagnosis.root_cause != "unknown" else None
    if root is not None and root.pattern.startswith("exit-code-"):
        if root.category == "script-error":
            explicit = root.pattern == "exit-code-explicit-exit"
            scores[root.category] = EXPLICIT_EXIT_CONFIDENCE if explicit else SCRIPT_CONFIDENCE
        else:
            scores[root.category] = EXIT_CODE_CONFIDENCE
    if root is not None:
        confidence = scores.get(root.category, 0.5)
        rivals = [c for c, v in scores.items() if c != root.category and v >= confidence]
        if rivals:  # another category is as well supported: less sure
            confidence -= 0.1
        if not structured:  # no failed step could be found: the hit may be an old or harmless line
            confidence -= 0.1
        scores[root.category] = confidence
        diagnosis.confidence = round(confidence, 2)
        diagnosis.evidence = [
            {"line": f.line, "text": f.excerpt} for f in diagnosis.findings if f.category == root.category
        ][:MAX_EVIDENCE]
    best = sorted(scores.items(), key=lambda kv: -kv[1])[:MAX_CANDIDATES]
    diagnosis.candidates = [{"category": c, "confidence": round(v, 2)} for c, v in best]
    if root is not None and diagnosis.confidence < CONFIDENCE_THRESHOLD:
        diagnosis.root_cause = "unknown"


NOISE = re.compile(r"^(?:-+> |Removing intermediate container|Step \d+/\d+ :|The command '|#\d+ (?:DONE|CACHED|\[))")


def _last_message(scan: ScanResult, failure: Failure | None) -> str | None:
    """The last line of the step's own output before the failure marker, from the log's tail."""
    from agent.buildlog.clean import buildkit_step, segments

    stop = failure.line if failure is not None else scan.lines + 1
    number = scan.tail_first_line
    best: str | None = None
    for raw in scan.tail.split(b"\n"):
        if number >= stop:
            break
        for text in segments(raw):
            body = buildkit_step(text)[1].strip()
            if body and not NOISE.match(body) and not body.startswith(("ERROR: process", "------")):
                best = body
        number += 1
    return redact(best)[:EXCERPT_LEN] if best else None


def _header_of(scan: ScanResult, hit: Hit) -> str | None:
    if hit.step is not None and hit.step in scan.headers:
        return scan.headers[hit.step][1]
    return None


def _own_check(command: str, last: str | None) -> bool:
    """Whether the step's last message is one its own command echoes before `exit N` (a check that failed on purpose;
    a `$VAR` in the echoed text matches whatever it expanded to)."""
    if not last:
        return False
    for match in OWN_CHECK.finditer(command):
        expected = VARIABLE.sub(".*", re.escape(match.group(2).strip()))
        if re.fullmatch(expected, last.strip()):
            return True
    return False


def _fallback(
    failure: Failure | None, exit_code: int | None, knowledge: Knowledge, failed_step: str | None, last: str | None
) -> Finding | None:
    """No pattern matched inside the failed step: what the exit code or the command still tells."""
    if failure is None:
        return None
    command = failure.command
    category = EXIT_CODE_CATEGORY.get(exit_code or -1)
    pattern = f"exit-code-{category}"
    why = f"the exit code means {category}"
    tool = DOWNLOAD_COMMAND.search(command)
    if category is None and tool and exit_code in (CURL_EXIT if tool.group().startswith("curl") else WGET_EXIT):
        category, pattern, why = "download-failed", "exit-code-download", f"it is {tool.group().strip()}'s error code"
    if category is None and exit_code in APT_ABORT_EXIT and _apt_install_without_yes(command):
        category, pattern, why = "apt-package", "exit-code-apt-prompt", "apt-get install has no -y and no terminal"
    if category is None and (EXPLICIT_EXIT.match(command) or _own_check(command, last)):
        category, pattern, why = "script-error", "exit-code-explicit-exit", "the step is an explicit `exit` or check"
    elif category is None and SCRIPT_COMMAND.search(command) and _install_category(command) is None:
        category, pattern, why = "script-error", "exit-code-script-error", "the project's own script failed"
    if category is None:
        return None
    text = f"{command} returned a non-zero code: {exit_code}"
    fixes = knowledge.fixes_or_generic(category)
    first = {"exit-code-apt-prompt": "apt-assume-yes", "exit-code-platform-mismatch": "cpu-level-base"}.get(pattern)
    if first is not None:  # the fix of what the exit code says (SIGILL: a CPU level, not another platform; 12w)
        fixes = [knowledge.fixes[first], *[f for f in fixes if f.id != first]]
    return Finding(
        category=category,
        pattern=pattern,
        signature=signature(category, redact(text)),
        line=failure.line,
        excerpt=redact(text)[:EXCERPT_LEN],
        explanation=f"the step failed with exit code {exit_code} and no known error message; {why}",
        fixes=fixes,
        tier=3,
        step=failed_step,
    )


def _apt_install_without_yes(command: str) -> bool:
    """A simple command of the step is `apt-get install ...` without -y (and not fed by `yes |`)."""
    for part in re.split(r"&&|\|\||;", command):
        if APT_INSTALL.search(part) and not APT_ASSUME_YES.search(part) and not re.search(r"\byes\b[^|]*\|", part):
            return True
    return False


def _install_category(command: str) -> str | None:
    """The family of the package manager or tool a failing command runs (npm install -> npm-dependency), if any."""
    for regex, category in INSTALL_COMMAND_CATEGORY:
        if regex.search(command):
            return category
    return None


def _command_candidate(diagnosis: Diagnosis, failure: Failure | None) -> None:
    """An unknown failure of an install or download command: name the tool's family as a low candidate."""
    if diagnosis.root_cause != "unknown" or failure is None:
        return
    category = _install_category(failure.command)
    if category is None or any(c["category"] == category for c in diagnosis.candidates):
        return
    diagnosis.candidates = [*diagnosis.candidates, {"category": category, "confidence": COMMAND_CANDIDATE_CONFIDENCE}][
        :MAX_CANDIDATES
    ]
