"""The Kubernetes engine: the only module that imports the official `kubernetes` client.

Objects come back as the API server serialises them (camelCase dicts, as `kubectl get -o json` prints
them), read with `_preload_content=False` so that no model classes are built: that keeps a 50-pod status
well under a second and gives agent/pods exactly the shape it reads. Every write checks the project's
allowed namespaces first (agent.safety.Namespaces, the one namespace guard). The engine only reads, watches
and writes: what a pod's state means (agent/pods) and how a rollout is watched (agent/pods/rollout.py) live
above it. Expected failures (no kubeconfig, API server down, unknown namespace or deployment) raise
ShipshapeError / EngineUnavailable with one line a user can act on.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.engines.kubeconfig import find_kubeconfig
from agent.errors import EngineUnavailable, ShipshapeError
from agent.safety import Namespaces

if TYPE_CHECKING:
    from agent.project.config import Project

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
# The kubelet's words, sent as the log (200), for a run whose container or log file is gone (kubernetes#102170).
GONE_LOG = re.compile(
    r"unable to retrieve container logs for \S+"
    r"|failed to try resolving symlinks in path \"[^\"]+\": lstat \S+: no such file or directory"
)
REQUEST_TIMEOUT = (5, 30)


class KubeEngine:
    """A connection to one cluster's API server, with the namespaces shipshape may change."""

    def __init__(self, api_client: Any, server: str, allowed_namespaces: list[str]) -> None:
        from kubernetes import client

        self.api_client = api_client
        self.server = server
        self.allowed_namespaces = list(allowed_namespaces)
        self.namespaces_guard = Namespaces(self.allowed_namespaces)
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    def from_kubeconfig(
        cls, path: Path, context: str | None = None, allowed_namespaces: list[str] | None = None
    ) -> KubeEngine:
        """Connect with a kubeconfig file (and context); the connection is checked on first use."""
        from kubernetes import config

        try:
            api_client = config.new_client_from_config(config_file=str(path), context=context)
        except Exception as exc:  # the loader raises ConfigException, ValueError, yaml errors...
            raise EngineUnavailable(
                f"cannot use kubeconfig {path}: {exc}".splitlines()[0], "check the file, or run make cluster"
            ) from None
        cfg = api_client.configuration
        cfg.retries = 0  # a refused connection should fail at once, not after urllib3's retries
        if not cfg.verify_ssl:
            # The kubeconfig itself asks for insecure-skip-tls-verify; warning on every call is noise.
            import urllib3

            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        return cls(api_client, str(cfg.host), allowed_namespaces or ["default"])

    @classmethod
    def from_project(cls, project: Project) -> KubeEngine:
        """The cluster that shipshape.toml names (kubeconfig, context), guarded by its allowed namespaces."""
        path = find_kubeconfig(project)
        return cls.from_kubeconfig(path, project.cluster.context, project.allowed_namespaces())

    # -- plumbing ------------------------------------------------------------------------------------------

    def _raw(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Call an API method and return its JSON body as a dict; connection failures become one line."""
        from kubernetes.client.exceptions import ApiException

        kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
        try:
            resp = call(*args, _preload_content=False, **kwargs)
        except ApiException as exc:
            self._api_error(exc)
            raise
        except Exception as exc:
            self._connection_error(exc)
            raise
        if not 200 <= int(resp.status) < 300:
            err = ApiException(status=resp.status, reason=resp.reason)
            err.body = resp.data
            self._api_error(err)
            raise err
        result: dict[str, Any] = json.loads(resp.data or b"{}")
        return result

    def _connection_error(self, exc: BaseException) -> None:
        import urllib3

        if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
            raise EngineUnavailable(f"the API server at {self.server} does not answer", "run make cluster") from None

    def _api_error(self, exc: Any) -> None:
        if exc.status in (401, 403):
            raise EngineUnavailable(
                f"the API server at {self.server} refused shipshape's credentials ({exc.status} {exc.reason})",
                "check the kubeconfig's user",
            ) from None

    @staticmethod
    def _status(exc: BaseException) -> int:
        return int(getattr(exc, "status", 0) or 0)

    def check_namespace_allowed(self, namespace: str) -> None:
        """Refuse a write outside the project's allowed namespaces."""
        self.namespaces_guard.require_writable(namespace)

    # -- reads ---------------------------------------------------------------------------------------------

    def version(self) -> dict[str, Any]:
        """The API server's version (also the cheapest check that it answers)."""
        from kubernetes import client

        return self._raw(client.VersionApi(self.api_client).get_code)

    def namespaces(self) -> list[str]:
        return [n["metadata"]["name"] for n in self._raw(self.core.list_namespace).get("items", [])]

    def require_namespace(self, namespace: str) -> None:
        """Raise a one-line error when the namespace does not exist."""
        from kubernetes.client.exceptions import ApiException

        try:
            self._raw(self.core.read_namespace, namespace)
        except ApiException as exc:
            if self._status(exc) != 404:
                raise
            known = ", ".join(self.namespaces())
            raise ShipshapeError(
                f"namespace {namespace!r} does not exist on {self.server}",
                f"known namespaces: {known}",
                code="not-found",
            ) from None

    def deployments(self, namespace: str) -> list[dict[str, Any]]:
        return list(self._raw(self.apps.list_namespaced_deployment, namespace).get("items", []))

    def deployment(self, namespace: str, name: str) -> dict[str, Any]:
        """One deployment; a one-line error naming the ones that exist when it does not."""
        from kubernetes.client.exceptions import ApiException

        try:
            return self._raw(self.apps.read_namespaced_deployment, name, namespace)
        except ApiException as exc:
            if self._status(exc) != 404:
                raise
        self.require_namespace(namespace)
        known = ", ".join(d["metadata"]["name"] for d in self.deployments(namespace)) or "none"
        raise ShipshapeError(
            f"no deployment {name!r} in namespace {namespace!r}", f"deployments there: {known}", code="not-found"
        )

    def replicasets(self, namespace: str, selector: str | None = None) -> list[dict[str, Any]]:
        return list(
            self._raw(self.apps.list_namespaced_replica_set, namespace, label_selector=selector).get("items", [])
        )

    def pods(self, namespace: str, selector: str | None = None) -> list[dict[str, Any]]:
        return list(self.pod_list(namespace, selector).get("items", []))

    def pod_list(self, namespace: str, selector: str | None = None) -> dict[str, Any]:
        """The pod list as the API server sends it: `items`, and `metadata.resourceVersion` to watch from."""
        return self._raw(self.core.list_namespaced_pod, namespace, label_selector=selector)

    def pods_with_deployments(self, namespace: str) -> list[tuple[dict[str, Any], str]]:
        """Every pod with the deployment that owns it (through its ReplicaSet; '' for none)."""
        owner_of_rs: dict[str, str] = {}
        for rs in self.replicasets(namespace):
            for ref in rs["metadata"].get("ownerReferences") or []:
                if ref.get("kind") == "Deployment":
                    owner_of_rs[rs["metadata"]["name"]] = ref["name"]
        result = []
        for pod in self.pods(namespace):
            deployment = ""
            for ref in pod["metadata"].get("ownerReferences") or []:
                if ref.get("kind") == "ReplicaSet":
                    deployment = owner_of_rs.get(ref["name"], "")
            result.append((pod, deployment))
        return result

    def events(self, namespace: str, pod: str | None = None) -> list[dict[str, Any]]:
        """Events of one pod (or of every object in the namespace)."""
        selector = f"involvedObject.name={pod},involvedObject.kind=Pod" if pod else None
        return list(self._raw(self.core.list_namespaced_event, namespace, field_selector=selector).get("items", []))

    def events_by_pod(self, namespace: str) -> dict[str, list[dict[str, Any]]]:
        """All pod events of a namespace in one call, grouped by pod name."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for event in self.events(namespace):
            obj = event.get("involvedObject") or {}
            if obj.get("kind") == "Pod":
                grouped.setdefault(str(obj.get("name")), []).append(event)
        return grouped

    def pod(self, namespace: str, name: str) -> dict[str, Any]:
        from kubernetes.client.exceptions import ApiException

        try:
            return self._raw(self.core.read_namespaced_pod, name, namespace)
        except ApiException as exc:
            if self._status(exc) != 404:
                raise
        self.require_namespace(namespace)
        raise ShipshapeError(f"no pod {name!r} in namespace {namespace!r}", code="not-found")

    def service(self, namespace: str, name: str) -> dict[str, Any]:
        from kubernetes.client.exceptions import ApiException

        try:
            return self._raw(self.core.read_namespaced_service, name, namespace)
        except ApiException as exc:
            if self._status(exc) != 404:
                raise
        self.require_namespace(namespace)
        raise ShipshapeError(f"no service {name!r} in namespace {namespace!r}", code="not-found")

    def pod_ip(self, namespace: str, name: str) -> str:
        return str((self.pod(namespace, name).get("status") or {}).get("podIP") or "")

    def log_tail(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        lines: int = 50,
        max_bytes: int = 16_000,
        previous: bool = False,
    ) -> list[str]:
        """The last `lines` lines of a container's log, at most `max_bytes`; [] when there is none yet."""
        from kubernetes.client.exceptions import ApiException

        try:
            resp = self.core.read_namespaced_pod_log(
                pod,
                namespace,
                container=container,
                tail_lines=lines,
                limit_bytes=max_bytes,
                previous=previous,
                _preload_content=False,
                _request_timeout=REQUEST_TIMEOUT,
            )
        except ApiException as exc:
            if self._status(exc) in (400, 404):
                return []  # no (previous) container yet, or the pod is gone
            self._api_error(exc)
            raise
        except Exception as exc:
            self._connection_error(exc)
            raise
        status = int(getattr(resp, "status", 200))
        if status in (400, 404):
            return []  # no (previous) container yet, or the pod is gone
        data: bytes = getattr(resp, "data", b"") or b""
        if not 200 <= status < 300:
            raise ShipshapeError(f"reading the log of pod {pod!r} failed: {status} {data[:200]!r}")
        text = data[:max_bytes].decode("utf-8", "replace")
        if GONE_LOG.fullmatch(text.strip()):
            return []  # the kubelet's word for a container it has removed, sent as the log itself (200)
        return text.splitlines()[-lines:]

    def crash_logs(self, namespace: str, pod: dict[str, Any], container: str, lines: int = 20) -> list[str]:
        """The log of the container's last run: its current one when that has ended, else the previous one when it
        restarted (the current run may not have printed yet); the other when that one has none."""
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        mine: dict[str, Any] = next((s for s in statuses if s.get("name") == container), {})
        ended = "terminated" in (mine.get("state") or {})
        name = pod["metadata"]["name"]
        order = [False, True] if ended or not mine.get("restartCount") else [True, False]
        for previous in order:
            found = self.log_tail(namespace, name, container or None, lines, previous=previous)
            if found:
                return found
        return []

    def node_info(self) -> list[dict[str, Any]]:
        """Each node's name, readiness, kubelet version, container runtime and addresses."""
        nodes = []
        for node in self._raw(self.core.list_node).get("items", []):
            status = node.get("status") or {}
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
            info = status.get("nodeInfo") or {}
            nodes.append(
                {
                    "name": node["metadata"]["name"],
                    "ready": ready,
                    "kubelet": info.get("kubeletVersion", ""),
                    "runtime": info.get("containerRuntimeVersion", ""),
                    "addresses": {a.get("type"): a.get("address") for a in status.get("addresses") or []},
                    "allocatable": status.get("allocatable") or {},
                }
            )
        return nodes

    # -- writes --------------------------------------------------------------------------------------------

    def _patch_deployment(self, namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        self.check_namespace_allowed(namespace)
        self.deployment(namespace, name)  # a one-line error for an unknown deployment
        return self._raw(
            self.apps.patch_namespaced_deployment,
            name,
            namespace,
            body,
            _content_type="application/strategic-merge-patch+json",
        )

    def rollout_restart(self, namespace: str, name: str) -> dict[str, Any]:
        """What `kubectl rollout restart` does: stamp the pod template, so a new ReplicaSet rolls out."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        dep = self._patch_deployment(namespace, name, body)
        return {
            "namespace": namespace,
            "name": name,
            "restarted_at": stamp,
            "generation": dep["metadata"].get("generation"),
        }

    def set_image(self, namespace: str, deployment: str, container: str, image: str) -> dict[str, Any]:
        """What `kubectl set image` does: change one container's image (a strategic merge by name)."""
        current = self.deployment(namespace, deployment)
        names = [c["name"] for c in current["spec"]["template"]["spec"]["containers"]]
        if container not in names:
            raise ShipshapeError(
                f"deployment {deployment!r} has no container {container!r}",
                f"its containers: {', '.join(names)}",
                code="not-found",
            )
        body = {"spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}}}
        dep = self._patch_deployment(namespace, deployment, body)
        return {
            "namespace": namespace,
            "deployment": deployment,
            "container": container,
            "image": image,
            "generation": dep["metadata"].get("generation"),
        }

    # -- watches -------------------------------------------------------------------------------------------

    def watch_pods(
        self, namespace: str, selector: str, resource_version: str | None, timeout_seconds: int
    ) -> Iterator[dict[str, Any]]:
        """Pod events (ADDED, MODIFIED, DELETED) from `resource_version` on; an ERROR event (code 410) when the
        version is too old: the caller lists again."""
        return self._watch(
            self.core.list_namespaced_pod,
            namespace,
            label_selector=selector,
            resource_version=resource_version,
            timeout_seconds=timeout_seconds,
        )

    def watch_deployment(
        self, namespace: str, name: str, resource_version: str, timeout_seconds: int
    ) -> Iterator[dict[str, Any]]:
        """Events of one deployment from `resource_version` on (an ERROR event when the version is too old)."""
        return self._watch(
            self.apps.list_namespaced_deployment,
            namespace,
            field_selector=f"metadata.name={name}",
            timeout_seconds=timeout_seconds,
            resource_version=resource_version,
        )

    def _watch(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException

        w = watch.Watch()
        try:
            yield from w.stream(call, *args, deserialize=False, **kwargs)
        except ApiException as exc:
            if self._status(exc) != 410:
                self._api_error(exc)
                raise
            yield {"type": "ERROR", "object": {"code": 410}}  # resourceVersion too old: the caller relists
        except Exception as exc:
            self._connection_error(exc)
            raise
        finally:
            w.stop()
