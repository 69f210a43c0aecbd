"""diagnose(): a pod's container statuses first, then scheduling, probes and events, with log signals added
for crashes and failing probes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from agent.pods.model import ImageExists, PodDiagnosis, _events_text, _last_warning, _one_line, is_ready
from agent.pods.pull import PULL_REASONS, _pull_failure, _pull_failure_status

# Waiting reasons that are a normal step of starting a container, not a failure.
PROGRESSING_WAITING = {"ContainerCreating", "PodInitializing", ""}
# Waiting reasons that are failures with no finer category here; the reason itself is reported.
OTHER_FAILED_WAITING = {
    "CreateContainerError",
    "RunContainerError",
    "PreStartHookError",
    "PostStartHookError",
    "PreCreateHookError",
    "InvalidImageName",
    "ImageInspectError",
    "ContainerCannotRun",
}

_CONFIG_MISSING = re.compile(
    r'(configmap|secret)s? "?[\w.-]+"? not found|couldn\'t find key|configmap references non-existent|'
    r"secret references non-existent",
    re.I,
)

# Log lines that name a known root cause inside a crashing or unready container.
LOG_SIGNALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "prisma-engine",
        re.compile(
            r"PrismaClientInitializationError|could not locate the Query Engine|libquery_engine|"
            r"binaryTargets|Unable to require\(.*query_engine",
            re.I,
        ),
    ),
    (
        "openssl-missing",
        re.compile(
            r"libssl\.so\.[\d.]+: (cannot open|No such file)|Error loading shared "
            r"library libssl",
            re.I,
        ),
    ),
    ("platform-mismatch", re.compile(r"exec format error", re.I)),
    ("out-of-memory", re.compile(r"JavaScript heap out of memory|MemoryError|Cannot allocate memory", re.I)),
    ("port-in-use", re.compile(r"EADDRINUSE|address already in use", re.I)),
    ("dependency-unreachable", re.compile(r"ECONNREFUSED|Connection refused|getaddrinfo ENOTFOUND", re.I)),
    ("missing-module", re.compile(r"Cannot find module|ModuleNotFoundError|No module named", re.I)),
)


def log_signals(lines: Iterable[str]) -> list[str]:
    """The known root causes named in these log lines, in LOG_SIGNALS order."""
    text = "\n".join(lines)
    return [name for name, pattern in LOG_SIGNALS if pattern.search(text)]


def _container_specs(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    spec = pod.get("spec") or {}
    return {c.get("name", ""): c for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])}


def _with_logs(diag: PodDiagnosis, logs: list[str]) -> PodDiagnosis:
    diag.log_signals = log_signals(logs)
    if "prisma-engine" in diag.log_signals:
        line = next((ln for ln in logs if LOG_SIGNALS[0][1].search(ln)), "")
        diag.evidence = _one_line(f"{diag.evidence}; log: {line.strip()}")
        diag.next_step = (
            "the Prisma query engine for the image's platform is missing: add the target to "
            "binaryTargets in schema.prisma, run prisma generate, rebuild and load the image; " + diag.next_step
        )
    elif logs and diag.category in ("crash-loop", "probe-failing", "oom-killed", "unknown"):
        tail = next((ln for ln in reversed(logs) if ln.strip()), "")
        if tail and "log:" not in diag.evidence:
            diag.evidence = _one_line(f"{diag.evidence}; last log line: {tail.strip()}")
    return diag


def _terminated(term: dict[str, Any]) -> str:
    if term.get("reason"):
        return str(term["reason"])
    if term.get("signal"):
        return f"Signal:{term['signal']}"
    return f"ExitCode:{term.get('exitCode', 0)}"


def _oom(term: dict[str, Any], spec: dict[str, Any]) -> bool:
    """Whether the run ended by the OOM killer: the runtime says OOMKilled, or (kubernetes#19825: the runtime does not
    always see it, when the killed process is a child of the container's first, as `sh -c "x && exec y"`'s x) the run
    ended by SIGKILL (137) in a container with a memory limit and no liveness probe, the kubelet's only other
    reason to kill it."""
    if term.get("reason") == "OOMKilled":
        return True
    limited = bool(((spec.get("resources") or {}).get("limits") or {}).get("memory"))
    sigkill = int(term.get("exitCode") or 0) == 137 or int(term.get("signal") or 0) == 9
    return sigkill and limited and not spec.get("livenessProbe")


def _crash(
    reason: str, cname: str, image: str, term: dict[str, Any], restarts: int, spec: dict[str, Any] | None = None
) -> PodDiagnosis:
    code = term.get("exitCode")
    if _oom(term, spec or {}):
        said = "was OOMKilled"
        if term.get("reason") != "OOMKilled":
            said = f"was killed ({_terminated(term)}) under its memory limit, the OOM killer's mark"
        return PodDiagnosis(
            "OOMKilled",
            "oom-killed",
            _one_line(f"container {cname} {said} (exit code {code}, restarts {restarts})"),
            "the container needs more memory than its limit: raise resources.limits.memory or lower the "
            "application's memory use",
            cname,
            image,
        )
    message = _one_line(str(term.get("message") or ""))
    evidence = f"container {cname} exited with {_terminated(term)}" + (f": {message}" if message else "")
    if restarts:
        evidence += f" (restarts {restarts})"
    return PodDiagnosis(
        reason,
        "crash-loop",
        evidence,
        f"read the logs of {cname} (pod_logs) to see why it exits, fix the command or the image, rebuild",
        cname,
        image,
    )


def _container_diagnosis(
    pod: dict[str, Any],
    status: dict[str, Any],
    spec: dict[str, Any],
    events: list[dict[str, Any]],
    image_exists: ImageExists,
) -> PodDiagnosis | None:
    cname = str(status.get("name", ""))
    image = str(spec.get("image") or status.get("image") or "")
    state = status.get("state") or {}
    last = (status.get("lastState") or {}).get("terminated") or {}
    restarts = int(status.get("restartCount") or 0)
    waiting = state.get("waiting")
    if waiting is not None:
        reason = str(waiting.get("reason") or "")
        message = str(waiting.get("message") or "")
        if reason in PULL_REASONS:
            return _pull_failure(reason, message, cname, image, spec, events, image_exists)
        if reason == "ErrImageNeverPull":
            on_host = image_exists(image)
            where = "it is on the build host: load it" if on_host else "build it and load it"
            return PodDiagnosis(
                reason,
                "image-never-pull",
                _one_line(message or f"{image} is not on the node"),
                f"imagePullPolicy is Never and the node does not have {image}: {where} into "
                f"the node, then restart the deployment",
                cname,
                image,
            )
        if reason == "CrashLoopBackOff":
            return _crash(reason, cname, image, last or {"message": message}, restarts, spec)
        if reason == "CreateContainerConfigError":
            missing = _CONFIG_MISSING.search(message)
            return PodDiagnosis(
                reason,
                "config-missing" if missing or not message else "unknown",
                _one_line(message or reason),
                "create the ConfigMap or Secret the pod refers to (or fix the reference), then the pod "
                "starts by itself",
                cname,
                image,
            )
        if reason in OTHER_FAILED_WAITING:
            return PodDiagnosis(
                reason,
                "unknown",
                _one_line(f"{reason}: {message}" if message else reason),
                "read the pod's events and the container's configuration",
                cname,
                image,
            )
        if reason in PROGRESSING_WAITING:
            return None
        return None
    term = state.get("terminated")
    if term is not None:
        if term.get("reason") == "OOMKilled" or int(term.get("exitCode") or 0) != 0:
            return _crash(_terminated(term), cname, image, term, restarts, spec)
        return None
    if state.get("running") is not None and not status.get("ready"):
        # An OOM restart comes first: the restarted container is not listening yet, so its probe fails too, and
        # "connection refused" would point the wrong way.
        if last and _oom(last, spec) and restarts:
            return _crash("OOMKilled", cname, image, last, restarts, spec)
        probe = _probe_events(events, {"Unhealthy"}, "readiness|liveness|startup")
        if probe:
            return PodDiagnosis(
                "Unhealthy",
                "probe-failing",
                _one_line(str(probe[-1].get("message", ""))),
                f"the container {cname} runs but its probe fails: check the probe's path and "
                f"port against what the application serves, and the application's logs",
                cname,
                image,
            )
        if last and (last.get("reason") == "OOMKilled" or int(last.get("exitCode") or 0) != 0) and restarts:
            return _crash(_terminated(last), cname, image, last, restarts, spec)
    if state.get("running") is not None and _restarted_recently(status):
        # Running, and Ready for want of a readiness probe, between two kills: the liveness probe restarted it
        # minutes ago and will again (a slow start, or a probe pointed where nothing answers).
        killed = _probe_events(events, {"Killing", "Unhealthy"}, "liveness")
        # The kubelet's events can lag behind the pod's status (they are rate-limited, and expire after an hour):
        # a run ended by SIGKILL or SIGTERM, not by the OOM killer, of a container with a liveness probe, says
        # the same on its own.
        signalled = int(last.get("exitCode") or 0) in (137, 143) and last.get("reason") != "OOMKilled"
        if killed or (signalled and spec.get("livenessProbe")):
            if killed:
                why = str(killed[-1].get("message", ""))
            else:
                why = f"the last run ended with exit code {last.get('exitCode')} (killed) and a liveness probe is set"
            return PodDiagnosis(
                "Unhealthy",
                "probe-failing",
                _one_line(f"restarted {restarts} times: {why}"),
                f"the liveness probe keeps restarting {cname}: check the probe's path and port against what the "
                f"application serves, and whether it needs longer to start (a startupProbe)",
                cname,
                image,
            )
    return None


# A liveness kill this recent means the restarts are still going on, not a scar of an old incident.
RECENT_KILL_S = 600


def _restarted_recently(status: dict[str, Any]) -> bool:
    """Whether this container status shows a restart minutes ago: the previous run ended, or (the runtime does
    not always report when a killed container finished) the current run started, that recently."""
    if not int(status.get("restartCount") or 0):
        return False
    finished = ((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
    started = ((status.get("state") or {}).get("running") or {}).get("startedAt")
    return any(_recent(when) for when in (finished, started))


def _recent(stamp: object) -> bool:
    if not isinstance(stamp, str) or not stamp:
        return False
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return False
    return time.time() - when < RECENT_KILL_S


def restarted_recently(pod: dict[str, Any]) -> bool:
    """Whether a container of the pod was restarted minutes ago (its events then say why, even when it is Ready)."""
    return any(_restarted_recently(c) for c in (pod.get("status") or {}).get("containerStatuses") or [])


def _probe_events(events: list[dict[str, Any]], reasons: set[str], probes: str) -> list[dict[str, Any]]:
    """The events of these reasons that speak of one of these probes (`probes`: "liveness", "readiness|liveness")."""
    pattern = re.compile(rf"(?:{probes}) probe", re.I)
    return [e for e in _events_text(events, reasons) if pattern.search(str(e.get("message", "")))]


def _scheduling(pod: dict[str, Any], events: list[dict[str, Any]]) -> PodDiagnosis | None:
    status = pod.get("status") or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "Unschedulable":
            return PodDiagnosis(
                "Unschedulable",
                "unschedulable",
                _one_line(str(cond.get("message") or "Unschedulable")),
                "no node fits the pod: check its nodeSelector, affinity, tolerations and "
                "resource requests against the node (kubectl describe node)",
            )
    failed = _events_text(events, {"FailedScheduling"})
    if failed:
        return PodDiagnosis(
            "FailedScheduling",
            "unschedulable",
            _one_line(str(failed[-1].get("message", ""))),
            "no node fits the pod: check its nodeSelector, affinity, tolerations and resource "
            "requests against the node (kubectl describe node)",
        )
    return None


def _from_events(pod: dict[str, Any], events: list[dict[str, Any]]) -> PodDiagnosis | None:
    mount = [e for e in _events_text(events, {"FailedMount"}) if _CONFIG_MISSING.search(str(e.get("message")))]
    if mount:
        return PodDiagnosis(
            "FailedMount",
            "config-missing",
            _one_line(str(mount[-1].get("message", ""))),
            "create the ConfigMap or Secret the pod mounts (or fix the reference)",
        )
    warning = _last_warning(events)
    if warning is not None:
        reason = str(warning.get("reason") or "Warning")
        return PodDiagnosis(
            reason,
            "unknown",
            _one_line(f"{reason}: {warning.get('message', '')}"),
            "read the pod's events (kubectl describe pod) for what the kubelet reports",
        )
    return None


def diagnose(
    pod: dict[str, Any],
    events: list[dict[str, Any]] | None = None,
    logs: list[str] | None = None,
    image_exists: ImageExists | None = None,
) -> PodDiagnosis | None:
    """The diagnosis of one pod, or None when it is healthy or still starting normally.

    `events` are the pod's events, `logs` the last lines of its failing container (for crash loops and
    failing probes), `image_exists(ref)` whether the build host has an image (None: unknown).
    """
    events = list(events or [])
    logs = list(logs or [])
    exists: ImageExists = image_exists or (lambda _ref: None)
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    if meta.get("deletionTimestamp"):
        return None  # terminating pods of an old ReplicaSet are not failures
    phase = str(status.get("phase") or "")
    if phase == "Succeeded":
        return None
    if status.get("reason") == "Evicted" or status.get("reason") == "NodeLost":
        return PodDiagnosis(
            str(status["reason"]),
            "unknown",
            _one_line(str(status.get("message") or status["reason"])),
            "the node evicted the pod: check the node's conditions (disk, memory pressure); "
            "the ReplicaSet starts a replacement",
        )
    specs = _container_specs(pod)
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    for cstatus in statuses:
        spec = specs.get(str(cstatus.get("name", "")), {})
        found = _container_diagnosis(pod, cstatus, spec, events, exists)
        if found is not None:
            return _with_logs(found, logs)
    if phase == "Pending" or not statuses:
        sched = _scheduling(pod, events)
        if sched is not None:
            return sched
    if phase == "Running" and not is_ready(pod):
        probe = _probe_events(events, {"Unhealthy"}, "readiness|liveness|startup")
        if probe:
            diag = PodDiagnosis(
                "Unhealthy",
                "probe-failing",
                _one_line(str(probe[-1].get("message", ""))),
                "the container runs but its probe fails: check the probe's path and port "
                "against what the application serves, and the application's logs",
            )
            return _with_logs(diag, logs)
    if phase in ("Pending", "Failed", "Unknown"):
        waiting_ok = all(
            ((c.get("state") or {}).get("waiting") or {}).get("reason", "") in PROGRESSING_WAITING for c in statuses
        )
        pull = _pull_failure_status(pod, events)
        if pull is not None:
            found = _container_diagnosis(pod, pull, specs.get(str(pull["name"]), {}), events, exists)
            if found is not None:
                return found
        found = _from_events(pod, events)
        if found is not None and (waiting_ok or phase != "Pending"):
            return found
        for cond in status.get("conditions") or []:
            if cond.get("status") in ("False", "Unknown") and cond.get("message") and not statuses:
                return PodDiagnosis(
                    phase, "unknown", _one_line(str(cond["message"])), "read the pod's events (kubectl describe pod)"
                )
        if phase == "Failed":
            return PodDiagnosis(
                str(status.get("reason") or "Failed"),
                "unknown",
                _one_line(str(status.get("message") or "the pod failed")),
                "read the pod's events and logs",
            )
    return None
