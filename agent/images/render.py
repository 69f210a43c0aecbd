"""The shipshape.toml text for what `shipshape init` detected, with a comment per image saying where each choice
came from, and the Dockerfiles and charts it left out (so the user can add them)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from agent.images.detect import Detected
from agent.project.names import image_name, release_name, repository_name


def _q(value: str) -> str:
    return json.dumps(value)


def _rel(path: Path, root: Path) -> str:
    rel = os.path.relpath(path, root)
    return "." if rel == "." else rel.replace(os.sep, "/")


def _comment(text: str) -> list[str]:
    return [f"# {line}" for line in text.splitlines()]


def render(found: Detected) -> str:
    """The shipshape.toml text for what was detected."""
    root = found.root
    project = repository_name(root.name)
    lines = [
        "# Written by `shipshape init`. Paths are relative to this file. Each image says where its context,",
        "# Dockerfile and schema came from; docs/init.md has the rules.",
        "",
        "[project]",
        f"name = {_q(project)}",
    ]
    for image in found.images:
        lines += ["", "[[images]]"]
        for why in image.why:
            lines += _comment(why)
        lines += [
            f"name = {_q(image.name)}",
            f"context = {_q(_rel(image.context, root))}",
            f"dockerfile = {_q(image.dockerfile)}",
        ]
        if image.target:
            lines.append(f"target = {_q(image.target)}")
        lines.append(f"budget = {_q(f'{image.budget // 1000**2}MB')}")
        if image.prisma_schema:
            lines.append(f"prisma_schema = {_q(_rel(image.prisma_schema, root))}")
        own = project if image.name == image_name(project) else f"{project}-{image.name}"
        lines.append(f"repository = {_q(repository_name(own))}")
        if image.deployment:
            lines.append(f"deployment = {_q(image.deployment)}")
    linked = {i.prisma_schema for i in found.images}
    unlinked = [s for s in found.schemas if s.path not in linked]
    if unlinked:
        lines += ["", "# Prisma schemas no image's Dockerfile copies or generates from:"]
        lines += [f"#   {_rel(s.path, root)} ({s.how})" for s in unlinked]
    if found.left_out:
        lines += ["", "# Left out (add an [[images]] entry if you build one of them):"]
        lines += [f"#   {_rel(p, root)}: {why}" for p, why in found.left_out]
    lines += [
        "",
        "[cluster]",
        "# How images get onto the cluster's node: daemon (needs node_docker_host), registry, shared (the node",
        "# uses this Docker daemon, as with `minikube docker-env`), minikube, kind or k3d.",
        'loader = "shared"',
    ]
    if found.manifests:
        lines.append("# Kubernetes manifests found: " + ", ".join(_rel(m, root) for m in found.manifests))
    if found.charts:
        chart = found.charts[0]
        release = release_name(found.chart_names.get(chart, root.name))
        lines += ["", "[helm]", f"# the chart's Chart.yaml names it {found.chart_names.get(chart, '?')!r}"]
        lines += [f"release = {_q(release)}", f"chart = {_q(_rel(chart, root))}"]
        if len(found.charts) > 1:
            lines.append("# other charts: " + ", ".join(_rel(c, root) for c in found.charts[1:]))
    return "\n".join(lines) + "\n"
