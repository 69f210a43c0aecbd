"""The developer's proxy settings, passed to builds as Docker's predefined proxy args (agent/tools/build.py)."""

from __future__ import annotations

import pytest


@pytest.mark.unit
def test_a_loopback_proxy_goes_only_to_builds_on_the_host_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's HTTPS_PROXY is passed to builds as Docker's proxy args; one on the host's loopback cannot be
    reached from a bridged build (pip there failed with 'Cannot connect to proxy'), so only host-network builds get
    it. A proxy elsewhere goes to every build."""
    from agent.tools.build import proxy_build_args

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    for name in ("http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert proxy_build_args("host") == {"HTTPS_PROXY": "http://127.0.0.1:3128", "NO_PROXY": "127.0.0.1,localhost"}
    assert proxy_build_args(None) == {"NO_PROXY": "127.0.0.1,localhost"}
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    assert proxy_build_args(None)["HTTPS_PROXY"] == "http://proxy.corp.example:3128"
