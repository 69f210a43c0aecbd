"""The values file the helm engine writes is read back by the real helm as written: a content tag that YAML
would take for a number (`1234e56`, `012345678901`, all digits) stays the image's tag. Rendered with `helm
template` on the sample chart (no cluster needed; helm is the one `make cluster` unpacks into .tools/bin)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent.engines.helm import find_helm, values_text
from agent.errors import EngineUnavailable
from tests.conftest import REPO, _missing

pytestmark = pytest.mark.cluster

# 12 hex digits, as content tags are: each is a number to helm's YAML parser if written bare.
TAGS = ["123456789e12", "012345678901", "123456789012", "0000000001e5"]


@pytest.mark.parametrize("tag", TAGS)
def test_a_tag_that_looks_like_a_number_reaches_the_manifest_unchanged(tag: str, tmp_path: Path) -> None:
    try:
        helm = find_helm([REPO / ".tools" / "bin"])
    except EngineUnavailable:
        _missing("helm")
    values = tmp_path / "values.yaml"
    values.write_text(values_text({"backend": {"image": {"tag": tag}}}), encoding="utf-8")
    out = subprocess.run(
        [helm, "template", "t", str(REPO / "examples" / "todo" / "chart"), "-f", str(values)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert f'image: "todo-backend:{tag}"' in out
