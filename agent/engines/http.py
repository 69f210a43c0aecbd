"""HTTP health probe (urllib): one GET, a timeout, a bounded body; failures are results, not exceptions."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class HealthResult:
    """What one GET returned: status (0 when nothing answered), ok, an excerpt of the body, the error."""

    url: str
    status: int
    ok: bool
    body: str
    seconds: float
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe(url: str, expect_status: int = 200, timeout: float = 5.0, max_body: int = 2048) -> HealthResult:
    """GET `url`; ok when the status equals `expect_status`. Refused, timed out, DNS -> status 0 and error."""
    start = time.monotonic()
    # No proxy: health checks go to pod IPs on the node's bridge, which no proxy can reach.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={"User-Agent": "shipshape-health"})
    try:
        with opener.open(request, timeout=timeout) as resp:
            body = resp.read(max_body)
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        body = exc.read(max_body) if exc.fp is not None else b""
        status = int(exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return HealthResult(url, 0, False, "", round(time.monotonic() - start, 3), f"{reason}")
    text = body.decode("utf-8", "replace")
    return HealthResult(url, status, status == expect_status, text, round(time.monotonic() - start, 3))
