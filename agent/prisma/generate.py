"""Where a Dockerfile runs `prisma generate`, and whether that stage's platform is the runtime's.

Prisma's "native" binary target is the platform `prisma generate` runs on. When the stage that generates the
client is built on the same platform as the stage the image runs (the same stage chain, the same base image, or
two bases whose platform is known and equal), "native" already is the runtime's engine and no target is missing.
When the platforms differ, or one of them cannot be known from the text (a `-slim` base without OpenSSL
installed, an unknown image), the schema must name the runtime's target: the ordinary check decides.

A stage generates the client when one of its RUN lines runs `prisma generate` (npx, pnpm exec, pnpx, bunx,
`prisma@6 generate`), or runs a package.json script that does (`npm run db:generate`, `pnpm generate`,
`turbo run build` when a package's build script generates, `npm-run-all ... build-db`), followed through
scripts that call scripts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.prisma.runtime import _from_image
from agent.prisma.stages import StageBody, base_chain, feeding_stages, parse_dockerfile, root_image, runtime_stage

GENERATE = re.compile(r"\bprisma(?:@[\w.^~*-]+)?\s+(?:--?\S+\s+)*generate\b")
_RUNNERS = re.compile(r"\b(npm|pnpm|pnpx|yarn|bun|turbo|npm-run-all|run-s|run-p|nx|lerna)\b")
_INSTALL = re.compile(r"\b(npm\s+(ci|i|install)|pnpm\s+(i|install)|yarn(\s+install)?\s*($|&|;)|bun\s+install)\b")
_LIFECYCLE = {"postinstall", "prepare", "install"}
_OPENSSL = re.compile(r"\b(apt-get|apt|apk|microdnf|dnf|yum)\b.*\b(openssl|libssl\S*)\b")
_SLIM = re.compile(r"-slim\b|distroless")

# name -> target for a base image reference (None: unknown), from the image when it is at hand
PlatformOf = Callable[[str], str | None]


def generating_scripts(scripts: dict[str, list[str]]) -> set[str]:
    """The script names (over every package.json of the project) whose command runs `prisma generate`, directly
    or through other scripts."""
    found = {name for name, bodies in scripts.items() if any(GENERATE.search(b) for b in bodies)}
    changed = True
    while changed:
        changed = False
        for name, bodies in scripts.items():
            if name in found:
                continue
            if any(_calls_script(body, found) for body in bodies):
                found.add(name)
                changed = True
    return found


def _calls_script(command: str, names: set[str]) -> bool:
    if not names or not _RUNNERS.search(command):
        return False
    words = set(re.split(r"[\s;&|()'\"]+", command))
    words |= {w.split(":", 1)[0] for w in words if w.startswith(("build", "generate"))}
    return bool(words & names)


def runs_generate(run: str, scripts: set[str]) -> bool:
    """Does this RUN line run `prisma generate` (itself or through a generating script)?"""
    if GENERATE.search(run) or _calls_script(run, scripts):
        return True
    # an install runs the packages' lifecycle scripts: a postinstall that generates generates here
    global_install = re.search(r"(^|\s)(-g|--global)(\s|$)", run)
    return bool(scripts & _LIFECYCLE) and bool(_INSTALL.search(run)) and not global_install


@dataclass
class GenerateFacts:
    runtime_stage: str
    runtime_base: str
    stages: list[str] = field(default_factory=list)  # the stages that generate a client the runtime receives
    bases: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    same_platform: bool | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "runtime_stage": self.runtime_stage,
            "runtime_base": self.runtime_base,
            "generate_stages": self.stages,
            "generate_bases": self.bases,
            "generate_lines": self.lines,
            "same_platform": self.same_platform,
            "reason": self.reason,
        }


def _installs_openssl(stages: list[StageBody], stage: StageBody) -> bool:
    return any(_OPENSSL.search(run) for s in base_chain(stages, stage) for run in s.runs)


def name_platform(stages: list[StageBody], stage: StageBody) -> str | None:
    """The target a stage's platform has, from its base image's name alone; None when the name does not tell
    (an unknown image, or a `-slim`/distroless base whose libssl Prisma may not find unless the chain installs
    OpenSSL)."""
    ref = root_image(stages, stage)
    if "$" in ref:
        return None
    if _SLIM.search(ref) and not _installs_openssl(stages, stage):
        return None
    arm = any("arm64" in (s.platform or "") for s in base_chain(stages, stage))
    return _from_image(ref, arm)


def where_generate_runs(
    text: str, target: str | None, scripts: set[str], platform_of: PlatformOf | None = None
) -> GenerateFacts | None:
    """The stages that run `prisma generate` and feed the runtime stage (`target`, else the final one), and
    whether their platform is the runtime's. None when the Dockerfile generates no client the runtime receives
    (then the client comes from elsewhere, e.g. the build context, and the ordinary check decides)."""
    stages = parse_dockerfile(text)
    runtime = runtime_stage(stages, target)
    if runtime is None:
        return None
    facts = GenerateFacts(runtime.label, root_image(stages, runtime))
    own_chain = base_chain(stages, runtime)
    generating = [(s, run) for s in feeding_stages(stages, runtime) for run in s.runs if runs_generate(run, scripts)]
    if not generating:
        return None
    # A client generated in the runtime's own chain is the one it runs with (it is generated last, in place).
    in_chain = [(s, run) for s, run in generating if s in own_chain]
    chosen = in_chain or generating
    for stage, run in chosen:
        if stage.label not in facts.stages:
            facts.stages.append(stage.label)
            facts.bases.append(root_image(stages, stage))
        facts.lines.append(" ".join(run.split())[:160])
    if in_chain:
        facts.same_platform = True
        facts.reason = (
            f"prisma generate runs in stage {in_chain[0][0].label}, which the runtime stage {runtime.label} is "
            f"built on: its native target is the runtime's"
        )
        return facts
    runtime_name = name_platform(stages, runtime)
    runtime_seen = (platform_of(facts.runtime_base) if platform_of else None) or runtime_name
    verdicts: list[bool | None] = []
    for stage, _run in chosen:
        base = root_image(stages, stage)
        if base == facts.runtime_base:
            verdicts.append(True)
            continue
        seen = (platform_of(base) if platform_of else None) or name_platform(stages, stage)
        verdicts.append(None if seen is None or runtime_seen is None else seen == runtime_seen)
    where = ", ".join(f"{s} ({b})" for s, b in zip(facts.stages, facts.bases, strict=True))
    if all(v is True for v in verdicts):
        facts.same_platform = True
        facts.reason = (
            f"prisma generate runs in {where}; the runtime stage {runtime.label} runs on {facts.runtime_base}: the "
            f"same platform{f' ({runtime_seen})' if runtime_seen else ''}, so native is the runtime's target"
        )
    elif any(v is False for v in verdicts):
        facts.same_platform = False
        facts.reason = (
            f"prisma generate runs in {where}, another platform than the runtime stage {runtime.label} "
            f"({facts.runtime_base}, {runtime_seen}): native is not the runtime's target"
        )
    else:
        facts.same_platform = None
        facts.reason = (
            f"prisma generate runs in {where}; whether its platform is the runtime's ({facts.runtime_base}) is "
            "unknown from the Dockerfile's text"
        )
    return facts
