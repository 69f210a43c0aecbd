"""The helm engine: runs the real `helm` binary (v3 or v4) with the project's kubeconfig.

helm is looked up on PATH and in the repository's `.tools/bin` (where `make cluster` unpacks it). Values
go in through a temporary values file (no `--set` escaping pitfalls), after the project's own values files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import EngineUnavailable, ShipshapeError
from agent.safety import Namespaces

if TYPE_CHECKING:
    from agent.project.config import Project


def find_helm(extra_dirs: list[Path] | None = None) -> str:
    """The helm executable: PATH first, then the given directories; a one-line error when there is none."""
    found = shutil.which("helm")
    if found:
        return found
    for folder in extra_dirs or []:
        candidate = folder / "helm"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise EngineUnavailable("helm not found on PATH", "run make cluster (it unpacks helm into .tools/bin)")


def values_text(values: dict[str, Any]) -> str:
    """A values file helm reads back as written. JSON (a subset of YAML) quotes every string: yaml.safe_dump leaves
    content tags such as `1234e56` or `012345678901` bare, because PyYAML does not read them as numbers, while helm's
    YAML parser does (`todo-backend:1.234e+59`, and the pod fails with InvalidImageName)."""
    return json.dumps(values, sort_keys=True, indent=2) + "\n"


class HelmEngine:
    """`helm upgrade --install`, `status` and `list` against one kubeconfig."""

    def __init__(
        self,
        binary: str,
        kubeconfig: Path | None = None,
        context: str | None = None,
        allowed_namespaces: list[str] | None = None,
    ) -> None:
        self.binary = binary
        self.kubeconfig = kubeconfig
        self.context = context
        self.allowed_namespaces = allowed_namespaces

    @classmethod
    def from_project(cls, project: Project) -> HelmEngine:
        """helm for the project's cluster: PATH, then `.tools/bin` in the project's directory or above it
        (where `make cluster` unpacks it)."""
        from agent.engines.kubeconfig import find_kubeconfig

        dirs = [p / ".tools" / "bin" for p in (project.root, *project.root.parents)]
        binary = find_helm(dirs)
        return cls(binary, find_kubeconfig(project), project.cluster.context, project.allowed_namespaces())

    def _run(self, args: list[str], timeout: float) -> str:
        cmd = [self.binary, *args]
        if self.kubeconfig is not None:
            cmd += ["--kubeconfig", str(self.kubeconfig)]
        if self.context:
            cmd += ["--kube-context", self.context]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except FileNotFoundError:
            raise EngineUnavailable(f"helm not found at {self.binary}", "run make cluster") from None
        except subprocess.TimeoutExpired:
            raise ShipshapeError(f"helm {args[0]} did not finish in {timeout:.0f} s", code="timeout") from None
        if proc.returncode != 0:
            lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
            last = lines[-1] if lines else f"exit code {proc.returncode}"
            if "connection refused" in last or "no such host" in last:
                raise EngineUnavailable(f"helm cannot reach the API server: {last}", "run make cluster")
            raise ShipshapeError(f"helm {args[0]} failed: {last}", code="helm")
        return proc.stdout

    def version(self) -> str:
        return self._run(["version", "--short"], 30).strip()

    def upgrade_install(
        self,
        release: str,
        chart: Path,
        namespace: str,
        values: dict[str, Any] | None = None,
        values_files: list[Path] | None = None,
        wait: bool = False,
        timeout: float = 300,
    ) -> dict[str, Any]:
        """`helm upgrade --install RELEASE CHART -n NS -f ... -f <values>`; returns the release's status."""
        if self.allowed_namespaces is not None:
            Namespaces(self.allowed_namespaces).require_writable(namespace)
        if not Path(chart).is_dir():
            raise ShipshapeError(f"no chart at {chart}", "fix [helm] chart in shipshape.toml", code="not-found")
        args = ["upgrade", "--install", release, str(chart), "--namespace", namespace, "-o", "json"]
        if self._major() >= 4:
            # helm 4 applies server-side: fields someone changed by hand (kubectl set image / patch) would
            # conflict. The release owns its manifests, so it takes them back, as `helm upgrade` did before.
            args += ["--force-conflicts"]
        for path in values_files or []:
            args += ["-f", str(path)]
        with tempfile.TemporaryDirectory(prefix="shipshape-helm-") as tmp:
            if values:
                vfile = Path(tmp) / "values.yaml"
                vfile.write_text(values_text(values), encoding="utf-8")
                args += ["-f", str(vfile)]
            if wait:
                args += ["--wait=legacy" if self._major() >= 4 else "--wait", "--timeout", f"{int(timeout)}s"]
            out = self._run(args, timeout + 60)
        return _release_summary(json.loads(out) if out.strip() else {})

    def status(self, release: str, namespace: str) -> dict[str, Any]:
        return _release_summary(json.loads(self._run(["status", release, "-n", namespace, "-o", "json"], 60)))

    def list(self, namespace: str | None = None) -> list[dict[str, Any]]:
        scope = ["-n", namespace] if namespace else ["-A"]
        releases: list[dict[str, Any]] = json.loads(self._run(["list", *scope, "-o", "json"], 60) or "[]")
        return releases

    def _major(self) -> int:
        text = self.version().lstrip("v")
        try:
            return int(text.split(".", 1)[0])
        except ValueError:
            return 3


def _release_summary(doc: dict[str, Any]) -> dict[str, Any]:
    info = doc.get("info") or {}
    return {
        "release": doc.get("name", ""),
        "namespace": doc.get("namespace", ""),
        "revision": doc.get("version"),
        "status": info.get("status", ""),
        "description": info.get("description", ""),
        "chart": ((doc.get("chart") or {}).get("metadata") or {}).get("version", ""),
    }
