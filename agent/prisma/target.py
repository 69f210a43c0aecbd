"""Which Prisma binary target an image needs, and where that answer came from.

In order: the request; `prisma_target` in shipshape.toml; a LABEL on the runtime stage; the image itself when it
is built (its os-release, ELF loader and libssl, read the way Prisma reads them: agent/prisma/platform.py); else
the runtime stage's base image, read the same way when the build host has it; else the base image's well-known
name; else linux-musl-openssl-3.0.x.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from agent.prisma.platform import ImageFileProbe, ImagePlatform, image_platform
from agent.prisma.runtime import MUSL_TARGET, label_target, runtime_base, runtime_target

if TYPE_CHECKING:
    from agent.project.config import ImageConfig


class ImageInspector(ImageFileProbe, Protocol):
    def image(self, ref: str) -> dict[str, Any] | None: ...


@dataclass
class TargetChoice:
    target: str
    source: str
    platform: ImagePlatform | None = None


# remember(key, compute): compute()'s answer, kept under key beyond this process (an image ID's files never change).
Remember = Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]]
_PLATFORMS: dict[str, dict[str, Any]] = {}


def _in_process(key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    if key not in _PLATFORMS:
        _PLATFORMS[key] = compute()
    return _PLATFORMS[key]


def platform_of(docker: ImageInspector, ref: str, remember: Remember | None = None) -> ImagePlatform | None:
    """The derived platform of an image on the build host (None when it is not there); remembered per image ID."""
    found = docker.image(ref)
    if not found:
        return None
    architecture = str(found.get("Architecture") or "amd64")
    facts = (remember or _in_process)(
        f"platform|{found.get('Id')}", lambda: image_platform(docker, ref, architecture).as_dict()
    )
    return ImagePlatform(**facts)


def choose_target(
    image: ImageConfig,
    docker: ImageInspector | None = None,
    built: str | None = None,
    override: str | None = None,
    remember: Remember | None = None,
) -> TargetChoice:
    """The target `image` needs; `built` is the built image's reference when there is one. `remember` keeps what
    was read out of an image for the next run (a no-op build then starts no container)."""
    if override:
        return TargetChoice(override, "the request")
    if image.prisma_target:
        return TargetChoice(image.prisma_target, "prisma_target in shipshape.toml")
    text = (
        image.dockerfile_path.read_text(encoding="utf-8", errors="replace") if image.dockerfile_path.is_file() else ""
    )
    stage = f"stage {image.target}" if image.target else "final stage"
    labelled = label_target(text, image.target) if text else None
    if labelled:
        return TargetChoice(labelled, f"a LABEL of the {stage} of {image.dockerfile}")
    if docker is not None and built:
        platform = platform_of(docker, built, remember)
        if platform:
            return TargetChoice(platform.target, f"the built image {built} ({_facts(platform)})", platform)
    base = runtime_base(text, image.target) if text else None
    if docker is not None and base and base.lower() != "scratch":
        platform = platform_of(docker, base, remember)
        if platform:
            return TargetChoice(platform.target, f"the base image {base} of the {stage} ({_facts(platform)})", platform)
    named = runtime_target(text, image.target) if text else None
    if named:
        return TargetChoice(named, f"the base image's name in the {stage} of {image.dockerfile}")
    return TargetChoice(MUSL_TARGET, "the default (the Dockerfile does not say which libc its runtime has)")


def _facts(platform: ImagePlatform) -> str:
    ssl = f"libssl {platform.libssl}" if platform.libssl else "no libssl"
    return f"{platform.distro or 'no os-release'}, {platform.libc}, {ssl}"
