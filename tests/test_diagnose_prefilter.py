"""The prefilter is derived from the patterns: every pattern's own example lines must reach it through the whole
scanner (prefilter included), with and without the colour codes real logs carry."""

from __future__ import annotations

import io

import pytest

from agent.buildlog.literals import LiteralError, prefilter_tokens, required_literals
from agent.buildlog.patterns import load_knowledge
from agent.buildlog.scanner import Scanner

pytestmark = pytest.mark.unit

KNOWLEDGE = load_knowledge()
SCANNER = Scanner(KNOWLEDGE)
CASES = [(p.id, ex) for p in KNOWLEDGE.patterns for ex in p.examples]


def _found(pattern_id: str, raw: bytes) -> bool:
    filler = b"npm http fetch GET 200 https://registry.npmjs.org/react 12ms\n" * 3
    result = SCANNER.scan(io.BytesIO(filler + raw + b"\n" + filler))
    return any(h.pattern.id == pattern_id for h in result.all_hits())


def test_every_pattern_has_an_example() -> None:
    assert [p.id for p in KNOWLEDGE.patterns if not p.examples] == []


@pytest.mark.parametrize(("pattern_id", "example"), CASES, ids=[f"{p}-{i}" for i, (p, _) in enumerate(CASES)])
def test_example_line_is_found_through_the_whole_scanner(pattern_id: str, example: str) -> None:
    assert _found(pattern_id, example.encode()), f"{pattern_id} does not find its own example {example!r}"
    prefixed = b"#7 12.3 \x1b[91m" + example.encode() + b"\x1b[0m"
    assert _found(pattern_id, prefixed), f"{pattern_id} misses its example behind a BuildKit prefix and colour"
    pattern = KNOWLEDGE.by_id(pattern_id)
    assert pattern is not None
    if all(" " not in lit for lit in pattern.literals):
        # Single-word prefilters also survive colour changes at word boundaries (`npm\x1b[0m\x1b[91m ERR!`).
        coloured = b"\x1b[91m" + example.encode().replace(b" ", b"\x1b[0m\x1b[91m ") + b"\x1b[0m"
        assert _found(pattern_id, coloured), f"{pattern_id} misses its coloured example {coloured!r}"


def test_required_literals_of_a_regex() -> None:
    assert required_literals(r"npm (?:ERR!|error) code (ETIMEDOUT|ECONNRESET)") == (
        "npm ERR! code ECONNRESET",
        "npm ERR! code ETIMEDOUT",
        "npm error code ECONNRESET",
        "npm error code ETIMEDOUT",
    )
    assert required_literals(r"[Nn]o space left on device") == ("No space left on device", "no space left on device")
    assert prefilter_tokens(("npm ERR! code ETIMEDOUT",)) == ("ETIMEDOUT",)
    # A common word alone would look at most lines: the whole literal is searched instead.
    assert prefilter_tokens(("Failed to fetch font",)) == ("Failed to fetch font",)


@pytest.mark.parametrize("regex", [r"\S+: \d+", r".*", r"(?i)manifest unknown", r"foo bar|.+"])
def test_a_regex_without_a_usable_literal_is_refused(regex: str) -> None:
    with pytest.raises(LiteralError):
        required_literals(regex)


def test_a_pattern_file_with_a_prefilter_key_is_refused(tmp_path: object) -> None:
    from pathlib import Path

    from agent.buildlog.patterns import load_knowledge as load
    from agent.errors import ShipshapeError

    target = Path(str(tmp_path)) / "p.yaml"
    target.write_text(
        "fixes: {f: {description: d}}\npatterns:\n- {id: x, category: c, prefilter: 'zz', regex: 'abc def',"
        " explanation: e, fixes: [f]}\n"
    )
    with pytest.raises(ShipshapeError, match="derived"):
        load(target)


# Lines every healthy build prints by the thousand. A prefilter literal that hits one of them sends most of a
# big log through the precise regexes (issue 12c: `request`, derived from a pnpm pattern, took the 1 GB bench
# from 245 to 4.8 MB/s because of `Collecting requests`).
ORDINARY_LINES = [
    "Collecting requests==2.31.0 (from -r requirements.txt (line 3))",
    "  Downloading requests-2.31.0-py3-none-any.whl (62 kB)",
    "Requirement already satisfied: urllib3<3,>=1.21.1 in /usr/local/lib/python3.12/site-packages",
    "make[1]: Entering directory '/app/node_modules/bcrypt/build'",
    "make[1]: Leaving directory '/app/node_modules/bcrypt/build'",
    "checking for gcc... gcc",
    "checking whether the C compiler works... yes",
    "[2/4] Resolving packages...",
    "success Saved lockfile.",
    "Resolving dependencies...",
    "Resolving deltas: 100% (42/42), done.",
    "npm http fetch GET 200 https://registry.npmjs.org/@babel%2fcore 87ms (cache miss)",
    "npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
    "npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported",
    "added 1337 packages, and audited 1338 packages in 41s",
    "Get:12 http://deb.debian.org/debian bookworm/main amd64 libssl3 amd64 3.0.11-1~deb12u2 [2,025 kB]",
    "Setting up libcurl4:amd64 (7.88.1-10+deb12u5) ...",
    " ---> Running in 3c1f9a2b7d4e",
    "Removing intermediate container 3c1f9a2b7d4e",
    "go: downloading github.com/stretchr/testify v1.9.0",
    "[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/x/x-1.jar (12 kB at 80 kB/s)",
    "   Compiling serde v1.0.197",
    "Fetching gem metadata from https://rubygems.org/.........",
    "  Preparing metadata (setup.py) ... done",
    "Using rake 13.0.1",
    "Bundle complete! 14 Gemfile dependencies, 69 gems now installed.",
    "Step 4/12 : RUN npm ci",
    "#12 0.532 gcc -O2 -fPIC -c src/module_3.c -o build/module_3.o",
    "Setting up ca-certificates (20230311) ...",
    "Updating certificates in /etc/ssl/certs...",
    "(5/19) Installing isl (0.18-r0)",
    "yarn install v1.22.19",
    "[3/4] Linking dependencies...",
    "vite v5.0.12 building for production...",
    "   Generating static pages (12/12)",
]


@pytest.mark.parametrize("line", ORDINARY_LINES)
def test_no_prefilter_literal_hits_an_ordinary_line(line: str) -> None:
    hits = [(p.id, lit) for p in KNOWLEDGE.patterns for lit in p.literals if lit in line]
    assert hits == [], f"{line!r} reaches the precise regexes through {hits}"
