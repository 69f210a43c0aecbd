"""Diagnosis of build logs: categories, root cause (not the cascade), failed step and exit code, robustness."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.buildlog import diagnose_bytes
from agent.buildlog.patterns import load_knowledge

pytestmark = pytest.mark.unit

CATEGORIES_DOC = Path(__file__).resolve().parents[2] / "shared" / "design" / "FAILURE-CATEGORIES.md"

CLASSIC_NPM = """Sending build context to Docker daemon  412kB
Step 1/6 : FROM node:20-alpine
 ---> 1a2b3c4d5e6f
Step 2/6 : RUN apk add --no-cache curl
 ---> Running in 9f8e7d6c5b4a
ERROR: this line in a step that succeeded is not the root cause
Removing intermediate container 9f8e7d6c5b4a
Step 3/6 : RUN npm ci
 ---> Running in 0a1b2c3d4e5f
npm {tag} code ETIMEDOUT
npm {tag} errno ETIMEDOUT
npm {tag} network request to https://registry.npmjs.org/next failed, reason: connect ETIMEDOUT 104.16.1.35:443
npm {tag} A complete log of this run can be found in: /root/.npm/_logs/2026-01-01T10_00_00_000Z-debug-0.log
The command '/bin/sh -c npm ci' returned a non-zero code: 1
"""


@pytest.mark.parametrize("tag", ["ERR!", "error"])
def test_npm_network_both_formats_with_step_and_exit_code(tag: str) -> None:
    result = diagnose_bytes(CLASSIC_NPM.format(tag=tag))
    assert result.root_cause == "npm-network"
    assert result.failed_step == "Step 3/6 : RUN npm ci"
    assert result.exit_code == 1
    root = result.findings[0]
    assert root.line == 10
    assert root.fixes[0].id == "npm-retry-settings" and root.fixes[0].auto


def test_buildkit_failed_step_exit_code_and_prefix_removed() -> None:
    log = (
        "#5 [deps 2/4] COPY package.json ./\n#5 DONE 0.1s\n#6 [deps 3/4] RUN npm run build\n"
        "#6 2.1 src/app.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.\n"
        "#6 2.2 npm error code ELIFECYCLE\n"
        '#6 ERROR: process "/bin/sh -c npm run build" did not complete successfully: exit code: 2\n'
        "------\n > [deps 3/4] RUN npm run build:\n------\n"
        'ERROR: failed to solve: process "/bin/sh -c npm run build" did not complete successfully: exit code: 2\n'
    )
    result = diagnose_bytes(log)
    assert result.root_cause == "compile-error"  # the TypeScript error, not the ELIFECYCLE cascade after it
    assert result.failed_step == "[deps 3/4] RUN npm run build"
    assert result.exit_code == 2
    assert result.findings[0].excerpt.startswith("src/app.ts(3,7): error TS2322")


def test_next_font_failure() -> None:
    log = (
        "Step 7/9 : RUN npm run build\n > next build\n   Creating an optimized production build ...\n"
        "Failed to fetch font `Inter`.\nURL: https://fonts.googleapis.com/css2?family=Inter:wght@400&display=swap\n"
        "Please check if the network is available.\n"
        "The command '/bin/sh -c npm run build' returned a non-zero code: 1\n"
    )
    result = diagnose_bytes(log)
    assert result.root_cause == "next-font-fetch"
    assert result.findings[0].fixes[0].id == "next-font-local"


@pytest.mark.parametrize(
    ("line", "first_fix"),
    [
        (
            "PrismaClientInitializationError: Prisma Client could not locate the Query Engine for runtime "
            '"linux-musl-openssl-3.0.x".',
            "prisma-binary-targets",
        ),
        (
            "Unable to require(`/app/node_modules/.prisma/client/libquery_engine-linux-musl.so.node`). "
            "Error loading shared library libssl.so.1.1: No such file or directory",
            "prisma-apk-openssl",
        ),
    ],
)
def test_both_prisma_failure_modes(line: str, first_fix: str) -> None:
    log = f"Step 8/9 : RUN node scripts/check-db.js\nprisma:warn something\n{line}\n"
    log += "The command '/bin/sh -c node scripts/check-db.js' returned a non-zero code: 1\n"
    result = diagnose_bytes(log)
    assert result.root_cause == "prisma-engine"
    assert result.findings[0].fixes[0].id == first_fix


def test_decisive_daemon_error_without_run_step() -> None:
    log = "Sending build context to Docker daemon  2kB\nStep 1/3 : FROM node:99-nope\n"
    log += "manifest for node:99-nope not found: manifest unknown: manifest unknown\n"
    result = diagnose_bytes(log)
    assert result.root_cause == "base-image"
    assert result.failed_step == "Step 1/3 : FROM node:99-nope"


def test_exit_code_fallbacks_and_unknown() -> None:
    tail = "The command '/bin/sh -c {}' returned a non-zero code: {}\n"
    killed = "Step 4/5 : RUN make -j8\ncc1plus: compiling\n" + tail.format("make -j8", 137)
    assert diagnose_bytes(killed).root_cause == "out-of-memory"
    # A failing project script with no known message is a guess (right about half the time): unknown, with
    # script-error as the first candidate. A step that is an explicit `exit` fails on purpose: script-error.
    script = diagnose_bytes("Step 2/2 : RUN ./deploy.sh\nsomething odd happened\n" + tail.format("./deploy.sh", 3))
    assert script.root_cause == "unknown" and script.candidates[0]["category"] == "script-error"
    assert script.last_message == "something odd happened"
    on_purpose = diagnose_bytes("Step 9/9 : RUN exit 1\n" + tail.format("exit 1", 1))
    assert on_purpose.root_cause == "script-error" and on_purpose.confidence >= 0.7
    install = diagnose_bytes("Step 3/4 : RUN yarn install\nerror An odd thing\n" + tail.format("yarn install", 1))
    assert install.root_cause == "unknown" and install.candidates[0]["category"] == "npm-dependency"
    odd = "Step 2/2 : RUN frobnicate --all\nfrobnicate: the widget is sad\n" + tail.format("frobnicate --all", 3)
    result = diagnose_bytes(odd)
    assert result.root_cause == "unknown"
    assert result.exit_code == 3 and result.failed_step == "Step 2/2 : RUN frobnicate --all"
    assert result.last_message == "frobnicate: the widget is sad"


def test_unknown_failure_after_many_chunks_keeps_its_last_message() -> None:
    filler = "npm http fetch GET 200 https://registry.npmjs.org/react 12ms\n" * 200_000  # ~12 MB, > one chunk
    log = "Step 1/2 : RUN make\n" + filler + "zork: the flux capacitor is empty\n"
    log += "The command '/bin/sh -c make' returned a non-zero code: 2\n"
    result = diagnose_bytes(log)
    assert result.root_cause == "unknown" and result.exit_code == 2
    assert result.last_message == "zork: the flux capacitor is empty"
    assert result.lines == 200_003


def test_ansi_carriage_returns_and_invalid_utf8() -> None:
    raw = (
        b"Step 3/6 : RUN npm ci\n"
        b"\xff\xfe garbage \x00\x01 line\n"
        b"  10% [==>     ] fetching\r  50% [=====>  ] fetching\r\x1b[91mnpm ERR! code ECONNRESET\x1b[0m\n"
        b"The command '/bin/sh -c npm ci' returned a non-zero code: 1\n"
    )
    result = diagnose_bytes(raw)
    assert result.root_cause == "npm-network"
    assert result.findings[0].excerpt == "npm ERR! code ECONNRESET"
    assert result.findings[0].line == 3


def test_excerpts_are_redacted() -> None:
    log = (
        "Step 2/3 : RUN curl -fsSL -H 'Authorization: Bearer abc.def.ghi' https://bob:hunter2@example.com/f.tgz\n"
        "curl: (22) The requested URL returned error: 404 for https://bob:hunter2@example.com/f.tgz "
        "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"
        "The command '/bin/sh -c curl' returned a non-zero code: 22\n"
    )
    result = diagnose_bytes(log)
    assert result.root_cause == "download-failed"
    text = " ".join(f.excerpt + f.signature for f in result.findings)
    assert "hunter2" not in text and "ghp_abc" not in text
    assert "[REDACTED]" in result.findings[0].excerpt


def test_empty_log_has_no_finding() -> None:
    result = diagnose_bytes(b"")
    assert result.root_cause == "unknown" and result.findings == [] and result.lines == 0


def test_patterns_cover_every_category_of_the_design() -> None:
    if not CATEGORIES_DOC.exists():
        pytest.skip(f"{CATEGORIES_DOC} is not beside the repository")
    ids = set(re.findall(r"^\| ([a-z][a-z-]+) \|", CATEGORIES_DOC.read_text(), re.M)) - {"id", "unknown"}
    assert len(ids) >= 26
    assert ids <= load_knowledge().categories()


def test_every_pattern_has_ranked_fixes_and_explanation() -> None:
    for pattern in load_knowledge().patterns:
        assert pattern.fixes and pattern.explanation and pattern.literals, pattern.id
        assert pattern.tier in (1, 2, 3)


@pytest.mark.parametrize(
    ("log", "category"),
    [
        # Issue 12p: from the misses of the 12o held-out sets.
        (
            "Step 16/29 : RUN ./configure --prefix /usr && make\n ---> Running in fc5f38e3b5f4\n"
            "/bin/bash: ./configure: No such file or directory\n"
            "The command '/bin/bash -c ./configure --prefix /usr && make' returned a non-zero code: 127\n",
            "context-file-missing",
        ),
        (
            "Step 6/9 : RUN python3 -m pip install -r requirements.txt\n"
            "ERROR: Could not open requirements file: [Errno 13] Permission denied: 'requirements.txt'\n",
            "permission-denied",
        ),
        ("make: g++: Command not found\nmake: *** [Makefile:3: all] Error 127\n", "command-not-found"),
        (
            "* What went wrong:\nExecution failed for task ':web:npmInstall'.\n"
            "> A problem occurred starting process 'command 'npm''\n",
            "command-not-found",
        ),
        (
            'Step 1/9 : FROM golang:1.11-alpine as builder\nError parsing reference: "golang:1.11-alpine as builder" '
            "is not a valid repository/tag: invalid reference format\n",
            "dockerfile-syntax",
        ),
        (
            'npm ERR! code EUNSUPPORTEDPROTOCOL\nnpm ERR! Unsupported URL Type "workspace:": workspace:*\n',
            "npm-dependency",
        ),
    ],
)
def test_issue_12p_wordings(log: str, category: str) -> None:
    assert diagnose_bytes(log).root_cause == category
