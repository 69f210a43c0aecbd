"""A probe fails while the container runs. Ask the pod what it answers (probe_endpoints: its own ports, the usual
health paths) and point the probe at a path and port that answer; never delete a probe. When nothing listens
yet and the liveness probe keeps restarting the container, the start is slow: give it a startupProbe."""

from __future__ import annotations

from typing import Any

from agent.brains.playbook import Plan
from agent.brains.rules.case import Case, after_write, wait_for

PROBE_ARGS = {"readinessProbe": "readiness_probe", "livenessProbe": "liveness_probe", "startupProbe": "startup_probe"}
PREFERRED = ("/healthz", "/health", "/ready", "/readyz", "/livez", "/api/health", "/")
# A startupProbe of this many periods gives a slow start this long before liveness applies (2 s x 60 = 2 min).
STARTUP_PERIOD, STARTUP_FAILURES = 2, 60


def _http(probe: dict[str, Any]) -> tuple[int | str | None, str]:
    get = probe.get("httpGet") or probe.get("tcpSocket") or {}
    return get.get("port"), str(get.get("path") or "/")


def _failing(case: Case) -> list[dict[str, Any]]:
    return [f for p in case.evidence.get("pods") or [] for f in p.get("probe_failures") or []]


def _probed_container(case: Case) -> dict[str, Any] | None:
    return next((c for c in case.containers() if any(k in c for k in PROBE_ARGS)), None)


def _answering(result: dict[str, Any]) -> list[tuple[int, str]]:
    return [(int(a["port"]), str(a["path"])) for a in result.get("answering") or []]


def best_target(port: int | str | None, path: str, answering: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The (port, path) a probe should use: its own if it answers, else a usual health path on its own port,
    else its own path on another port, else the first usual path that answers anywhere."""
    if not answering:
        return None
    if isinstance(port, int) and (port, path) in answering:
        return port, path
    same_port = [a for a in answering if a[0] == port]
    ranked = sorted(answering, key=lambda a: PREFERRED.index(a[1]) if a[1] in PREFERRED else len(PREFERRED))
    for pick in (
        sorted(same_port, key=lambda a: PREFERRED.index(a[1]) if a[1] in PREFERRED else len(PREFERRED)),
        [a for a in answering if a[1] == path],
        ranked,
    ):
        if pick:
            return pick[0]
    return None


def _retargeted(probe: dict[str, Any], target: tuple[int, str]) -> dict[str, Any]:
    fixed = {k: v for k, v in probe.items()}
    fixed["httpGet"] = {**(probe.get("httpGet") or {}), "port": target[0], "path": target[1]}
    return fixed


def probe_failing(case: Case, plan: Plan) -> bool:
    """Failing httpGet probes -> probe_endpoints, then patch_deployment with the probes pointed at what answers;
    a liveness probe that kills a slow start -> a startupProbe with the same check."""
    failing = _failing(case)
    container = _probed_container(case)
    if container is None or (not failing and case.category != "probe-failing"):
        return False
    probes = {
        k: container[k]
        for k in PROBE_ARGS
        if k in container and ("httpGet" in container[k] or "tcpSocket" in container[k])
    }
    if not probes:
        return False
    ports = sorted({p for p in (_http(v)[0] for v in probes.values()) if isinstance(p, int)} | set(container["ports"]))
    args = {"namespace": case.namespace, "deployment": case.deployment, "ports": ports}
    plan.add("probe_endpoints", "Ask the pod which health paths and ports answer.", **args)
    found = case.first_result("probe_endpoints", args)
    if found is None:
        return True
    answering = _answering(found)
    patch: dict[str, Any] = {}
    said = []
    listening = [int(p) for p in found.get("listening") or []]
    for key, probe in probes.items():
        port, path = _http(probe)
        if "tcpSocket" in probe:
            # A TCP probe only needs a port that accepts: the one the container listens on.
            if port not in listening and len(listening) == 1:
                patch[PROBE_ARGS[key]] = {**probe, "tcpSocket": {**probe["tcpSocket"], "port": listening[0]}}
                said.append(f"{key} tcpSocket port {port} -> {listening[0]} (the port that accepts)")
            continue
        target = best_target(port, path, answering)
        if target is not None and target != (port, path):
            patch[PROBE_ARGS[key]] = _retargeted(probe, target)
            said.append(f"{key} {path} on port {port} -> {target[1]} on port {target[0]}")
    refused = any(f.get("error") in ("connection refused", "timeout") for f in failing)
    restarts = any(f.get("restarts") for f in case.facts())
    # Nothing listening refuses every probe; the kubelet's events saying so may not be there yet (rate-limited).
    if not patch and not found.get("listening") and (refused or not failing) and restarts and "livenessProbe" in probes:
        if "startupProbe" in container:
            startup = dict(container["startupProbe"])
            startup["failureThreshold"] = max(int(startup.get("failureThreshold") or 3) * 2, STARTUP_FAILURES)
        else:
            startup = {
                "httpGet": probes["livenessProbe"]["httpGet"],
                "periodSeconds": STARTUP_PERIOD,
                "failureThreshold": STARTUP_FAILURES,
            }
        patch["startup_probe"] = startup
        said.append(
            f"nothing listens yet and the liveness probe restarts {container['name']} before it starts: "
            f"a startupProbe gives it up to {STARTUP_PERIOD * STARTUP_FAILURES} s"
        )
    if not patch:
        plan.stop = (
            f"{case.deployment}'s probes fail ({'; '.join(f['message'] for f in failing[-2:])}) and no usual health "
            f"path answers on ports {', '.join(map(str, ports))}. Next step: "
            f"{(case.pod or {}).get('next_step') or 'check what the application serves'}. Nothing was changed."
        )
        return True
    plan.summary.append(f"{case.deployment}: " + "; ".join(said))
    plan.add(
        "patch_deployment",
        "Point the probes at what the container answers: " + "; ".join(said),
        namespace=case.namespace,
        deployment=case.deployment,
        container=container["name"],
        **patch,
    )
    wait_for(plan, case)
    after_write(plan, case, "fixed the probes (" + "; ".join(said) + ")")
    return True
