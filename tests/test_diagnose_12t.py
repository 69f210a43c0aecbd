"""Issue 12t: precision. A pull-refusal line reads the same for a FROM image that does not exist (base-image), a
private image that needs a login (registry-auth) and a stage name the builder does not know (dockerfile-syntax); the
base-image reading answers only when the log's other lines do not point elsewhere. The lines are the read logs' own
(modern-holdout19.yaml, modern-holdout6.yaml and earlier files)."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import candidate_categories

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("log", "other"),
    [
        # a private registry's image refused, no login line: registry-auth or a missing image
        (
            "Step 1/3 : FROM docker.elastic.co/infra/jenkins:201911011157.d339e8ba4dc2\nERROR: Service 'jenkins' "
            "failed to build: pull access denied for docker.elastic.co/infra/jenkins, repository does not exist or may "
            "require 'docker login': denied: requested access to the resource is denied\nmake: *** [build] Error 1\n",
            "registry-auth",
        ),
        (
            "Step 1/14 : FROM us.gcr.io/tfhp-chess/alpine-base\nrepository us.gcr.io/tfhp-chess/alpine-base not "
            "found: does not exist or no pull access\n",
            "registry-auth",
        ),
        # a later stage FROM a bare name the Dockerfile never defined: a stage name or a missing image
        (
            "Step 1/18 : FROM node:8.9.1-alpine\n ---> 8bcb66e2abe9\nStep 5/18 : COPY package.json /home/app\n ---> "
            "34564bfa99ae\nStep 6/18 : FROM base AS dependencies\npull access denied for base, repository does not "
            "exist or may require 'docker login'\n",
            "dockerfile-syntax",
        ),
        # docker-maven-plugin pulls every FROM name itself, stage names included
        (
            '[ERROR] DOCKER> Unable to pull \'graalvm:latest\' : {"message":"pull access denied for graalvm, '
            "repository does not exist or may require 'docker login': denied: requested access to the resource is "
            'denied"} (Not Found: 404)\n',
            "dockerfile-syntax",
        ),
    ],
)
def test_an_ambiguous_pull_refusal_is_unknown_with_both_readings(log: str, other: str) -> None:
    diagnosis = diagnose_bytes(log)
    assert diagnosis.root_cause == "unknown"
    assert {other, "base-image"} <= set(candidate_categories(log))


def test_a_refused_token_decides_a_private_image() -> None:
    log = (
        "=> ERROR [internal] load metadata for registry.example.com/yp/centos/centos6u3:pure_base\n...\nerror: failed "
        "to solve: failed to fetch oauth token: authorization server did not include a token in the response\n"
    )
    assert diagnose_bytes(log).root_cause == "registry-auth"


def test_a_bare_name_defined_as_a_stage_is_the_dockerfile() -> None:
    log = (
        "Step 1/9 : FROM golang:1.21 AS builder\n ---> 1a2b3c4d5e6f\nStep 5/9 : FROM builder\npull access denied for "
        "builder, repository does not exist or may require 'docker login'\n"
    )
    assert diagnose_bytes(log).root_cause == "dockerfile-syntax"


@pytest.mark.parametrize(
    "log",
    [
        # Docker Hub images and local images never built: the first FROM, no other reading in the log
        "Step 1/13 : FROM oracle/serverjre:8\npull access denied for oracle/serverjre, repository does not exist or "
        "may require 'docker login'\n",
        "Step 1/9 : FROM dota:latest\npull access denied for dota, repository does not exist or may require 'docker "
        "login': denied: requested access to the resource is denied\n",
        "Step 1/13 : FROM docker-indi.base\npull access denied for docker-indi.base, repository does not exist or may "
        "require 'docker login': denied: requested access to the resource is denied\n",
    ],
)
def test_a_public_or_local_image_that_cannot_be_pulled_stays_base_image(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "base-image"


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (
            '[Bug]: When I try to install docker image, I get error "/yarn.lock": not found\n',
            "context-file-missing",
        ),
        (
            "#8 [linux/amd64 2/2] RUN cargo install cargo-chef --locked --version 0.1.51\n#8 0.192     Updating "
            "crates.io index\n#8 0.238 error: could not find `cargo-chef` in registry `crates-io` with version "
            "`=0.1.51`\n#8 ...\n",
            "dependency-resolution",
        ),
    ],
)
def test_the_12t_readings(log: str, expected: str) -> None:
    assert diagnose_bytes(log).root_cause == expected


def test_buildkit_names_the_refused_image_on_its_metadata_line() -> None:
    # BuildKit's refusal line names no image: the metadata line does (a private registry's, no login line here)
    log = (
        " > [internal] load metadata for registry.gitlab.com/acme/base-images/python:3.11:\n------\nfailed to solve "
        "with frontend dockerfile.v0: failed to create LLB definition: pull access denied, repository does not exist "
        "or may require authorization: server message: insufficient_scope: authorization failed\n"
    )
    diagnosis = diagnose_bytes(log)
    assert diagnosis.root_cause == "unknown"
    assert {"registry-auth", "base-image"} <= set(candidate_categories(log))
