"""Issue 12m: the readings written from the 12l held-out misses (make's missing target, a package a test step cannot
load, a package manager's git fetch, a COPY/ADD of the old Docker, a check of a build variable, a FROM's ONBUILD)."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes

pytestmark = pytest.mark.unit


def test_make_without_the_asked_target_is_script_error_but_a_missing_file_target_is_not() -> None:
    phony = (
        "Step 27/67 : RUN sudo make install\n"
        " ---> Running in 711595894ec4\n"
        "make: *** No rule to make target 'install'.  Stop.\n"
        "The command '/bin/sh -c sudo make install' returned a non-zero code: 2\n"
    )
    assert diagnose_bytes(phony).root_cause == "script-error"
    needed = phony.replace(
        "No rule to make target 'install'.  Stop.",
        "No rule to make target '/usr/lib/libboost_system.a', needed by 'nheqminer'.  Stop.",
    )
    assert diagnose_bytes(needed).root_cause != "script-error"


def test_a_test_step_that_cannot_load_a_package_by_name_is_the_package_not_installed() -> None:
    log = (
        "Step 10/30 : RUN npm test\n"
        " ---> Running in 1a2b3c4d5e6f\n"
        "FAIL www/App.test.js\n"
        "  ● Test suite failed to run\n"
        "    Cannot find module '@babel/compat-data/corejs3-shipped-proposals'\n"
        "Test Suites: 14 failed, 14 total\n"
        "Tests:       0 total\n"
        "npm ERR! Test failed.  See above for more details.\n"
        "The command '/bin/sh -c npm test' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(log).root_cause == "npm-dependency"


def test_a_git_fetch_inside_mix_is_dependency_resolution() -> None:
    log = (
        "* Getting elixir_full (1.18)\n"
        "fatal: '1.18' does not appear to be a git repository\n"
        "fatal: Could not read from remote repository.\n"
    )
    assert diagnose_bytes(log).root_cause == "dependency-resolution"


def test_an_old_docker_add_of_a_missing_context_path_is_context_file_missing() -> None:
    log = "Step 2 : ADD build/unpacked/lib/ /app/lib/\nbuild/unpacked/lib/: no such file or directory\n"
    assert diagnose_bytes(log).root_cause == "context-file-missing"


def test_an_old_docker_from_whose_image_is_not_found_is_not_a_script_error() -> None:
    log = (
        "Step 0 : FROM bunchballdev/fedora\n"
        "Pulling repository bunchballdev/fedora\n"
        "Error: image bunchballdev/fedora:latest not found\n"
    )
    assert diagnose_bytes(log).root_cause != "script-error"


def test_a_step_that_checks_a_build_variable_is_script_error() -> None:
    log = (
        'Step 3/25 : RUN test -n "$VERSION"\n'
        " ---> Running in ca216f0844d8\n"
        "The command '/bin/sh -c test -n \"$VERSION\"' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(log).root_cause == "script-error"


def test_cython_in_place_is_the_projects_code_and_curl_18_a_partial_download() -> None:
    cython = (
        "Step 10/10 : RUN python setup.py build_ext --inplace\n"
        " ---> Running in bf08c63e6380\n"
        "Error compiling Cython file:\n"
        "invesalius_cy/cy_mesh.pyx:2:0: language_level directive must be set to an integer, got '3str'\n"
        "Traceback (most recent call last):\n"
        '  File "setup.py", line 62, in <module>\n'
        "Cython.Compiler.Errors.CompileError: invesalius_cy/cy_mesh.pyx\n"
        "The command '/bin/sh -c python setup.py build_ext --inplace' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(cython).root_cause == "compile-error"
    curl = (
        "Step 8/18 : RUN curl -sL https://downloads.gradle.org/gradle-8.0.2-bin.zip -o g.zip && unzip g.zip\n"
        " ---> Running in bf08c63e6380\n"
        "The command '/bin/sh -c curl -sL https://downloads.gradle.org/gradle-8.0.2-bin.zip -o g.zip "
        "&& unzip g.zip' returned a non-zero code: 18\n"
    )
    assert diagnose_bytes(curl).root_cause == "download-failed"


def test_the_three_conventions_set_before_the_12m_freeze() -> None:
    platform = (
        "Step 1/3 : FROM node:18-alpine\n"
        "ERROR: failed to solve: node:18-alpine: failed to resolve source metadata for "
        "docker.io/library/node:18-alpine: "
        "no match for platform in manifest sha256:4c6e58c7: not found\n"
    )
    assert diagnose_bytes(platform).root_cause == "platform-mismatch"
    user = (
        "Step 3/5 : RUN groupadd -g 1000 app && useradd -u 1000 -g app app\n"
        " ---> Running in abc\n"
        "groupadd: GID '1000' already exists\n"
        "The command '/bin/sh -c groupadd -g 1000 app && useradd -u 1000 -g app app' returned a non-zero code: 4\n"
    )
    assert diagnose_bytes(user).root_cause == "permission-denied"
    uv = (
        "Step 3/5 : RUN uv sync --locked\n"
        " ---> Running in abc\n"
        "error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided. "
        "To update the lockfile, run `uv lock`.\n"
        "The command '/bin/sh -c uv sync --locked' returned a non-zero code: 2\n"
    )
    assert diagnose_bytes(uv).root_cause == "dependency-resolution"
