"""Calibrated confidence (issue 12e): each diagnosis names its basis; a generic summary line is never decisive on its
own; three evidence rules re-read a line whose literal category is the symptom, not the cause."""

from __future__ import annotations

import pytest

from agent.buildlog import calibration, diagnose_bytes

pytestmark = pytest.mark.unit


def test_a_bare_make_summary_is_unknown_with_compile_error_as_the_first_candidate() -> None:
    log = (
        "Step 9/12 : RUN cd build && ./run-suite.sh\n"
        " ---> Running in 1a2b3c4d5e6f\n"
        "make[2]: *** [core-tests/core-tests] Error 1\n"
        "The command '/bin/sh -c cd build && ./run-suite.sh' returned a non-zero code: 2\n"
    )
    result = diagnose_bytes(log)
    assert result.root_cause == "unknown"
    assert result.basis.startswith("summary")
    assert result.candidates[0]["category"] == "compile-error"
    assert result.confidence < 0.5


def test_a_summary_line_with_a_compiler_error_above_it_names_compile_error() -> None:
    log = (
        "Step 6/9 : RUN make -j4\n"
        " ---> Running in 1a2b3c4d5e6f\n"
        "src/main.c:12:5: error: 'foo' undeclared (first use in this function)\n"
        "make: *** [Makefile:17: build] Error 1\n"
        "The command '/bin/sh -c make -j4' returned a non-zero code: 2\n"
    )
    result = diagnose_bytes(log)
    assert result.root_cause == "compile-error"
    assert not result.basis.startswith("summary")


def test_publickey_under_git_clone_is_a_failed_download_not_a_file_permission() -> None:
    log = (
        "Step 4/8 : RUN git clone git@github.com:acme/private-lib.git /opt/lib\n"
        " ---> Running in 1a2b3c4d5e6f\n"
        "Cloning into '/opt/lib'...\n"
        "Host key verification failed.\n"
        "git@github.com: Permission denied (publickey).\n"
        "fatal: Could not read from remote repository.\n"
        "The command '/bin/sh -c git clone git@github.com:acme/private-lib.git /opt/lib'"
        " returned a non-zero code: 128\n"
    )
    assert diagnose_bytes(log).root_cause == "download-failed"


def test_an_installer_downloaded_by_an_earlier_step_that_installed_nothing_is_a_failed_download() -> None:
    log = (
        "Step 6/24 : RUN curl -so /miniconda.sh https://repo.example.org/Miniconda3-latest-Linux-x86_64.sh"
        "  && chmod +x /miniconda.sh  && /miniconda.sh -b -p /miniconda  && rm /miniconda.sh\n"
        " ---> Using cache\n"
        "Step 8/24 : RUN /miniconda/bin/conda install -y conda-build\n"
        " ---> Running in 09b35533c02b\n"
        "/bin/sh: 1: /miniconda/bin/conda: not found\n"
    )
    assert diagnose_bytes(log).root_cause == "download-failed"


def test_a_missing_command_no_step_downloaded_stays_command_not_found() -> None:
    log = (
        "Step 3/5 : RUN /opt/tool/bin/tool --version\n"
        " ---> Running in 09b35533c02b\n"
        "/bin/sh: 1: /opt/tool/bin/tool: not found\n"
        "The command '/bin/sh -c /opt/tool/bin/tool --version' returned a non-zero code: 127\n"
    )
    assert diagnose_bytes(log).root_cause == "command-not-found"


def test_no_tsconfig_means_the_sources_were_not_copied() -> None:
    log = (
        "Step 7/9 : RUN npx tsc\n"
        " ---> Running in 1a2b3c4d5e6f\n"
        "error TS5057: Cannot find a tsconfig.json file at the specified directory: '.'.\n"
        "The command '/bin/sh -c npx tsc' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(log).root_cause == "context-file-missing"


def test_the_basis_is_in_the_json_and_a_decisive_literal_keeps_its_answer() -> None:
    log = (
        "Step 3/6 : RUN npm ci\n ---> Running in 3c1f9a2b7d4e\nnpm ERR! code ETIMEDOUT\n"
        "The command '/bin/sh -c npm ci' returned a non-zero code: 1\n"
    )
    result = diagnose_bytes(log).as_dict()
    assert result["root_cause"] == "npm-network"
    assert result["basis"].startswith("literal-tier")


@pytest.mark.parametrize(
    ("kind", "support", "decisive"),
    [
        ("summary", False, False),
        ("summary", True, True),
        ("summary+agree", False, True),
        ("literal-tier1", False, True),
        ("unheard-of-basis", False, False),
    ],
)
def test_which_bases_are_decisive(kind: str, support: bool, decisive: bool) -> None:
    assert calibration.decisive(kind, support) is decisive


def test_a_tier3_line_is_measured_by_the_category_it_names() -> None:
    """Issue 12q: a tier-3 script-error (a traceback, a script's own error line) needs agreement; other tier-3
    categories keep their tier's reliability."""
    assert not calibration.decisive("literal-tier3", False, "script-error")
    assert calibration.decisive("literal-tier3+agree", False, "script-error")
    assert calibration.decisive("literal-tier3", False, "compile-error")
    assert calibration.decisive("literal-tier3", False, "npm-network")


def test_an_ansible_recap_alone_is_a_summary_not_an_answer() -> None:
    """`failed=1` in Ansible's recap says that a task failed, not why (issue 12h)."""
    log = (
        "Step 11/11 : RUN ansible-playbook -i tests/inventory tests/test.yml --connection=local\n"
        "TASK [app : check] ***\n"
        "localhost                  : ok=2    changed=1    unreachable=0    failed=1\n"
        "The command '/bin/sh -c ansible-playbook -i tests/inventory tests/test.yml --connection=local' returned a "
        "non-zero code: 2\n"
    )
    result = diagnose_bytes(log)
    assert result.root_cause == "unknown"
    assert result.candidates[0]["category"] == "script-error"
