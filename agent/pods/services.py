"""Does a Service reach its pods? Its selector against the deployments' pod labels (which one it was meant for,
and which label is wrong), its targetPort against the ports the pods declare, and its endpoints. Also which
ConfigMap / Secret / key a container's env refers to that does not exist. Pure functions.
"""

from __future__ import annotations

from typing import Any


def _template(dep: dict[str, Any]) -> dict[str, Any]:
    return dep["spec"]["template"]


def container_ports(dep: dict[str, Any]) -> dict[str, int]:
    """Port name (or the number as text) -> number, over the deployment's containers."""
    ports: dict[str, int] = {}
    for c in _template(dep)["spec"].get("containers") or []:
        for p in c.get("ports") or []:
            number = int(p.get("containerPort") or 0)
            ports[str(number)] = number
            if p.get("name"):
                ports[str(p["name"])] = number
    return ports


def service_check(svc: dict[str, Any], deployments: list[dict[str, Any]], endpoints: dict[str, Any] | None) -> dict:
    """{name, selector, ports, endpoints, selects, problem, fix}: `problem` says in words what is wrong (a label
    no deployment's pods carry, a targetPort no container declares), `fix` is the least change as a Service
    patch ({"selector": {...}} or {"ports": [...]}), None when nothing is wrong or nothing certain can be said."""
    spec = svc.get("spec") or {}
    selector = dict(spec.get("selector") or {})
    ports = [
        {"name": p.get("name", ""), "port": p.get("port"), "targetPort": p.get("targetPort", p.get("port"))}
        for p in spec.get("ports") or []
    ]
    ready = sum(len(s.get("addresses") or []) for s in ((endpoints or {}).get("subsets") or []))
    out: dict[str, Any] = {
        "name": svc["metadata"]["name"],
        "selector": selector,
        "ports": ports,
        "endpoints": ready,
        "selects": [],
        "problem": "",
        "fix": None,
    }
    if not selector:
        return out
    labels_of = {d["metadata"]["name"]: _template(d)["metadata"].get("labels") or {} for d in deployments}
    selects = [n for n, labels in labels_of.items() if all(labels.get(k) == v for k, v in selector.items())]
    out["selects"] = selects
    if not selects:
        # The deployment it was meant for: the one whose labels differ from the selector in the fewest keys.
        def misses(labels: dict[str, str]) -> int:
            return sum(1 for k, v in selector.items() if labels.get(k) != v)

        ranked = sorted(labels_of.items(), key=lambda kv: (misses(kv[1]), kv[0] != svc["metadata"]["name"]))
        if ranked and misses(ranked[0][1]) < len(selector) + 1:
            name, labels = ranked[0]
            wrong = {k: v for k, v in selector.items() if labels.get(k) != v}
            fixed = {k: labels.get(k) for k in wrong}
            said = ", ".join(f"{k}={v}" for k, v in wrong.items())
            out["problem"] = (
                f"service {out['name']} selects {said}, which no pod carries; deployment {name}'s pods have "
                + ", ".join(f"{k}={labels[k]}" for k in wrong if k in labels)
            ).rstrip("; ")
            # A key the pods do not have at all is removed (None), a wrong value set to the pods' one.
            out["fix"] = {"selector": fixed, "deployment": name}
        return out
    declared: dict[str, int] = {}
    for name in selects:
        declared.update(container_ports(next(d for d in deployments if d["metadata"]["name"] == name)))
    numbers = sorted(set(declared.values()))
    for p in ports:
        target = p["targetPort"]
        if str(target) in declared or not numbers:
            continue
        if len(numbers) == 1:
            out["problem"] = (
                f"service {out['name']} sends port {p['port']} to targetPort {target}, but the pods of "
                f"{', '.join(selects)} listen on {numbers[0]}"
            )
            out["fix"] = {"ports": [{"port": p["port"], "targetPort": numbers[0]}], "deployment": selects[0]}
        else:
            out["problem"] = (
                f"service {out['name']} targetPort {target} is none of the pods' ports ({', '.join(map(str, numbers))})"
            )
        break
    return out


def unresolved_refs(dep: dict[str, Any], keys: dict[str, dict[str, list[str]]]) -> list[dict[str, str]]:
    """The env / envFrom references of the deployment's containers that do not resolve: {kind, name, key,
    container, env} for each (key '' for a whole missing object). Optional references are skipped."""
    missing: list[dict[str, str]] = []
    for c in _template(dep)["spec"].get("containers") or []:
        for env in c.get("env") or []:
            source = env.get("valueFrom") or {}
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = source.get(field)
                if not ref or ref.get("optional"):
                    continue
                have = keys.get(kind, {}).get(ref.get("name", ""))
                if have is None or ref.get("key") not in have:
                    missing.append(
                        {
                            "kind": kind,
                            "name": ref.get("name", ""),
                            "key": ref.get("key", "") if have is not None else "",
                            "container": c.get("name", ""),
                            "env": env.get("name", ""),
                        }
                    )
        for src in c.get("envFrom") or []:
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = src.get(field)
                if ref and not ref.get("optional") and ref.get("name") not in keys.get(kind, {}):
                    missing.append(
                        {
                            "kind": kind,
                            "name": ref.get("name", ""),
                            "key": "",
                            "container": c.get("name", ""),
                            "env": "",
                        }
                    )
    return missing
