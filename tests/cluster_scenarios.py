"""The broken deployments of the recovery suite (issue 11): what each one is, how it is broken on the real cluster,
what a user would say about it, and what counts as recovered. Data only; tests/scenario_suite.py sets them up,
runs the agent and judges the outcome.

Sources: the k8s-bench tasks of GoogleCloudPlatform/kubectl-ai (Apache-2.0) that fit this test bed
(fix-image-pull, fix-crashloop, fix-probes, fix-pending-pod, fix-oomkilled, fix-service-routing, scale) give the
kind of break; every manifest here is written for this cluster (local busybox images, never pulled), and the
rest are our own. HELD_OUT scenarios were written from this spec before any rule was tuned, and are reported
separately: the bar is what the rules were not tuned to.

`verdict` is "fix" (judged by the outcome alone: the deployment Available, every pod Ready, restarts stable,
Service endpoints present) or "say": the honest answer is to name the missing object and change nothing (a
Secret with no value from the user, a quota), judged by the answer naming it and no write happening.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

APP = "s11-app:v1"  # busybox httpd on $PORT (8080), serving /health and /api/health; built into the node daemon
ARM = "s11-arm:v1"  # the same, but its entrypoint is an aarch64 ELF: exec format error on this x86_64 node
PORT = 8080


def deployment(
    name: str,
    image: str = APP,
    *,
    replicas: int = 1,
    labels: dict[str, str] | None = None,
    command: list[str] | None = None,
    env: list[dict[str, Any]] | None = None,
    resources: dict[str, Any] | None = None,
    readiness: dict[str, Any] | None = None,
    liveness: dict[str, Any] | None = None,
    node_selector: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Deployment of one container named `app`, with what a scenario needs set."""
    labels = labels or {"app": name}
    container: dict[str, Any] = {
        "name": "app",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": PORT, "name": "http"}],
    }
    if command:
        container["command"] = command
    if env:
        container["env"] = env
    if resources:
        container["resources"] = resources
    if readiness:
        container["readinessProbe"] = readiness
    if liveness:
        container["livenessProbe"] = liveness
    spec: dict[str, Any] = {"containers": [container], "terminationGracePeriodSeconds": 1, "dnsPolicy": "Default"}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


def service(name: str, selector: dict[str, str], target_port: int | str = PORT) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": target_port, "name": "http"}]},
    }


def http_probe(path: str, port: int = PORT, **extra: Any) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": 2, "failureThreshold": 2, **extra}


def sh(script: str) -> list[str]:
    return ["sh", "-c", script]


@dataclass
class Scenario:
    name: str
    source: str
    report: str
    good: list[dict[str, Any]]
    # Applied once `good` is Available: a rollout that breaks it. None: `good` is already the broken state.
    broken: list[dict[str, Any]] | None = None
    # How the break shows before the agent runs: "waiting:R1|R2" (a container waiting reason), "pending",
    # "unready" (running, not Ready), "no-endpoints:SERVICE", "short" (fewer Ready pods than desired), "ready".
    shows: str = "ready"
    verdict: str = "fix"
    # For "say": words the answer must contain (the object to name).
    says: list[str] = field(default_factory=list)
    deployment: str = "web"
    replicas: int = 1
    # A Service whose endpoints must be present (and answer HTTP on the target port) afterwards.
    service: str | None = None
    held_out: bool = False
    # One of the scenarios `shipshape undo` must return to its broken state.
    undo: bool = False


GOOD = deployment("web")
SCENARIOS: list[Scenario] = [
    # -- held out, second batch: written after the first run, before any further tuning ---------------------
    Scenario(
        "heldout2-image-typo-two-replicas",
        "k8s-bench fix-image-pull",
        "web pods can't pull their image",
        [deployment("web", replicas=2)],
        [deployment("web", image="s11-ap:v1", replicas=2)],
        shows="waiting:ErrImagePull|ImagePullBackOff",
        replicas=2,
        held_out=True,
    ),
    Scenario(
        "heldout2-tcp-readiness-wrong-port",
        "own",
        "web never becomes ready",
        [deployment("web", readiness={"tcpSocket": {"port": 9000}, "periodSeconds": 2, "failureThreshold": 2})],
        shows="unready",
        held_out=True,
    ),
    Scenario(
        "heldout2-envfrom-missing-configmap",
        "own",
        "web is stuck in CreateContainerConfigError",
        [
            {
                **deployment("web"),
                "spec": {
                    **deployment("web")["spec"],
                    "template": {
                        "metadata": {"labels": {"app": "web"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "app",
                                    "image": APP,
                                    "imagePullPolicy": "IfNotPresent",
                                    "envFrom": [{"configMapRef": {"name": "app-env"}}],
                                }
                            ],
                            "terminationGracePeriodSeconds": 1,
                            "dnsPolicy": "Default",
                        },
                    },
                },
            }
        ],
        shows="waiting:CreateContainerConfigError",
        verdict="say",
        says=["app-env"],
        held_out=True,
    ),
    Scenario(
        "heldout2-insufficient-cpu",
        "k8s-bench fix-pending-pod",
        "the web deployment has a pod that never starts",
        [deployment("web", resources={"requests": {"cpu": "16"}})],
        shows="pending",
        held_out=True,
    ),
    # -- held out, first batch: written before any rule was tuned. Measured once untouched (1 of 3 passed, see
    # docs/cluster-tools.md); the two bugs they showed were then fixed, so they count as tuned from here on.
    Scenario(
        "heldout-probes-both-paths",
        "k8s-bench fix-probes",
        "the webapp keeps restarting and is never ready",
        [
            deployment(
                "webapp",
                readiness=http_probe("/is_ready", initialDelaySeconds=1),
                liveness=http_probe("/get_status", initialDelaySeconds=3),
            )
        ],
        shows="unready",
        deployment="webapp",
    ),
    Scenario(
        "heldout-missing-file-after-rollout",
        "own",
        "web crashes since the last deploy",
        [GOOD],
        [deployment("web", command=sh("cat /etc/app/settings.conf && exec httpd -f -p 8080 -h /www"))],
        shows="waiting:CrashLoopBackOff|Error",
    ),
    Scenario(
        "heldout-insufficient-memory",
        "k8s-bench fix-pending-pod",
        "the web pod is stuck in Pending",
        [deployment("web", resources={"requests": {"memory": "512Gi"}})],
        shows="pending",
    ),
    # -- the tuned suite ----------------------------------------------------------------------------------------
    Scenario(
        "image-tag-missing-after-rollout",
        "k8s-bench fix-image-pull",
        "pods show ImagePullBackOff",
        [GOOD],
        [deployment("web", image="s11-thirdparty/nginx:9.99-nope")],
        shows="waiting:ErrImagePull|ImagePullBackOff",
        undo=True,
    ),
    Scenario(
        "first-rollout-tag-typo",
        "own",
        "web pods show ErrImagePull",
        [deployment("web", image=APP.replace(":v1", ":v01"))],
        shows="waiting:ErrImagePull|ImagePullBackOff",
    ),
    Scenario(
        "exit-127-after-rollout",
        "k8s-bench fix-crashloop",
        "web is in CrashLoopBackOff",
        [GOOD],
        [deployment("web", command=sh("python3 -m http.server 8080"))],
        shows="waiting:CrashLoopBackOff|Error",
        undo=True,
    ),
    Scenario(
        "exec-format-error",
        "own",
        "web pods fail to start after the new image",
        [GOOD],
        [deployment("web", image=ARM)],
        shows="waiting:CrashLoopBackOff|ContainerCannotRun|RunContainerError|StartError|Error",
    ),
    Scenario(
        "bad-env-after-rollout",
        "own",
        "web started crashing after we changed its environment",
        [GOOD],
        [
            deployment(
                "web",
                command=sh(
                    'test "$LISTEN_PORT" -eq "$LISTEN_PORT" 2>/dev/null || exit 2; '
                    'exec httpd -f -p "$LISTEN_PORT" -h /www'
                ),
                env=[{"name": "LISTEN_PORT", "value": "eighty"}],
            )
        ],
        shows="waiting:CrashLoopBackOff|Error",
    ),
    Scenario(
        "oom-killed",
        "k8s-bench fix-oomkilled",
        "web keeps getting OOMKilled",
        [
            deployment(
                "web",
                command=sh("dd if=/dev/zero of=/dev/null bs=24M count=1 && exec httpd -f -p 8080 -h /www"),
                resources={"limits": {"memory": "16Mi"}, "requests": {"memory": "16Mi"}},
                readiness=http_probe("/health"),
            )
        ],
        shows="waiting:CrashLoopBackOff|OOMKilled",
        undo=True,
    ),
    Scenario(
        "missing-secret",
        "own",
        "web pods are stuck in CreateContainerConfigError",
        [
            deployment(
                "web",
                env=[
                    {
                        "name": "DB_PASSWORD",
                        "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "password"}},
                    }
                ],
            )
        ],
        shows="waiting:CreateContainerConfigError",
        verdict="say",
        says=["db-credentials"],
    ),
    Scenario(
        "missing-configmap-key",
        "own",
        "web does not start",
        [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"}, "data": {"MODE": "prod"}},
            deployment(
                "web",
                env=[
                    {"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "web-config", "key": "LOG_LEVEL"}}}
                ],
            ),
        ],
        shows="waiting:CreateContainerConfigError",
        verdict="say",
        says=["LOG_LEVEL", "web-config"],
    ),
    Scenario(
        "readiness-wrong-path",
        "k8s-bench fix-probes",
        "web is running but never becomes ready",
        [deployment("web", readiness=http_probe("/is_ready"))],
        shows="unready",
    ),
    Scenario(
        "readiness-wrong-port",
        "own",
        "web pods are not ready",
        [deployment("web", readiness=http_probe("/health", port=9090))],
        shows="unready",
    ),
    Scenario(
        "liveness-kills-slow-start",
        "own",
        "web keeps restarting while it starts",
        [
            deployment(
                "web",
                command=sh("echo warming up; sleep 15; exec httpd -f -p 8080 -h /www"),
                liveness=http_probe("/health", initialDelaySeconds=2, periodSeconds=2, failureThreshold=1),
            )
        ],
        shows="restarted",
    ),
    Scenario(
        "unmatched-node-selector",
        "k8s-bench fix-pending-pod",
        "web is Pending and the service has no endpoints",
        [deployment("web", node_selector={"disktype": "ssd"}), service("web", {"app": "web"})],
        shows="pending",
        service="web",
        undo=True,
    ),
    Scenario(
        "quota-exceeded",
        "own",
        "web only has 1 of 2 pods",
        [
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "pod-cap"},
                "spec": {"hard": {"pods": "1"}},
            },
            deployment("web", replicas=2),
        ],
        shows="short",
        verdict="say",
        says=["pod-cap"],
        replicas=2,
    ),
    Scenario(
        "service-wrong-selector",
        "k8s-bench fix-service-routing",
        "the web service has no endpoints",
        [deployment("web"), service("web", {"app": "website"})],
        shows="no-endpoints:web",
        service="web",
        undo=True,
    ),
    Scenario(
        "service-wrong-target-port",
        "own",
        "connections to the web service are refused",
        [deployment("web"), service("web", {"app": "web"}, target_port=80)],
        shows="ready",
        service="web",
    ),
    Scenario(
        "scale-named",
        "k8s-bench scale",
        "scale web to 3",
        [deployment("web")],
        shows="ready",
        replicas=3,
    ),
    Scenario(
        "scale-the-deployment",
        "k8s-bench scale",
        "scale the deployment to 2 replicas",
        [deployment("web")],
        shows="ready",
        replicas=2,
    ),
]
