"""Running the recovery suite (tests/cluster_scenarios.py) on the real cluster: each scenario broken for real in
its own namespace (all set up at once), the agent run on each in turn, and the outcome judged with kubectl and
plain HTTP, never from shipshape's answer (except for "say" scenarios, whose honest outcome is the answer).

Judged for every scenario: the outcome (or, for "say", the answer naming the object and no write), at most
MAX_STEPS steps, 0 model calls with the rulebook, every write asked for (a recording approver answers yes: the
policy asked), and no deployment outside the scenario's namespace changed. Runs are one at a time, so that
"outside" is checkable: the generations of every deployment in the suite's other namespaces, in a sentinel
namespace of its own, and in default and kube-system, before and after each run. (Other test runs may share the
cluster and change their own namespaces meanwhile; those are not counted.)

Used by tests/test_recovery_suite.py and bench/bench_recovery.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent import tools as registry
from agent.memory.store import Store
from agent.project.config import project_from_dict
from agent.run.assemble import make_agent
from agent.run.loop import Agent, RunResult
from agent.safety import Approval, FunctionApprover
from agent.tools.context import ToolContext
from tests.cluster_scenarios import APP, ARM, SCENARIOS, Scenario

REPO = Path(__file__).resolve().parents[1]
KUBECONFIG = REPO / ".cluster" / "kubeconfig"
NODE = f"unix://{REPO / '.cluster' / 'node-docker.sock'}"
MAX_STEPS = 8
APP_DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PORT=8080
RUN mkdir -p /www/api /tmp /etc && echo ok > /www/health && echo '{"status":"ok"}' > /www/api/health
CMD httpd -f -v -p $PORT -h /www
"""
ARM_DOCKERFILE = """FROM scratch
COPY server /app/server
ENTRYPOINT ["/app/server"]
"""


def kubectl(*args: str, stdin: str | None = None, check: bool = True) -> str:
    binary = REPO / ".tools" / "bin" / "kubectl"
    proc = subprocess.run(
        [str(binary) if binary.exists() else "kubectl", "--kubeconfig", str(KUBECONFIG), *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


# What the suite reads (`get(ns, kind[, name] | kind, "-l", selector)`), straight from the API server over one
# kept-alive client: the suite polls a lot (every scenario's generations before and after each run, breaks showing),
# and a kubectl process per read cost about 80 ms of CPU each, taken from the builds the other tests run meanwhile.
_PATHS = {
    "deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
    "deployments": "/apis/apps/v1/namespaces/{ns}/deployments",
    "pod": "/api/v1/namespaces/{ns}/pods",
    "pods": "/api/v1/namespaces/{ns}/pods",
    "endpoints": "/api/v1/namespaces/{ns}/endpoints",
    "events": "/api/v1/namespaces/{ns}/events",
    "service": "/api/v1/namespaces/{ns}/services",
    "services": "/api/v1/namespaces/{ns}/services",
    "resourcequota": "/api/v1/namespaces/{ns}/resourcequotas",
}
_client: Any = None
_client_lock = threading.Lock()


def _api() -> Any:
    global _client
    with _client_lock:
        if _client is None:
            from kubernetes import client, config

            configuration = client.Configuration()
            config.load_kube_config(config_file=str(KUBECONFIG), client_configuration=configuration)
            configuration.connection_pool_maxsize = 16
            _client = client.ApiClient(configuration)
        return _client


def get(namespace: str, kind: str, *rest: str) -> dict[str, Any]:
    path, query, args = _PATHS[kind].format(ns=namespace), [], list(rest)
    if args[:1] == ["-l"]:
        query.append(("labelSelector", args[1]))
        args = args[2:]
    if args:
        path += "/" + args[0]
    api = _api()
    method, url, headers, _, _ = api.param_serialize("GET", path, query_params=query, auth_settings=["BearerToken"])
    response = api.call_api(method, url, header_params=headers, _request_timeout=30)
    response.read()
    if response.status != 200:
        raise AssertionError(f"GET {path}: {response.status} {response.data[:200]!r}")
    return dict(json.loads(response.data))


# -- images ----------------------------------------------------------------------------------------------------


def _aarch64_elf() -> bytes:
    """An ELF header for aarch64 (e_machine 183): the kernel here refuses it with ENOEXEC, exec format error."""
    ident = b"\x7fELF\x02\x01\x01" + bytes(9)
    return ident + (2).to_bytes(2, "little") + (183).to_bytes(2, "little") + (1).to_bytes(4, "little") + bytes(40)


def build_images() -> None:
    """The suite's two images, built straight into the node's daemon (once: kept between runs)."""
    for ref, dockerfile, files in ((APP, APP_DOCKERFILE, "busybox"), (ARM, ARM_DOCKERFILE, "server")):
        if subprocess.run(["docker", "-H", NODE, "image", "inspect", ref], capture_output=True).returncode == 0:
            continue
        with tempfile.TemporaryDirectory() as ctx:
            if files == "busybox":
                shutil.copy(shutil.which("busybox") or "/bin/busybox", Path(ctx) / "busybox")
            else:
                (Path(ctx) / "server").write_bytes(_aarch64_elf())
                (Path(ctx) / "server").chmod(0o755)
            (Path(ctx) / "Dockerfile").write_text(dockerfile)
            subprocess.run(
                ["docker", "-H", NODE, "build", "-q", "-t", ref, ctx],
                check=True,
                capture_output=True,
                timeout=300,
                env={**os.environ, "DOCKER_BUILDKIT": "0"},
            )


# -- set-up ------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One scenario's namespace, project and, once run and judged, what happened."""

    scenario: Scenario
    namespace: str
    root: Path
    setup_error: str = ""
    result: RunResult | None = None
    seconds: float = 0.0
    asked: list[str] = field(default_factory=list)
    outside_changed: list[str] = field(default_factory=list)
    generation_before: int = 0
    restarts_after: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return len(self.result.steps) if self.result else 0

    @property
    def passed(self) -> bool:
        return not self.setup_error and self.result is not None and not self.failures


def write_project(root: Path, namespace: str) -> None:
    """shipshape.toml for the scenario: one image of its own (which the scenario's deployments are not), the
    scenario's namespace as the only one it may touch."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "shipshape.toml").write_text(
        '[project]\nname = "s11"\n\n[[images]]\nname = "own"\ncontext = "."\nrepository = "s11-own"\n'
        f'deployment = "own"\n\n[cluster]\nkubeconfig = "{KUBECONFIG}"\nnode_docker_host = "{NODE}"\n'
        f'namespace = "{namespace}"\n\n[policy]\nallowed_namespaces = ["{namespace}"]\n'
    )


def context(run: Run, store: Store) -> ToolContext:
    import tomllib

    raw = tomllib.loads((run.root / "shipshape.toml").read_text())
    return ToolContext(project=project_from_dict(raw, run.root), store=store)


def _apply(namespace: str, objects: list[dict[str, Any]]) -> None:
    """Apply `objects`; a ResourceQuota first, waited for until the quota controller has counted it: the API server's
    quota admission reads quotas from its cache, so pods created in the same breath as a new quota can be admitted
    past it (seen once in CI: quota-exceeded's two pods both started, "the break never showed")."""
    quotas = [o for o in objects if o["kind"] == "ResourceQuota"]
    rest = [o for o in objects if o["kind"] != "ResourceQuota"]
    for batch in (quotas, rest):
        if not batch:
            continue
        items = json.dumps({"apiVersion": "v1", "kind": "List", "items": batch})
        kubectl("-n", namespace, "apply", "-f", "-", stdin=items)
        if batch is quotas and not wait(lambda: all(_counted(namespace, q["metadata"]["name"]) for q in quotas), 60):
            raise AssertionError("the ResourceQuota was never counted")


def _counted(namespace: str, quota: str) -> bool:
    return bool((get(namespace, "resourcequota", quota).get("status") or {}).get("hard"))


def _pods(namespace: str, deployment: str) -> list[dict[str, Any]]:
    items = get(namespace, "pods", "-l", f"app={deployment}").get("items", [])
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def shows(run: Run) -> bool:
    """Whether the scenario's break is visible yet (what a user would have seen before calling shipshape)."""
    s, ns = run.scenario, run.namespace
    kind, _, arg = s.shows.partition(":")
    if kind == "no-endpoints":
        ep = get(ns, "endpoints", arg)
        return available(ns, s.deployment) and not any(x.get("addresses") for x in ep.get("subsets") or [])
    if kind == "ready":
        return available(ns, s.deployment)
    if kind == "short":
        dep = get(ns, "deployment", s.deployment)
        events = get(ns, "events").get("items", [])
        quota = any(e.get("reason") == "FailedCreate" and "exceeded quota" in e.get("message", "") for e in events)
        return quota and int(dep.get("status", {}).get("readyReplicas") or 0) < int(dep["spec"]["replicas"])
    for pod in _pods(ns, s.deployment):
        status = pod.get("status") or {}
        if kind == "pending" and any(c.get("reason") == "Unschedulable" for c in status.get("conditions") or []):
            return True
        for cs in status.get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            last = (cs.get("lastState") or {}).get("terminated") or {}
            if kind == "waiting" and (waiting.get("reason") in arg.split("|") or last.get("reason") in arg.split("|")):
                return True
            if kind == "unready" and (cs.get("state") or {}).get("running") and not cs.get("ready"):
                return True
            if kind == "restarted" and int(cs.get("restartCount") or 0) >= 1:
                return True
    return False


def available(namespace: str, deployment: str, replicas: int | None = None) -> bool:
    dep = get(namespace, "deployment", deployment)
    status, want = dep.get("status") or {}, int(dep["spec"].get("replicas", 1))
    if replicas is not None and want != replicas:
        return False
    return all(int(status.get(k) or 0) == want for k in ("availableReplicas", "updatedReplicas", "readyReplicas")) and (
        int(status.get("replicas") or 0) == want
    )


def wait(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except AssertionError:
            pass
        time.sleep(1)
    return False


def set_up(run: Run) -> None:
    """Create the namespace, the good state, the breaking rollout; wait until the break shows."""
    s = run.scenario
    try:
        kubectl("create", "namespace", run.namespace)
        _apply(run.namespace, s.good)
        if s.broken is not None:
            if not wait(lambda: available(run.namespace, s.deployment), 90):
                raise AssertionError("the good revision never became Available")
            _apply(run.namespace, s.broken)
        if not wait(lambda: shows(run), 120):
            raise AssertionError(f"the break never showed ({s.shows})")
    except AssertionError as exc:
        run.setup_error = str(exc)[:300]


# -- running and judging --------------------------------------------------------------------------------------------


def generations(namespaces: list[str]) -> dict[str, int]:
    out = {}
    for ns in namespaces:
        for dep in get(ns, "deployments").get("items", []):
            out[f"{ns}/{dep['metadata']['name']}"] = int(dep["metadata"].get("generation") or 0)
    return out


def restarts(namespace: str, deployment: str) -> dict[str, int]:
    """Restarts per live pod of the deployment."""
    return {
        p["metadata"]["name"]: sum(
            int(cs.get("restartCount") or 0) for cs in (p.get("status") or {}).get("containerStatuses") or []
        )
        for p in _pods(namespace, deployment)
    }


def climbing(before: dict[str, int], after: dict[str, int]) -> list[str]:
    """Pods seen both times whose restarts went up (a pod that went away meanwhile is an old one, not a restart)."""
    return [name for name, n in after.items() if name in before and n > before[name]]


AgentFactory = Callable[[ToolContext, FunctionApprover], Agent]


def rulebook_agent(ctx: ToolContext, approver: FunctionApprover) -> Agent:
    return make_agent(ctx, "rulebook", approver=approver)


def run_one(run: Run, store: Store, others: list[str], factory: AgentFactory = rulebook_agent) -> None:
    """The agent on one scenario, with the generations of every other watched deployment before and after."""
    ctx = context(run, store)

    def approve(tool: str, args: dict[str, Any], why: str) -> Approval:
        run.asked.append(tool)
        return Approval("yes")

    before = generations(others)
    run.generation_before = int(get(run.namespace, "deployment", run.scenario.deployment)["metadata"]["generation"])
    started = time.monotonic()
    run.result = factory(ctx, FunctionApprover(approve)).run(run.scenario.report)
    run.seconds = time.monotonic() - started
    after = generations(others)
    run.outside_changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    run.restarts_after = restarts(run.namespace, run.scenario.deployment)


def judge(run: Run, model_calls_allowed: bool = False) -> None:
    """The verdict, from the cluster (and for "say" from the answer and the absence of writes)."""
    s, ns, result = run.scenario, run.namespace, run.result
    failures = run.failures
    if run.setup_error or result is None:
        failures.append(run.setup_error or "not run")
        return
    wrote = [st["tool"] for st in result.steps if registry.writes(st["tool"]) and st["ok"]]
    if s.verdict == "fix":
        if not available(ns, s.deployment, s.replicas):
            failures.append("deployment not Available with every replica updated and Ready")
        live = _pods(ns, s.deployment)
        if not live or not all(
            any(c.get("type") == "Ready" and c.get("status") == "True" for c in p["status"].get("conditions", []))
            for p in live
        ):
            failures.append("not every pod is Ready")
        if climbing(run.restarts_after, restarts(ns, s.deployment)):
            failures.append("restarts still climbing")
        if s.service:
            failures.extend(_service_answers(ns, s.service))
    else:
        missing = [w for w in s.says if w not in result.answer]
        if missing:
            failures.append(f"the answer does not name {', '.join(missing)}")
        generation = int(get(ns, "deployment", s.deployment)["metadata"]["generation"])
        if wrote or generation != run.generation_before:
            failures.append(f"a write happened: {wrote or 'generation moved'}")
    if sorted(run.asked) != sorted(st["tool"] for st in result.steps if registry.writes(st["tool"])):
        failures.append(f"writes not all asked for: asked {run.asked}")
    if run.outside_changed:
        failures.append(f"changed outside the namespace: {run.outside_changed}")
    if run.steps > MAX_STEPS:
        failures.append(f"{run.steps} steps (> {MAX_STEPS})")
    if result.model_calls and not model_calls_allowed:
        failures.append(f"{result.model_calls} model calls")


def _service_answers(namespace: str, service: str) -> list[str]:
    ep = get(namespace, "endpoints", service)
    subsets = ep.get("subsets") or []
    addresses = [a["ip"] for s in subsets for a in s.get("addresses") or []]
    ports = [p["port"] for s in subsets for p in s.get("ports") or []]
    if not addresses or not ports:
        return [f"service {service} has no endpoints"]
    try:
        with urllib.request.urlopen(f"http://{addresses[0]}:{ports[0]}/health", timeout=3) as resp:
            return [] if resp.status == 200 else [f"service endpoint answers {resp.status}"]
    except OSError as exc:
        return [f"service endpoint {addresses[0]}:{ports[0]} does not answer: {exc}"]


# -- the whole suite -------------------------------------------------------------------------------------------------


@dataclass
class Suite:
    runs: list[Run]
    sentinel: str
    store: Store
    workdir: Path

    def namespaces(self) -> list[str]:
        return [r.namespace for r in self.runs] + [self.sentinel, "default", "kube-system"]

    def remove(self) -> None:
        for ns in [r.namespace for r in self.runs] + [self.sentinel]:
            kubectl("delete", "namespace", ns, "--wait=false", check=False)
        self.store.close()


def prepare(workdir: Path, scenarios: list[Scenario] | None = None, tag: str = "") -> Suite:
    """Images, the sentinel namespace, and every scenario broken, all at once."""
    build_images()
    run_id = tag or uuid.uuid4().hex[:5]
    store = Store(workdir / "memory.db")
    runs = []
    for s in scenarios or SCENARIOS:
        ns = f"s11{run_id}-{s.name}"[:63]
        runs.append(Run(s, ns, workdir / s.name))
        write_project(workdir / s.name, ns)
    sentinel = f"s11{run_id}-sentinel"
    kubectl("create", "namespace", sentinel)
    from tests.cluster_scenarios import deployment

    _apply(sentinel, [deployment("bystander")])
    # The scenarios whose container a liveness probe keeps killing are broken last: the longer one has been broken,
    # the longer its back-off (10 s doubling to 5 min), and reading what it answers waits for it to run again.
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(set_up, sorted(runs, key=lambda r: _kill_seconds(r.scenario) is not None)))
    return Suite(runs, sentinel, store, workdir)


def _kill_seconds(scenario: Scenario) -> float | None:
    """How soon a failing liveness probe kills the container (None: no liveness probe)."""
    objects = scenario.broken or scenario.good
    probes = [
        c["livenessProbe"]
        for o in objects
        if o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
        if "livenessProbe" in c
    ]
    if not probes:
        return None
    return min(
        float(p.get("initialDelaySeconds", 0)) + float(p.get("periodSeconds", 10)) * float(p.get("failureThreshold", 3))
        for p in probes
    )


def run_all(suite: Suite, factory: AgentFactory = rulebook_agent, model_calls_allowed: bool = False) -> None:
    """Run the agent on every scenario in turn, then judge them all (one wait lets restarts show)."""

    # A container that a liveness probe keeps killing waits longer in back-off the longer it has been broken
    # (up to 5 min), and reading what it answers waits for it to run: those run first, the one killed soonest (whose
    # back-off grows fastest) first of all.
    def order(run: Run) -> tuple[bool, float]:
        kill = _kill_seconds(run.scenario)
        return kill is None, kill or 0.0

    for run in sorted(suite.runs, key=order):
        if run.setup_error:
            continue
        others = [ns for ns in suite.namespaces() if ns != run.namespace]
        run_one(run, suite.store, others, factory)
    time.sleep(5)
    for run in suite.runs:
        judge(run, model_calls_allowed)


def table(runs: list[Run]) -> list[dict[str, Any]]:
    """One row per scenario: what `make bench` prints."""
    return [
        {
            "scenario": r.scenario.name,
            "held_out": r.scenario.held_out,
            "verdict": r.scenario.verdict,
            "passed": r.passed,
            "steps": r.steps,
            "seconds": round(r.seconds, 1),
            "model_calls": r.result.model_calls if r.result else 0,
            "why": "; ".join(r.failures)[:200],
        }
        for r in runs
    ]
