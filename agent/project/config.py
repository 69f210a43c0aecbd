"""shipshape.toml -> Project: the images, the cluster, the deployments, the budgets and the policy.

Paths in the file are relative to the file's own directory; `Project` holds them resolved.
Environment variables override the node connection so the same file works on a laptop and in CI:
SHIPSHAPE_NODE_DOCKER_HOST, SHIPSHAPE_LOADER. The kubeconfig is [cluster] kubeconfig when set, else KUBECONFIG,
else ~/.kube/config.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent.errors import ConfigError
from agent.project.names import repository_name
from agent.project.units import parse_size

CONFIG_NAME = "shipshape.toml"
FRONTEND_BUDGET = 500 * 1000**2
BACKEND_BUDGET = 300 * 1000**2

# The tables shipshape.toml may have, and the keys of [project]: anything else is a typo to report, not ignore.
TOP_LEVEL = ("project", "images", "cluster", "helm", "policy", "model")
PROJECT_KEYS = ("name",)

LoaderName = Literal["daemon", "registry", "shared", "minikube", "kind", "k3d"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HealthCheck(_Strict):
    """How to tell that a running image is healthy: an HTTP GET on a pod or service port."""

    path: str = "/health"
    port: int = 80
    expect_status: int = 200
    service: str | None = None
    url: str | None = None


class ImageConfig(_Strict):
    """One image that shipshape builds, verifies and loads."""

    name: str
    context: Path
    dockerfile: str = "Dockerfile"
    target: str | None = None
    build_args: dict[str, str] = Field(default_factory=dict)
    # The network of the build's RUN steps (`docker build --network`); "host" reaches services on the host's loopback.
    network: str | None = None
    budget_bytes: int = BACKEND_BUDGET
    prisma_schema: Path | None = None
    # The Prisma binary target the image's final stage needs; None: derived from the Dockerfile's final FROM.
    prisma_target: str | None = None
    repository: str = ""
    deployment: str | None = None
    container: str | None = None
    health: HealthCheck | None = None

    @field_validator("prisma_target")
    @classmethod
    def _prisma_platform(cls, v: str | None) -> str | None:
        from agent.project.prisma_targets import PRISMA_TARGETS

        if v is not None and v not in PRISMA_TARGETS:
            raise ValueError(f"{v!r} is not a Prisma binary target (e.g. linux-musl-openssl-3.0.x)")
        return v

    @field_validator("repository")
    @classmethod
    def _repository(cls, v: str) -> str:
        from agent.project.names import reference_problem

        if v and (problem := reference_problem(v)):
            raise ValueError(f"{v!r} is not a valid image repository: {problem}")
        return v

    @property
    def dockerfile_path(self) -> Path:
        return self.context / self.dockerfile


class ClusterConfig(_Strict):
    """Which cluster the images go to, and how they get onto its node."""

    kind: Literal["local", "minikube", "kind", "k3d"] = "local"
    loader: LoaderName = "daemon"
    node_docker_host: str | None = None
    registry: str = "127.0.0.1:5000"
    kubeconfig: Path | None = None
    context: str | None = None
    namespace: str = "default"
    minikube_profile: str = "minikube"
    kind_cluster: str = "kind"
    k3d_cluster: str = "k3s-default"


class HelmConfig(_Strict):
    release: str
    chart: Path
    namespace: str | None = None
    values_files: list[Path] = Field(default_factory=list)

    @field_validator("release")
    @classmethod
    def _release(cls, v: str) -> str:
        from agent.project.names import release_problem

        if problem := release_problem(v):
            raise ValueError(f"{v!r} is not a valid Helm release name: {problem}")
        return v


class PolicyConfig(_Strict):
    """What the agent may touch without asking.

    `allowed_namespaces` bounds writes and reads alike (default: [cluster] namespace): a team that limits
    where shipshape acts usually means "this is the part of the cluster it is about", and pod logs and events
    of other namespaces can carry other teams' data. `read_namespaces` widens reads only (["*"]: any)."""

    allowed_namespaces: list[str] = Field(default_factory=list)
    read_namespaces: list[str] | None = None
    auto_approve: list[str] = Field(default_factory=list)

    @field_validator("auto_approve")
    @classmethod
    def _known_names(cls, v: list[str]) -> list[str]:
        return [name.strip() for name in v if name.strip()]


class ModelConfig(_Strict):
    """How shipshape talks to the model (the Claude brain)."""

    # Seconds to wait for one answer, retries included; then the rulebook takes over. SHIPSHAPE_MODEL_TIMEOUT
    # overrides it.
    timeout: float = Field(default=60.0, gt=0)


class Project(_Strict):
    """A loaded shipshape.toml."""

    root: Path
    name: str = "project"
    images: list[ImageConfig]
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    helm: HelmConfig | None = None
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    def image(self, name: str) -> ImageConfig:
        for image in self.images:
            if image.name == name:
                return image
        known = ", ".join(i.name for i in self.images) or "none"
        raise ConfigError(f"no image named {name!r} in {self.config_path}", f"known images: {known}")

    def select(self, only: list[str] | None) -> list[ImageConfig]:
        """The images named in `only` (all when empty), in the file's order."""
        if not only:
            return list(self.images)
        wanted = [self.image(n) for n in only]
        return [i for i in self.images if i in wanted]

    def allowed_namespaces(self) -> list[str]:
        return self.policy.allowed_namespaces or [self.cluster.namespace]

    def read_namespaces(self) -> list[str]:
        """Where reads may look: [policy] read_namespaces, else the same namespaces as writes."""
        if self.policy.read_namespaces is not None:
            return self.policy.read_namespaces
        return self.allowed_namespaces()


def find_config(start: Path | None = None) -> Path:
    """The nearest shipshape.toml at or above `start` (the working directory by default)."""
    here = (start or Path.cwd()).resolve()
    if here.is_file():
        return here
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no {CONFIG_NAME} in {here} or above it", "run 'shipshape init' in the project's directory")


def load_project(path: Path | None = None) -> Project:
    """Read and validate shipshape.toml; every path comes back absolute."""
    config_path = find_config(path)
    root = config_path.parent
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path} is not valid TOML: {exc}") from None
    return project_from_dict(raw, root)


def project_from_dict(raw: dict, root: Path) -> Project:
    """Build a Project from parsed TOML, resolving paths against `root`."""
    root = root.resolve()
    config_path = root / CONFIG_NAME
    _known_keys(raw, TOP_LEVEL, "", config_path)
    meta = raw.get("project", {}) or {}
    if not isinstance(meta, dict):
        raise ConfigError(f"{config_path}: [project] must be a table")
    _known_keys(meta, PROJECT_KEYS, "project.", config_path)
    images_raw = raw.get("images") or []
    if not images_raw:
        raise ConfigError(f"{config_path} lists no [[images]]", "run 'shipshape init' to detect them")
    images = []
    seen: set[str] = set()
    for entry in images_raw:
        entry = dict(entry)
        name = str(entry.get("name", "")).strip()
        if not name:
            raise ConfigError(f"an [[images]] entry in {config_path} has no name")
        if name in seen:
            raise ConfigError(f"image {name!r} appears twice in {config_path}")
        seen.add(name)
        frontend_like = "front" in name or entry.get("prisma_schema") is not None
        budget = entry.pop("budget", None)
        if isinstance(budget, int | float) and not isinstance(budget, bool):
            # "budget = 300" means 300 MB to whoever wrote it, and 300 bytes to a parser: ask for the unit.
            raise ConfigError(
                f"image {name!r}: budget = {budget} has no unit", f'write it with one, e.g. budget = "{budget}MB"'
            )
        try:
            entry["budget_bytes"] = (
                parse_size(budget) if budget is not None else (FRONTEND_BUDGET if frontend_like else BACKEND_BUDGET)
            )
        except ConfigError as exc:
            raise ConfigError(f"image {name!r}: budget {exc.message}", exc.hint) from None
        entry["context"] = (root / str(entry.get("context", "."))).resolve()
        if entry.get("prisma_schema"):
            entry["prisma_schema"] = (root / str(entry["prisma_schema"])).resolve()
        entry.setdefault("repository", repository_name(f"{meta.get('name', root.name)}-{name}"))
        images.append(entry)
    cluster = dict(raw.get("cluster", {}) or {})
    if cluster.get("kubeconfig"):
        cluster["kubeconfig"] = (root / str(cluster["kubeconfig"])).resolve()
    node_host = cluster.get("node_docker_host")
    if node_host and node_host.startswith("unix://") and not node_host.startswith("unix:///"):
        cluster["node_docker_host"] = "unix://" + str((root / node_host[len("unix://") :]).resolve())
    if os.environ.get("SHIPSHAPE_NODE_DOCKER_HOST"):
        cluster["node_docker_host"] = os.environ["SHIPSHAPE_NODE_DOCKER_HOST"]
    if os.environ.get("SHIPSHAPE_LOADER"):
        cluster["loader"] = os.environ["SHIPSHAPE_LOADER"]
    helm = raw.get("helm")
    if helm:
        helm = dict(helm)
        helm["chart"] = (root / str(helm.get("chart", "chart"))).resolve()
        helm["values_files"] = [(root / str(v)).resolve() for v in helm.get("values_files", [])]
    try:
        return Project.model_validate(
            dict(
                root=root,
                name=str(meta.get("name", root.name)),
                images=images,
                cluster=cluster,
                helm=helm,
                policy=raw.get("policy", {}) or {},
                model=raw.get("model", {}) or {},
            )
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{config_path}: {where}: {first['msg']}") from None


def _known_keys(table: dict, known: tuple[str, ...], prefix: str, config_path: Path) -> None:
    """An unknown key is an error naming the closest known one (a typo must not be ignored silently)."""
    import difflib

    for key in table:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {prefix}{close[0]}?" if close else f"known: {', '.join(prefix + k for k in known)}"
            raise ConfigError(f"{config_path}: unknown key {prefix}{key}", hint)
