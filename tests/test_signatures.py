"""Signatures: the same failure in two builds is one signature; different failures are not."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from agent.buildlog.signatures import normalise

pytestmark = pytest.mark.unit


def _build(stamp: str, container: str, tmp: str, package: str) -> str:
    return (
        f"Step 4/9 : RUN pip install -r requirements.txt\n ---> Running in {container}\n"
        f"  Downloading {package}-1.0.tar.gz (14 kB)\n"
        f"    ERROR: Command errored out with exit status 1: {tmp}/{package}/setup.py at {stamp}\n"
        "The command '/bin/sh -c pip install -r requirements.txt' returned a non-zero code: 1\n"
    )


def test_same_failure_in_two_builds_has_one_signature() -> None:
    one = diagnose_bytes(_build("2020-06-01T10:00:01.123Z", "8db1f8f668a4", "/tmp/pip-install-l_f6_u_4", "regex"))
    two = diagnose_bytes(_build("2021-01-02 11:22:33", "1c86144ede1c", "/tmp/pip-install-9xyzab", "regex"))
    assert one.root_cause == two.root_cause == "pip-build"
    assert one.findings[0].signature == two.findings[0].signature


def test_different_failures_have_different_signatures() -> None:
    one = diagnose_bytes("E: Unable to locate package libfoo-dev\n")
    two = diagnose_bytes("E: Unable to locate package libbar-dev\n")
    assert one.findings[0].signature != two.findings[0].signature


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Step 12/40 : RUN make", "Step <n>/<n> : RUN make"),
        ("pulling sha256:daf196d2b2109f42af48594f238827490fcd9cf009cb30d2c08c20b8132cd8f9", "pulling <digest>"),
        ("id 123e4567-e89b-12d3-a456-426614174000 at 10.0.0.12:443", "id <uuid> at <ip>"),
        ("wrote /tmp/build-abc123/out.o", "wrote <tmp>"),
        ("libssl3 3.0.11-1~deb12u2 needs 42 kB", "libssl<n> <v> needs <n> kB"),
        ("container 9f8e7d6c5b4a exited", "container <hex> exited"),
    ],
)
def test_normalise_removes_volatile_parts(raw: str, expected: str) -> None:
    assert normalise(raw) == expected
