"""Tool build_and_load_images: source -> verified, budget-checked, content-tagged images on the cluster's node.

Per image, five steps: (1) Prisma check and fix (binaryTargets for the final stage's runtime, with a backup),
(2) build with the classic builder unless an image for the inputs' content hash exists, (3) verify the size
against the budget and the Prisma engine's ELF inside the image, (4) load onto the node (skipped when the node
holds the same image ID), (5) record the build in memory. Everything is checked before anything changes:
a missing Dockerfile or context, a malformed schema, an unknown image name or no daemon fail at once.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from agent.errors import ConfigError, ShipshapeError
from agent.images.checks import budget_problem, engine_report, prisma_target_for
from agent.tools import tool
from agent.tools.context import ToolContext, data_dir, remembered

if TYPE_CHECKING:
    from agent.engines.docker import BuildOutcome
    from agent.engines.loaders import Loader
    from agent.images.buildhash import BuildInputs, HashCache
    from agent.project.config import ImageConfig

_STEP = re.compile(r"^Step (\d+)/(\d+) : ")


class BuildInput(BaseModel):
    only: list[str] | None = Field(default=None, description="default: all")
    force: bool = Field(default=False, description="rebuild even when unchanged")
    no_load: bool = Field(default=False, description="do not load onto the node")
    no_cache: bool = Field(default=False, description="without the layer cache (implies force)")


@dataclass
class ImageRun:
    """The state of one image through the five steps; `doc()` is its part of the JSON answer."""

    image: ImageConfig
    tag: str | None = None
    content_hash: str | None = None
    image_id: str | None = None
    size_bytes: int | None = None
    cache_hit: bool = False
    build_seconds: float = 0.0
    loaded: bool = False
    load_skipped: bool = False
    load_seconds: float = 0.0
    load_bytes: int = 0
    prisma: dict[str, Any] | None = None
    engine: dict[str, Any] | None = None
    error: str | None = None
    failed_step: str | None = None
    stage: str = "check"
    log_path: str | None = None
    log_tail: list[str] = field(default_factory=list)
    root_cause: str | None = None

    @property
    def within_budget(self) -> bool | None:
        return None if self.size_bytes is None else self.size_bytes <= self.image.budget_bytes

    def outcome(self) -> str:
        if self.error:
            return {"build": "failed", "verify": "rejected", "load": "load-failed"}.get(self.stage, "failed")
        return "cache-hit" if self.cache_hit else "built"

    def doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.image.name,
            "tag": self.tag,
            "image_id": self.image_id,
            "size_bytes": self.size_bytes,
            "budget_bytes": self.image.budget_bytes,
            "within_budget": self.within_budget,
            "cache_hit": self.cache_hit,
            "build_seconds": round(self.build_seconds, 3),
            "loaded": self.loaded,
            "load_skipped": self.load_skipped,
            "load_seconds": round(self.load_seconds, 3),
            "load_bytes": self.load_bytes,
            "content_hash": self.content_hash,
            "prisma": self.prisma,
            "engine": self.engine,
            "ok": self.error is None,
            "error": self.error,
            "stage": self.stage,
            "failed_step": self.failed_step,
            "log_path": self.log_path,
            "root_cause": self.root_cause,
        }
        if self.error and self.log_tail:
            doc["log_tail"] = self.log_tail[-15:]
        return doc


def preflight(images: list[ImageConfig]) -> None:
    """Every input exists and every schema parses, before anything is built or edited."""
    from agent.images.dockerfile import check_dockerfile
    from agent.prisma.check import check_prisma

    for image in images:
        if not image.context.is_dir():
            raise ConfigError(
                f"image {image.name}: build context {image.context} is not a directory",
                "fix 'context' in shipshape.toml",
            )
        if not image.dockerfile_path.is_file():
            raise ConfigError(
                f"image {image.name}: Dockerfile {image.dockerfile_path} does not exist",
                "fix 'dockerfile' in shipshape.toml, or run 'shipshape init'",
            )
        check_dockerfile(
            image.dockerfile_path.read_text(encoding="utf-8", errors="replace"),
            f"image {image.name}: {image.dockerfile}",
            image.target,
        )
        if image.prisma_schema:
            target = prisma_target_for(image)  # the Dockerfile alone; also checks that the target stage exists
            check_prisma(image.prisma_schema, target)  # raises on an unreadable schema


def prisma_step(ctx: ToolContext, run: ImageRun) -> None:
    """Check the schema's binaryTargets against the final stage's runtime; add a missing target."""
    from agent.prisma.check import fix_prisma
    from agent.prisma.target import choose_target

    image = run.image
    if not image.prisma_schema:
        return
    from agent.images.generated import generate_facts

    remember = lambda key, compute: remembered(ctx, key, compute)  # noqa: E731
    choice = choose_target(image, ctx.docker_or_none(), remember=remember)
    facts = generate_facts(image, ctx.docker_or_none(), remember)
    native = facts.reason if facts is not None and facts.same_platform else None
    fix = fix_prisma(image.prisma_schema, ctx.files, choice.target, dry_run=ctx.dry_run, native_fits=native)
    run.prisma = {
        "status": fix.status,
        "target": fix.check.target,
        "target_source": choice.source,
        "backup": str(fix.backup) if fix.backup else None,
        "diff": fix.diff,
        "reason": fix.check.reason if facts is None or facts.same_platform else f"{fix.check.reason}; {facts.reason}",
        "version": fix.check.version,
        "engine_type": fix.check.engine_type,
        "engine_files": fix.check.engine_files,
        "generate": facts.as_dict() if facts is not None else None,
    }
    if fix.diff:
        ctx.reporter.note(f"{image.name}: {fix.check.reason}")
        ctx.reporter.note(fix.diff.rstrip("\n"))
    if fix.status == "failed":
        run.stage, run.error = "prisma", f"image {image.name}: Prisma check failed: {fix.check.reason}"


def log_file(ctx: ToolContext, image: ImageConfig, digest: str) -> Path:
    """Where a build's whole log is kept for diagnosis."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return data_dir(ctx) / "logs" / f"build-{image.name}-{digest[:12]}-{stamp}.log"


def checked_engine(ctx: ToolContext, tag: str, image_id: str, files: list[str], target: str) -> dict[str, Any]:
    """engine_report, remembered per image ID: an image's content never changes, so neither does the verdict."""
    return remembered(
        ctx, f"engine|{image_id}|{target}|{','.join(files)}", lambda: engine_report(ctx.docker, tag, files, target)
    )


def build_step(ctx: ToolContext, run: ImageRun, inputs: BuildInputs, force: bool, no_cache: bool = False) -> None:
    """Build the image unless an image for the same content hash exists (or `force`)."""
    from agent.images.buildhash import context_tar

    image = run.image
    assert run.tag is not None
    existing = ctx.docker.image(run.tag)
    if existing and not (force or no_cache):
        run.cache_hit, run.image_id, run.size_bytes = True, str(existing["Id"]), int(existing["Size"])
        ctx.reporter.note(f"{image.name}: {run.tag} is up to date (cache hit)")
        return
    if ctx.dry_run:
        ctx.reporter.note(f"{image.name}: would build {run.tag}")
        return
    log_path = log_file(ctx, image, inputs.digest)
    run.log_path = str(log_path)
    task = f"build {image.name}"

    def on_line(line: str) -> None:
        ctx.reporter.log(image.name, line)
        step = _STEP.match(line)
        if step:
            ctx.reporter.progress(task, int(step.group(1)) - 1, int(step.group(2)))

    with context_tar(inputs) as tar:
        outcome: BuildOutcome = ctx.docker.build(
            tar,
            inputs.dockerfile_in_context,
            run.tag,
            target=image.target,
            buildargs={**proxy_build_args(image.network), **image.build_args},
            # no labels: with the classic builder each one is an extra LABEL step, a container commit that cost
            # ~50 ms (12%) on a one-line rebuild; the tag already names the content hash
            on_line=on_line,
            log_path=log_path,
            nocache=no_cache,
            network=image.network,
        )
    ctx.reporter.progress(task, 1, 1)
    run.build_seconds = outcome.seconds
    if not outcome.ok:
        run.stage, run.failed_step, run.log_tail = "build", outcome.failed_step, outcome.log_tail
        where = f" at {outcome.failed_step}" if outcome.failed_step else ""
        run.error = f"image {image.name}: build failed{where}: {outcome.error} (log: {log_path})"
        return
    run.image_id = outcome.image_id
    run.size_bytes = ctx.docker.size(run.tag)


PROXY_ARGS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


def proxy_build_args(network: str | None = None) -> dict[str, str]:
    """The proxy settings of shipshape's environment, passed to the build as Docker's predefined proxy args.

    The docker CLI does the same from its config; without it a build behind a proxy cannot reach a registry. They
    are not part of the content hash, as Docker keeps them out of the image's history. A proxy on the host's
    loopback is reachable only from a build on the host's network, so other builds go without it.
    """
    found = {name: os.environ[name] for name in PROXY_ARGS if os.environ.get(name)}
    if network != "host":
        found = {k: v for k, v in found.items() if k.lower() == "no_proxy" or not _loopback(v)}
    return found


def _loopback(url: str) -> bool:
    host = (urlsplit(url if "://" in url else f"http://{url}").hostname or "").lower()
    return host == "localhost" or host.startswith("127.") or host == "::1"


def verify_step(ctx: ToolContext, run: ImageRun) -> None:
    """Size against budget; the Prisma engine inside the image against the runtime target."""
    image, tag = run.image, run.tag
    if tag is None or run.size_bytes is None:
        return
    run.stage = "verify"
    over = run.size_bytes > image.budget_bytes
    problem = budget_problem(image.name, run.size_bytes, image.budget_bytes, ctx.docker.history(tag) if over else [])
    if run.prisma and run.prisma.get("engine_files") and run.prisma.get("target") and run.image_id:
        files, target = list(run.prisma["engine_files"]), str(run.prisma["target"])
        # the image as built may differ from its base
        built_target = prisma_target_for(image, ctx.docker, tag, lambda key, compute: remembered(ctx, key, compute))
        if built_target != target:
            files = [f.replace(target, built_target) for f in files]
            target = built_target
            run.prisma["target"], run.prisma["engine_files"] = target, files
        run.engine = checked_engine(ctx, tag, run.image_id, files, target)
        if not run.engine["ok"]:
            problem = f"{problem}; " if problem else ""
            problem += f"image {image.name}: {run.engine['reason']}"
    if problem:
        run.error = problem


def load_step(ctx: ToolContext, run: ImageRun, loader: Loader) -> None:
    """Put the image on the node; skipped when the node already holds the same image ID."""
    if run.tag is None or run.image_id is None:
        return
    run.stage = "load"
    task = f"load {run.image.name}"
    try:
        result = loader.load(run.tag, run.image_id, lambda done, total: ctx.reporter.progress(task, done, total))
    except ShipshapeError as exc:
        run.error = f"image {run.image.name}: {exc.one_line()}"
        return
    run.loaded, run.load_skipped = result.loaded, result.skipped
    run.load_seconds, run.load_bytes = result.seconds, result.bytes
    ctx.reporter.note(
        f"{run.image.name}: {'loaded' if result.loaded else 'already on the node'} ({loader.name}, "
        f"{result.seconds:.2f} s)"
    )


def record(ctx: ToolContext, run: ImageRun, loader_name: str | None) -> None:
    """The build row, then what it teaches: a failed build's failure is remembered, and pending fixes for the
    image are decided by this build's outcome."""
    build_id = ctx.store.record_build(
        image=run.image.name,
        repository=run.image.repository,
        tag=run.tag,
        content_hash=run.content_hash,
        image_id=run.image_id,
        size_bytes=run.size_bytes,
        budget_bytes=run.image.budget_bytes,
        within_budget=None if run.within_budget is None else int(run.within_budget),
        build_seconds=run.build_seconds,
        load_seconds=run.load_seconds,
        cache_hit=int(run.cache_hit),
        loaded=int(run.loaded),
        loader=loader_name,
        outcome=run.outcome(),
        error=run.error,
        log_path=run.log_path,
    )
    learn(ctx, run, build_id)


def learn(ctx: ToolContext, run: ImageRun, build_id: int) -> None:
    from agent.memory import learning

    if run.stage == "check":
        return  # nothing was built: no outcome for a fix
    built = run.error is None or run.stage != "build"
    signature = None
    if not built and run.log_path and Path(run.log_path).is_file():
        from agent.buildlog import diagnose_path

        doc = learning.remember_diagnosis(
            ctx.store, diagnose_path(run.log_path), image=run.image.name, source=run.log_path, build_id=build_id
        )
        signature = (doc.get("memory") or {}).get("signature")
        run.root_cause = doc.get("root_cause")
    learning.resolve_fix_outcomes(ctx.store, run.image.name, built, build_id=build_id, failure_signature=signature)


def hash_cache(ctx: ToolContext) -> HashCache:
    from agent.images.buildhash import HashCache

    return HashCache(Path(ctx.store.path).parent / "hashcache.json")


@tool(
    "build_and_load_images",
    "Build the project's images with content-hash tags (skipped when unchanged; force=true rebuilds), fixing "
    "a missing Prisma binaryTarget first; check budgets and the Prisma engine; load onto the node; record. "
    "Use after a source change, for ImagePullBackOff on a tag the node lacks, or a missing Prisma engine.",
    BuildInput,
    writes=True,
)
def build_and_load_images(ctx: ToolContext, args: BuildInput) -> dict[str, Any]:
    from agent.engines.loaders import make_loader
    from agent.images.buildhash import hash_inputs

    images = ctx.project.select(args.only)
    preflight(images)
    ctx.docker.ping()
    loader = None if args.no_load or ctx.dry_run else make_loader(ctx.project, ctx.docker)
    cache = hash_cache(ctx)
    runs = []
    for image in images:
        run = ImageRun(image)
        runs.append(run)
        prisma_step(ctx, run)
        if run.error:
            record(ctx, run, None)
            continue
        inputs = hash_inputs(
            image.context, image.dockerfile_path, target=image.target, build_args=image.build_args, cache=cache
        )
        run.content_hash, run.tag = inputs.digest, inputs.tag(image.repository)
        run.stage = "build"
        build_step(ctx, run, inputs, args.force, args.no_cache)
        if not run.error:
            verify_step(ctx, run)
        if not run.error and loader is not None:
            load_step(ctx, run, loader)
        if not ctx.dry_run:
            record(ctx, run, loader.name if loader else None)
        if not run.error:
            run.stage = "done"
    cache.save()
    docs = [run.doc() for run in runs]
    return {
        "ok": all(run.error is None for run in runs),
        "dry_run": ctx.dry_run,
        "loader": None if args.no_load else (loader.name if loader else ctx.project.cluster.loader),
        "images": docs,
    }
