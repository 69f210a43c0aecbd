"""Issue 12ab: messages from the tools' own sources that the patterns had no words for, each pinned in a whole log of
both builders (a step's output in its usual surroundings, not the message alone), and the shell's own syntax error
on a RUN command kept apart from a foreign binary read as a script."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import both_builds, buildkit_build, classic_build

pytestmark = pytest.mark.unit


def both(label: str, *steps: str, failed: str, output: str, code: int = 1) -> list[tuple[str, str]]:
    return [(label, log) for log in both_builds(*steps, failed=failed, output=output, code=code)]


CASES = [
    *both(
        "platform-mismatch",
        "FROM node:20-slim",
        "COPY . /app",
        failed="pnpm install --frozen-lockfile",
        output=" ERR_PNPM_EXDEV  EXDEV: cross-device link not permitted, rename "
        "'/app/node_modules/.pnpm/a/node_modules' -> '/app/node_modules/.pnpm/_tmp_41/node_modules'",
    ),
    *both(
        "platform-mismatch",
        "FROM continuumio/miniconda3",
        "COPY environment.yml .",
        failed="conda env create -f environment.yml -n app",
        output="Preparing transaction: done\nVerifying transaction: done\nExecuting transaction: failed\n"
        "CondaError: OSError(18, 'Invalid cross-device link')",
    ),
    *both(
        "context-file-missing",
        "FROM rust:1.80 AS builder",
        "WORKDIR /src",
        "COPY Cargo.toml Cargo.lock ./",
        failed="cargo fetch",
        output="error: failed to load manifest for workspace member `/src/crates/api`\n\nCaused by:\n"
        "  failed to read `/src/crates/api/Cargo.toml`\n\nCaused by:\n  No such file or directory (os error 2)",
        code=101,
    ),
    *both(
        "context-file-missing",
        "FROM python:3.12-slim",
        "RUN pip install poetry",
        "WORKDIR /srv",
        failed="poetry install --no-root",
        output="Poetry could not find a pyproject.toml file in /srv or its parents",
    ),
    *both(
        "context-file-missing",
        "FROM python:3.11",
        "COPY requirements.txt .",
        failed="pip install -r requirements.txt",
        output="ERROR: ./libs/shared is not a valid editable requirement. It should either be a path to a local "
        "project or a VCS URL (beginning with svn+, git+, hg+, or bzr+).",
    ),
    *both(
        "context-file-missing",
        "FROM node:10",
        "WORKDIR /usr/src/app",
        failed="npm install",
        output="npm WARN saveError ENOENT: no such file or directory, open '/usr/src/app/package.json'\n"
        "npm notice created a lockfile as package-lock.json. You should commit this file.\n"
        "npm WARN enoent ENOENT: no such file or directory, open '/usr/src/app/package.json'\n"
        "npm ERR! code ENOENT\nnpm ERR! syscall open\nnpm ERR! path /usr/src/app/package.json\nnpm ERR! errno -2",
        code=254,
    ),
    *both(
        "npm-dependency",
        "FROM node:12-alpine",
        "RUN npm install -g npm",
        failed="npm ci",
        output="ERROR: npm v10.8.1 is known not to run on Node.js v12.22.12. You'll need to\n"
        "upgrade to a newer Node.js version in order to use this version of npm.",
    ),
    *both(
        "compile-error",
        "FROM rust:1.80-alpine",
        "RUN apk add --no-cache musl-dev openssl-dev",
        "COPY . .",
        failed="cargo build --release --target x86_64-unknown-linux-musl",
        output="  = note: /usr/lib/gcc/x86_64-alpine-linux-musl/13.2.1/../../../../x86_64-alpine-linux-musl/bin/ld: "
        "cannot find -lssl: No such file or directory\n"
        'error: could not compile `server` (bin "server") due to 1 previous error',
        code=101,
    ),
    *both(
        "compile-error",
        "FROM gcc:13",
        "COPY . /src",
        failed="make -C /src",
        output="gcc -o app main.o net.o\n/usr/bin/ld: net.o: in function `connect_all':\n"
        "net.c:(.text+0x5c): undefined reference to `SSL_new'\ncollect2: error: ld returned 1 exit status\n"
        "make: *** [Makefile:4: app] Error 1",
        code=2,
    ),
    *both(
        "command-not-found",
        "FROM debian:bookworm-slim",
        "RUN curl -sSf https://sh.rustup.rs | sh -s -- -y",
        failed="cargo build --release",
        output="   Compiling libc v0.2.155\nerror: linker `cc` not found\n  |\n  = note: No such file or directory "
        "(os error 2)",
        code=101,
    ),
    *both(
        "out-of-memory",
        "FROM gradle:8-jdk17",
        "COPY . /home/gradle/app",
        failed="gradle build --no-watch-fs",
        output="> Task :compileJava\n\nFAILURE: Build failed with an exception.\n\n* What went wrong:\n"
        "Gradle build daemon disappeared unexpectedly (it may have been killed or may have crashed)",
    ),
    *both(
        "download-failed",
        "FROM debian:bookworm",
        failed="curl -sL https://example.org/tool-1.2.tar.xz | tar -xJ -C /opt",
        output="xz: (stdin): File format not recognized\ntar: Child returned status 1\ntar: Error is not recoverable: "
        "exiting now",
        code=2,
    ),
    *both(
        "disk-full",
        "FROM node:22",
        "COPY . /app",
        failed="npm ci",
        output="npm error code ENOSPC\nnpm error syscall write\nnpm error errno -28",
        code=228,
    ),
    *both(
        "context-file-missing",
        "FROM node:22-alpine",
        "RUN corepack enable",
        "WORKDIR /app",
        failed="pnpm install --frozen-lockfile",
        output=" ERR_PNPM_NO_PKG_MANIFEST  No package.json found in /app",
    ),
    *both(
        "context-file-missing",
        "FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim",
        "WORKDIR /srv",
        failed="uv sync --frozen --no-dev",
        output="error: No `pyproject.toml` found in current directory or any parent directory",
        code=2,
    ),
    *both(
        "npm-network",
        "FROM node:20-slim",
        "COPY package.json pnpm-lock.yaml ./",
        failed="corepack enable && pnpm install",
        output="/usr/local/lib/node_modules/corepack/dist/lib/corepack.cjs:22000\n"
        "    throw new Error(\n          ^\n\n"
        "Error: Error when performing the request to https://registry.npmjs.org/pnpm/-/pnpm-9.12.0.tgz; for "
        "troubleshooting help, see https://github.com/nodejs/corepack#troubleshooting\n"
        "    at fetch (/usr/local/lib/node_modules/corepack/dist/lib/corepack.cjs:22000:11)\n"
        "  [cause]: TypeError: fetch failed\n      [cause]: Error: connect ETIMEDOUT 104.16.3.35:443",
    ),
    *both(
        "command-not-found",
        "FROM alpine:3.20",
        "COPY scripts/ /opt/scripts/",
        failed="/opt/scripts/setup.sh",
        output="env: can't execute 'bash': No such file or directory",
        code=127,
    ),
    (
        "platform-mismatch",
        "#5 [2/2] RUN uname -m\n#5 ERROR: runtime execution on platform linux/s390x not supported\n"
        "------\n > [2/2] RUN uname -m:\n------\n"
        "ERROR: failed to solve: runtime execution on platform linux/s390x not supported\n",
    ),
    (
        "registry-auth",
        "STEP 1/4: FROM registry.example.com/team/base:2.1\nTrying to pull registry.example.com/team/base:2.1...\n"
        "Error: error creating build container: initializing source docker://registry.example.com/team/base:2.1: "
        "Requesting bear token: invalid status code from registry 401 (Unauthorized)\n",
    ),
    (
        "base-image",
        "Sending build context to Docker daemon  3.072kB\nStep 1/5 : FROM acme/legacy-base\n"
        "mediaType in manifest should be 'application/vnd.docker.distribution.manifest.v2+json' not ''\n",
    ),
    (
        "dockerfile-syntax",
        "#1 [internal] load build definition from Dockerfile\n#1 transferring dockerfile: 312B done\n#1 DONE 0.0s\n"
        "ERROR: failed to solve: failed to create LLB definition: circular dependency detected on stage: deps\n",
    ),
    (
        "apt-repository",
        "Step 2/6 : RUN yum install -y epel-release\n ---> Running in 0b9f3c2a1d4e\n"
        "Loaded plugins: fastestmirror, ovl\n"
        "http://mirror.centos.org/centos/6/os/x86_64/repodata/repomd.xml: [Errno 14] HTTP Error 404 - Not Found\n"
        "Trying other mirror.\nError: Cannot retrieve repository metadata (repomd.xml) for repository: base.\n"
        "The command '/bin/sh -c yum install -y epel-release' returned a non-zero code: 1\n",
    ),
]


@pytest.mark.parametrize(("label", "log"), CASES)
def test_the_tools_own_message_decides(label: str, log: str) -> None:
    assert diagnose_bytes(log).root_cause == label


@pytest.mark.parametrize("builder", [classic_build, buildkit_build])
def test_the_shells_own_syntax_error_on_the_run_command_is_not_a_foreign_binary(builder: Callable[..., str]) -> None:
    """dash on `a=(1 2)` or `source <(...)` names no program it was reading: not platform-mismatch."""
    log = builder(
        "FROM ubuntu:24.04",
        failed='source <(curl -s https://example.org/env.sh) && echo "$APP_HOME"',
        output='/bin/sh: 1: Syntax error: "(" unexpected',
        code=2,
    )
    assert diagnose_bytes(log).root_cause != "platform-mismatch"


@pytest.mark.parametrize("builder", [classic_build, buildkit_build])
def test_a_foreign_binary_read_as_a_script_by_the_shell_is_still_platform_mismatch(builder: Callable[..., str]) -> None:
    log = builder(
        "FROM debian:bookworm-slim",
        "COPY bin/exporter /usr/local/bin/exporter",
        failed="/usr/local/bin/exporter --version",
        output='/bin/sh: 1: /usr/local/bin/exporter: Syntax error: "(" unexpected',
        code=2,
    )
    assert diagnose_bytes(log).root_cause == "platform-mismatch"
