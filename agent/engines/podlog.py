"""Follow a container's log as `kubectl logs -f --tail=0` does: new lines, as they come, until the container
stops (or a read timeout). Engine I/O only; the caller redacts and prints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.errors import EngineUnavailable

CONNECT_TIMEOUT = 5


def follow_log(
    core: Any,
    namespace: str,
    pod: str,
    container: str | None,
    on_line: Callable[[str], None],
    timeout: float | None = None,
) -> None:
    """Stream the new log lines of `pod`'s `container` to `on_line` (`core` is kubernetes' CoreV1Api)."""
    try:
        resp: Any = core.read_namespaced_pod_log(
            pod,
            namespace,
            container=container,
            follow=True,
            tail_lines=0,
            _preload_content=False,
            _request_timeout=(CONNECT_TIMEOUT, timeout) if timeout else None,
        )
    except Exception as exc:
        raise EngineUnavailable(f"following the log of pod {pod!r} failed: {str(exc).splitlines()[0][:160]}") from None
    pending = b""
    try:
        for chunk in resp.stream(4096):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                on_line(line.decode("utf-8", "replace"))
    except Exception as exc:  # a read timeout ends a bounded follow
        if timeout is None or "timed out" not in str(exc).lower():
            raise EngineUnavailable(f"the log stream of pod {pod!r} broke: {str(exc)[:160]}") from None
    finally:
        resp.release_conn()
    if pending:
        on_line(pending.decode("utf-8", "replace"))
