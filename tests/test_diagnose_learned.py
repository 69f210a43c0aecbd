"""Unknown failures: surfaced with the rulebook, classified once by Claude (stand-in), remembered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from standin_anthropic import StandIn, reply, standin, standin_env  # noqa: F401  (fixtures)
from typer.testing import CliRunner

from agent.brains.classify import classify_excerpt, decisive_excerpt
from agent.buildlog import diagnose_bytes

pytestmark = pytest.mark.unit

TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
ODD = (
    f"Step 2/2 : RUN frobnicate --all\nfrobnicate: the widget registry answered 503 at token={TOKEN}\n"
    "The command '/bin/sh -c frobnicate --all' returned a non-zero code: 3\n"
)
LINE = "frobnicate: the widget registry answered 503 at token=[REDACTED]"


def _app() -> object:
    from agent.cli import app

    return app


def test_excerpt_is_redacted_and_bounded() -> None:
    excerpt = decisive_excerpt(diagnose_bytes(ODD))
    assert "ghp_abc" not in excerpt and "[REDACTED]" in excerpt
    assert len(excerpt) <= 4000


def test_model_answer_must_quote_the_excerpt(standin: StandIn) -> None:  # noqa: F811
    import anthropic

    client = anthropic.Anthropic(base_url=standin.url, api_key="sk-standin", max_retries=0)
    excerpt = decisive_excerpt(diagnose_bytes(ODD))
    standin.script(
        reply(json.dumps({"category": "download-failed", "line": "a line that is not there"})),
        reply(json.dumps({"category": "no-such-category", "line": LINE})),
        reply(json.dumps({"category": "download-failed", "line": LINE})),
    )
    cats = ["download-failed", "npm-network"]
    assert classify_excerpt(excerpt, cats, client, "m") is None
    assert classify_excerpt(excerpt, cats, client, "m") is None
    assert classify_excerpt(excerpt, cats, client, "m") == {"category": "download-failed", "line": LINE}
    sent = standin.requests[0].body["messages"][0]["content"]
    assert "ghp_abc" not in sent


def test_unknown_is_listed_then_learned_and_remembered(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    standin_env: StandIn,  # noqa: F811
) -> None:
    monkeypatch.setenv("SHIPSHAPE_DB", str(tmp_path / "memory.db"))
    log = tmp_path / "build.log"
    log.write_text(ODD)
    runner = CliRunner()
    first = runner.invoke(_app(), ["diagnose", str(log), "--json"])  # rulebook: no --learn
    assert json.loads(first.stdout)["root_cause"] == "unknown"
    listed = runner.invoke(_app(), ["errors", "list", "--unknown", "--json"])
    assert len(json.loads(listed.stdout)) == 1
    standin_env.script(reply(json.dumps({"category": "download-failed", "line": LINE})))
    learned = runner.invoke(_app(), ["diagnose", str(log), "--json", "--learn"])
    doc = json.loads(learned.stdout)
    assert doc["root_cause"] == "download-failed" and doc["learned"]["line"] == LINE
    again = runner.invoke(_app(), ["diagnose", str(log), "--json"])  # no model call: remembered
    assert json.loads(again.stdout)["root_cause"] == "download-failed"
    assert len(standin_env.requests) == 1
    listed = json.loads(runner.invoke(_app(), ["errors", "list", "--unknown", "--json"]).stdout)
    assert listed[0]["category"] == "download-failed"
