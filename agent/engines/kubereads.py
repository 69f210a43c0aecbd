"""More reads of the Kubernetes API for the recovery rules: nodes (labels, taints, allocatable), ResourceQuotas,
Services and their Endpoints, and the names (never the values) of a namespace's ConfigMaps and Secrets with
their keys. Read through KubeEngine's connection and its namespace guard; what the objects mean is agent/pods'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.engines.kube import KubeEngine


def nodes(kube: KubeEngine) -> list[dict[str, Any]]:
    """Every node as the API server serialises it."""
    return list(kube._raw(kube.core.list_node).get("items", []))


def resource_quotas(kube: KubeEngine, namespace: str) -> list[dict[str, Any]]:
    """The namespace's ResourceQuotas: name, hard and used."""
    items = kube._raw(kube.core.list_namespaced_resource_quota, namespace).get("items", [])
    return [
        {
            "name": q["metadata"]["name"],
            "hard": (q.get("status") or {}).get("hard") or (q.get("spec") or {}).get("hard") or {},
            "used": (q.get("status") or {}).get("used") or {},
        }
        for q in items
    ]


def services(kube: KubeEngine, namespace: str) -> list[dict[str, Any]]:
    return list(kube._raw(kube.core.list_namespaced_service, namespace).get("items", []))


def endpoints(kube: KubeEngine, namespace: str) -> dict[str, dict[str, Any]]:
    """Endpoints by service name."""
    items = kube._raw(kube.core.list_namespaced_endpoints, namespace).get("items", [])
    return {e["metadata"]["name"]: e for e in items}


def config_keys(kube: KubeEngine, namespace: str) -> dict[str, dict[str, list[str]]]:
    """{"ConfigMap": {name: [keys]}, "Secret": {name: [keys]}}: names and key names only, values are dropped
    here and never leave this function."""
    out: dict[str, dict[str, list[str]]] = {"ConfigMap": {}, "Secret": {}}
    for cm in kube._raw(kube.core.list_namespaced_config_map, namespace).get("items", []):
        keys = list((cm.get("data") or {}).keys()) + list((cm.get("binaryData") or {}).keys())
        out["ConfigMap"][cm["metadata"]["name"]] = sorted(keys)
    for secret in kube._raw(kube.core.list_namespaced_secret, namespace).get("items", []):
        if secret.get("type") == "kubernetes.io/service-account-token":
            continue
        out["Secret"][secret["metadata"]["name"]] = sorted((secret.get("data") or {}).keys())
    return out
