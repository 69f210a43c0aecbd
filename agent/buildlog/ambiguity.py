"""Issue 12t: lines that read the same for several categories. Such a line answers only when the log's other lines
do not point to another reading; where they decide, their reading; otherwise `unknown` with the candidates.

Issue 12u adds two of the same kind: a pattern that names the other categories its line reads as (`also` in
data/patterns.yaml: the label files disagree, or the line alone does not tell) answers `unknown` with them as the
candidates (`open_readings`); and pip's hash mismatch of a requirement a requirements file names itself, which is a
corrupted download or a hash the file pins, answers `unknown` with both unless the step shows `--require-hashes`
(`hash_mismatch`; calibration's rule then reads the pinned hashes).

Issue 12v adds apt's `Unable to locate package` in a build that restricts a package source to one architecture
(`deb [arch=amd64] ...`): the package may exist only for that architecture, which the builder is not (platform-mismatch,
the Platforms convention), or not exist at all (apt-package): `unknown` with both (`arch_restricted_source`); and
next build's prerender error where the page's fetch could not connect (`prerender_backend`: the JavaScript bundlers
convention, script-error); and Node's SyntaxError in a file under node_modules (`dependency_syntax`: a dependency's code
the image's Node is too old to parse, the Other package managers convention, dependency-resolution); and a program not
found after an earlier step whose curl received nothing (`empty_download`: the 12s convention reads a visible download
failure as download-failed and a silent one as command-not-found; a progress meter of zero bytes is between the two)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.buildlog import arbitrate
from agent.buildlog.clean import buildkit_step, segments
from agent.buildlog.diagnosis import MAX_CANDIDATES, Diagnosis
from agent.buildlog.downloads import MISSING_PROGRAM
from agent.buildlog.patterns import Knowledge
from agent.buildlog.scanner import Hit, ScanResult

# the confidence of a reading the log's other evidence decides (a tier-2 line's)
DECIDED_CONFIDENCE = 0.85
STEP_PREFIX = re.compile(r"^(?:Step \d+(?:/\d+)? : |(?:ERROR )?\[[^\]]*\] )?(?:RUN )?")

# Issue 12t: one pull-refusal line reads the same for a FROM image that does not exist (base-image), a private image
# that needs a login (registry-auth) and a stage name the builder does not know (dockerfile-syntax). The base-image
# readings of such a line answer only when nothing in the log points to another of them; otherwise `unknown` with
# the candidates, or the category the log's own evidence decides.
PULL_READINGS = frozenset(
    {
        "base-image-missing",
        "base-image-no-repository",
        "base-image-metadata-failed",
        "base-image-metadata-failed-stage",
        "base-image-missing-other-builders",
    }
)
# The refusal wordings (not `manifest unknown` / `manifest for x not found`, which name a missing tag).
ACCESS_REFUSED = re.compile(
    r"pull access denied|does not exist or no pull access|requested access to the resource is denied|"
    r"may require authorization|load metadata for"
)
# An image reference on a registry other than Docker Hub (a host with a dot or port, or localhost).
PRIVATE_REFERENCE = re.compile(
    r"(?:pull access denied for |repository |load metadata for |reading manifest \S+ in |Unable to pull '|FROM )"
    r"(?!docker\.io/|index\.docker\.io/)((?:[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?|localhost(?::\d+)?)/\S+)"
)
# The registry refused the credentials: the private image's login, not a missing image.
AUTH_REFUSED = re.compile(
    r"failed to fetch oauth token|\b401\b|[Uu]nauthori[sz]ed|authentication required|no basic auth credentials|"
    r"[Ii]ncorrect username or password|denied: access forbidden"
)
# A bare name (no registry, no namespace) that could not be pulled; BuildKit names it on its metadata line.
BARE_PULL = re.compile(r"pull access denied for ([\w.-]+)[,:\s]")
METADATA_FOR = re.compile(r"load metadata for (\S+?)(?::?\s|$)")
LIBRARY_UNTAGGED = re.compile(r"^(?:docker\.io/)?(?:library/)?([\w.-]+)(?::latest)?$")
# docker-maven-plugin (fabric8) pulls every FROM name itself, stage names included.
PLUGIN_PULL = re.compile(r"Unable to pull '[\w.-]+(?::[\w.-]+)?'")
# A FROM instruction as the log shows it (a classic step, BuildKit's Dockerfile excerpt or step, a pasted file).
FROM_LINE = re.compile(r"(?:^|: |\| (?:>>> )?|\] )FROM\s+(?:--\S+\s+)*([\w.:/@${}-]+)(?:\s+[Aa][Ss]\s+([\w.-]+))?\s*$")


def _reference(line: str, tail: str) -> tuple[str | None, str]:
    """The image a refusal line is about and its kind: "private" (on a registry other than Docker Hub), "bare" (no
    registry, namespace or tag) or "other"; from the line itself, else from BuildKit's `load metadata for` line."""
    private = PRIVATE_REFERENCE.search(line)
    if private is not None:
        return private.group(1), "private"
    bare = BARE_PULL.search(line + " ")
    if bare is not None:
        return bare.group(1), "bare"
    own = METADATA_FOR.search(line)
    metadata = [m.group(1) for m in METADATA_FOR.finditer(tail)]
    reference = own.group(1) if own is not None else (metadata[-1] if metadata else None)
    if reference is None:
        return None, "other"
    if PRIVATE_REFERENCE.search("FROM " + reference):
        return reference, "private"
    library = LIBRARY_UNTAGGED.match(reference)
    return (library.group(1), "bare") if library else (reference, "other")


def pull_refusal(diagnosis: Diagnosis, scan: ScanResult, everything: list[Hit], knowledge: Knowledge) -> None:
    """Issue 12t: a base-image answer from a pull-refusal line that the log's other lines do not back becomes the
    reading they decide, or `unknown` with the candidates (a private registry's image: registry-auth; a bare name in a
    later stage of a multi-stage build, or pulled by a plugin that pulls stage names too: dockerfile-syntax)."""
    root = diagnosis.root
    if root is None or root.category != "base-image" or root.pattern not in PULL_READINGS:
        return
    line = next((h.text for h in everything if h.line == root.line), root.excerpt)
    if not ACCESS_REFUSED.search(line):
        return
    tail = scan.tail.decode("utf-8", "replace")
    reference, kind = _reference(line, tail)
    if reference is None:
        return
    other: str | None = None
    if kind == "private":
        refused = [h for h in everything if h.line != root.line and h.pattern.category == "registry-auth"]
        if refused or AUTH_REFUSED.search(tail) or any(AUTH_REFUSED.search(h.text) for h in everything):
            _decide(diagnosis, "registry-auth", knowledge)
            return
        other = "registry-auth"
    elif kind == "bare":
        in_tail = _from_lines(tail.splitlines())
        in_headers = _from_lines(STEP_PREFIX.sub("", text) for _, text in scan.headers.values())
        if any(m.group(2) == reference for m in [*in_headers, *in_tail]):
            _decide(diagnosis, "dockerfile-syntax", knowledge)
            return
        later = [i for i, m in enumerate(in_tail) if i > 0 and m.group(1).split(":")[0] == reference]
        if later or PLUGIN_PULL.search(line):
            other = "dockerfile-syntax"
    if other is not None:
        _unknown(diagnosis, [other, "base-image"])


def _from_lines(texts: Iterable[str]) -> list[re.Match[str]]:
    """The FROM instructions among `texts`, in order."""
    return [m for text in texts for m in [FROM_LINE.search(text.strip())] if m]


def _decide(diagnosis: Diagnosis, category: str, knowledge: Knowledge) -> None:
    """The log's own evidence names the reading of an ambiguous pull refusal: that category, at tier-2 confidence."""
    if diagnosis.findings:
        diagnosis.findings[0].category = category
        diagnosis.findings[0].fixes = knowledge.fixes_for_category(category) or diagnosis.findings[0].fixes
    diagnosis.root_cause = category
    diagnosis.confidence = DECIDED_CONFIDENCE
    others = [c for c in diagnosis.candidates if c["category"] != category]
    diagnosis.candidates = [{"category": category, "confidence": DECIDED_CONFIDENCE}, *others][:MAX_CANDIDATES]


def open_readings(diagnosis: Diagnosis, knowledge: Knowledge) -> None:
    """Issue 12u: a root cause resting on a line that reads as several categories (the pattern's `also`) is `unknown`
    with the pattern's category first and the others after it (also when calibration already withheld it)."""
    first = diagnosis.findings[0] if diagnosis.findings else None
    pattern = knowledge.by_id(first.pattern) if first is not None else None
    if first is None or pattern is None or not pattern.also:
        return
    readings = [first.category, *[c for c in pattern.also if c != first.category]]
    if diagnosis.root is not None:
        _unknown(diagnosis, readings)
        return
    # already `unknown` (calibration withheld it): the line's readings lead the candidates
    others = [c for c in diagnosis.candidates if c["category"] not in readings]
    confidence = min(diagnosis.confidence or arbitrate.CONFLICT_CONFIDENCE, arbitrate.CONFLICT_CONFIDENCE)
    diagnosis.candidates = [{"category": c, "confidence": confidence} for c in readings] + others
    diagnosis.candidates = diagnosis.candidates[:MAX_CANDIDATES]


# pip's HashMismatch names the requirement on the line after its header: a requirement the requirements file names
# itself (`x==1.0 from https://... (from -r requirements.txt (line 12)):`) may have its hashes pinned in that file
# (hash-checking mode starts as soon as one requirement has `--hash`, without `--require-hashes`); a dependency of
# another requirement (`(from torch->-r requirements.txt (line 3))`) or pip's `unknown package:` is checked against
# the index's hash only.
HASH_MISMATCH = "pip-hash-mismatch"
DIRECT_REQUIREMENT = re.compile(r"\S+ from \S+ \(from -r [^()]+ \(line \d+\)\)\)?:?\s*$")


def hash_mismatch(diagnosis: Diagnosis, scan: ScanResult) -> None:
    """Issue 12u: pip's hash mismatch read as a corrupted download (pip-network), of a requirement the requirements
    file names itself: the file may pin that hash (dependency-resolution, a hash lock that does not fit the file the
    index serves), so `unknown` with both."""
    root = diagnosis.root
    if root is None or root.pattern != HASH_MISMATCH or root.category != "pip-network":
        return
    tail = scan.tail.decode("utf-8", "replace").splitlines()
    if not any(DIRECT_REQUIREMENT.search(line) for line in tail):
        return
    _unknown(diagnosis, ["pip-network", "dependency-resolution"])


def _unknown(diagnosis: Diagnosis, readings: list[str]) -> None:
    """`unknown` at the conflict confidence, with these readings as the candidates."""
    diagnosis.root_cause = "unknown"
    diagnosis.confidence = arbitrate.CONFLICT_CONFIDENCE
    diagnosis.candidates = [
        {"category": c, "confidence": arbitrate.CONFLICT_CONFIDENCE} for c in readings[:MAX_CANDIDATES]
    ]


# A package source restricted to architectures (`deb [arch=amd64] http://dl.google.com/linux/chrome/deb/ stable main`).
ARCH_RESTRICTED = re.compile(r"\bdeb \[(?:[^\]]*\s)?arch=[\w,-]+")
PACKAGE_NOT_FOUND = re.compile(r"Unable to locate package|has no installation candidate")


def arch_restricted_source(diagnosis: Diagnosis, commands: Iterable[str]) -> None:
    """Issue 12v: apt cannot find a package while the build's commands add a package source for named architectures
    only: on a builder of another architecture (arm64 on Apple Silicon) that source offers nothing, so the answer is
    `unknown` with platform-mismatch and apt-package."""
    root = diagnosis.root
    if root is None or root.category != "apt-package" or not PACKAGE_NOT_FOUND.search(root.excerpt):
        return
    if not any(ARCH_RESTRICTED.search(text) for text in commands if text):
        return
    _unknown(diagnosis, ["platform-mismatch", "apt-package"])


# next build's (or Gatsby's) prerender failure, and the page's request that could not connect (a backend the build
# cannot reach: `TypeError: fetch failed`, `connect ECONNREFUSED ::1:8000`, a name that does not resolve).
PRERENDER = "next-prerender-error"
BACKEND_UNREACHABLE = re.compile(
    r"\b(?:connect )?(?:ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH)\b|TypeError: fetch failed|"
    r"getaddrinfo \w+"
)
PRERENDER_READINGS = {"unknown", "script-error", "compile-error"}


def prerender_backend(diagnosis: Diagnosis, scan: ScanResult, everything: list[Hit], knowledge: Knowledge) -> None:
    """Issue 12v: a page that fails to prerender because its request to a backend could not connect is the build
    needing a service it does not have (the JavaScript bundlers convention: script-error), not the page's code
    (`TypeError: fetch failed` reads as compile evidence) nor a registry's network."""
    prerender = next((h for h in everything if h.pattern.id == PRERENDER), None)
    if diagnosis.root_cause not in PRERENDER_READINGS or prerender is None:
        return
    if not BACKEND_UNREACHABLE.search(scan.tail.decode("utf-8", "replace")):
        return
    finding = next((f for f in diagnosis.findings if f.pattern == PRERENDER), None)
    if finding is None:
        return
    if diagnosis.findings[0] is not finding:
        diagnosis.findings.remove(finding)
        diagnosis.findings.insert(0, finding)
    diagnosis.evidence = [{"line": prerender.line, "text": finding.excerpt}]
    _decide(diagnosis, "script-error", knowledge)


# Node's report of a file it cannot parse: the file and line, the source line and a caret, then the SyntaxError.
NODE_MODULES_FILE = re.compile(r"^\S*/node_modules/\S+\.[cm]?js:\d+\s*$")
NODE_SYNTAX_ERROR = re.compile(r"^SyntaxError: ")
SYNTAX_WINDOW = 8
WEAK_READINGS = {"unknown", "script-error", "compile-error"}
# Issue 12w: lines that only say that a script of the step failed, which a dependency's unparsable code explains as
# well: npm's `Test failed` (the test runner could not load), `Failed at the x@1.0 postinstall script` (a
# dependency's hook).
SCRIPT_FAILED = re.compile(r"npm (?:ERR!|error) (?:Test failed|Failed at the \S+ (?:pre|post)?install script)")


def dependency_syntax(diagnosis: Diagnosis, scan: ScanResult, knowledge: Knowledge) -> None:
    """Issue 12v: Node cannot parse a file of a dependency (`/app/node_modules/mkdirp/lib/opts-arg.js:7` ...
    `SyntaxError: Unexpected token ...`): the dependency's code is newer than the image's Node (12k:
    dependency-resolution), not the project's script or code. Only where nothing more specific answered."""
    root = diagnosis.root
    if diagnosis.root_cause not in WEAK_READINGS and (root is None or not SCRIPT_FAILED.search(root.excerpt)):
        return
    lines = [(number, buildkit_step(t)[1].strip()) for number, t in _tail_segments(scan)]
    for i, (number, line) in enumerate(lines):
        if not NODE_MODULES_FILE.match(line):
            continue
        error = next((x for _, x in lines[i + 1 : i + SYNTAX_WINDOW] if NODE_SYNTAX_ERROR.match(x)), None)
        if error is None:
            continue
        diagnosis.evidence = [{"line": number, "text": f"{line}: {error}"}]
        if diagnosis.findings:
            diagnosis.findings[0].excerpt = f"{line}: {error}"
        _decide(diagnosis, "dependency-resolution", knowledge)
        return


# curl's progress meter (`  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0`): the first
# field is the share of the file received.
CURL_METER = re.compile(r"^\s*(\d+)\s+\S+\s+\d+\s+\S+\s+\d+\s+\S+\s+\S+\s+\S+\s+(?:--:--:--|\d+:\d+:\d+)\s")
ZERO_METER = re.compile(r"^\s*0\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+--:--:-- --:--:-- --:--:--\s+0\s*$")
CURL_COMMAND = re.compile(r"\bcurl\s")
# the shortest program name read (downloads.MISSING_PROGRAM names it; `sh`, `cc` are too common in commands)
MIN_PROGRAM = 4


def empty_download(diagnosis: Diagnosis, scan: ScanResult) -> None:
    """Issue 12v: `conda: not found` after an earlier step whose curl of the program's installer (`curl -o
    Miniconda3-latest-Linux-x86_64.sh https://repo.continuum.io/...`, a redirect curl did not follow) shows a progress
    meter that never received a byte: the download saved nothing (download-failed, as a visible failure, 12s) or the
    program is simply not installed (command-not-found, as a silent one): `unknown` with both."""
    root = diagnosis.root
    if root is None or root.category != "command-not-found":
        return
    name = MISSING_PROGRAM.search(root.excerpt.strip())
    if name is None or len(name.group(1)) < MIN_PROGRAM:
        return
    program = name.group(1).lower()
    lines = _tail_segments(scan)
    starts = sorted(start for start, _ in scan.headers.values())
    for start, text in scan.headers.values():
        if start >= root.line or not CURL_COMMAND.search(text) or program not in text.lower():
            continue
        end = next((s for s in starts if s > start), root.line)
        meters = [t for n, t in lines if start < n < end and CURL_METER.match(t)]
        if meters and all(ZERO_METER.match(t) for t in meters):
            _unknown(diagnosis, ["download-failed", "command-not-found"])
            return


def _tail_segments(scan: ScanResult) -> list[tuple[int, str]]:
    """(line number, visible piece) of every line the tail holds (clean.segments: split at carriage returns)."""
    return [(n, t) for n, raw in enumerate(scan.tail.split(b"\n"), scan.tail_first_line) for t in segments(raw)]
