"""Journalled writes of a Service's spec and their undo (patch_service, `shipshape undo`): DeploymentWriter's
protocol (journal the spec as it is, one PUT conditional on the resourceVersion just read, mark it applied) for
the kind Service. Services carry no generation, so "changed since" compares the spec with the one written."""

from __future__ import annotations

from typing import Any

from agent.engines.kube_write import DeploymentWriter


class ServiceWriter(DeploymentWriter):
    """Replaces Service specs, each change journalled (kind 'Service') so that `shipshape undo` reverses it."""

    KIND = "Service"
    API_VERSION = "v1"

    def _read(self, namespace: str, name: str) -> dict[str, Any]:
        return self.kube.service(namespace, name)

    def _replace(self, namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.kube._raw(self.kube.core.replace_namespaced_service, name, namespace, body)
