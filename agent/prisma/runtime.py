"""Which Prisma binary target an image's runtime needs, read from its Dockerfile: the runtime stage (following
`FROM <stage>` chains), an explicit LABEL, or the base image's name and tag (musl or glibc, the OpenSSL series of
the distribution release, arm64 or not). Pure functions over the Dockerfile's text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.errors import ShipshapeError

MUSL_TARGET = "linux-musl-openssl-3.0.x"
LABEL_TARGET = "org.shipshape.prisma-target"
LABEL_LIBC = "org.shipshape.libc"
LABEL_OPENSSL = "org.shipshape.openssl"

# glibc distributions: release -> OpenSSL series (debian 9-11 and ubuntu <= 20.04 ship 1.1, later ones 3).
_CODENAMES = {
    "jessie": "1.0.x",
    "stretch": "1.1.x",
    "buster": "1.1.x",
    "bullseye": "1.1.x",
    "bookworm": "3.0.x",
    "trixie": "3.0.x",
    "xenial": "1.0.x",
    "bionic": "1.1.x",
    "focal": "1.1.x",
    "jammy": "3.0.x",
    "noble": "3.0.x",
}
_DEBIAN = {"8": "1.0.x", "9": "1.1.x", "10": "1.1.x", "11": "1.1.x", "12": "3.0.x", "13": "3.0.x"}
_UBUNTU = {"16.04": "1.0.x", "18.04": "1.1.x", "20.04": "1.1.x", "22.04": "3.0.x", "24.04": "3.0.x"}
_GLIBC_IMAGES = ("node", "debian", "ubuntu", "python", "ruby", "golang", "buildpack-deps")


# -- the runtime's target, from the Dockerfile -------------------------------------------------------------


@dataclass
class Stage:
    base: str
    name: str | None
    platform: str | None
    labels: dict[str, str] = field(default_factory=dict)


def _logical_lines(text: str) -> list[str]:
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") and not current:
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def _substitute(value: str, args: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3)
        default = m.group(2)
        return args.get(name) or (default or "")

    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)", repl, value)


def _labels(rest: str) -> dict[str, str]:
    found = {}
    for m in re.finditer(r'"?([\w.\-/]+)"?\s*=\s*("(?:[^"\\]|\\.)*"|\S+)', rest):
        found[m.group(1)] = m.group(2).strip('"')
    return found


def parse_stages(dockerfile_text: str) -> list[Stage]:
    """The FROM stages of a Dockerfile (ARG defaults before the first FROM substituted) with their LABELs."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(dockerfile_text):
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "ARG" and not stages:
            arg, _, default = rest.strip().partition("=")
            args[arg.strip()] = default.strip().strip('"')
        elif word == "FROM":
            parts = _substitute(rest, args).split()
            platform = next((p.split("=", 1)[1] for p in parts if p.startswith("--platform=")), None)
            parts = [p for p in parts if not p.startswith("--")]
            if not parts:
                continue
            name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else None
            stages.append(Stage(parts[0], name, platform))
        elif word == "LABEL" and stages:
            stages[-1].labels.update(_labels(rest))
    return stages


def _arm64(stage: Stage) -> bool:
    return "arm64" in (stage.platform or "") or stage.base.startswith(("arm64v8/", "docker.io/arm64v8/"))


def _glibc_openssl(repo: str, tag: str) -> str | None:
    text = f"{repo}:{tag}"
    for name, ssl in _CODENAMES.items():
        if re.search(rf"\b{name}\b", text):
            return ssl
    m = re.search(r"debian(\d+)", text)
    if m:
        return _DEBIAN.get(m.group(1))
    if repo == "debian" and (m := re.match(r"(\d+)", tag)):
        return _DEBIAN.get(m.group(1))
    if repo == "ubuntu" and (m := re.match(r"(\d+\.\d+)", tag)):
        return _UBUNTU.get(m.group(1))
    if repo == "node" and (m := re.match(r"(\d+)", tag)) and int(m.group(1)) <= 16:
        return "1.1.x"  # node 16 and older default to bullseye / buster
    return None


def _from_image(ref: str, arm: bool) -> str | None:
    """The Prisma target for a well-known base image reference, or None."""
    last = ref.split("@")[0].split("/")[-1].lower()
    repo, _, tag = last.partition(":")
    tag = tag or "latest"
    if repo == "alpine" or "alpine" in tag or "musl" in tag or "musl" in repo:
        m = re.search(r"(?:^|alpine)(\d+)\.(\d+)", tag)
        if m and (int(m.group(1)), int(m.group(2))) < (3, 17):
            return "linux-musl-arm64-openssl-1.1.x" if arm else "linux-musl"
        return "linux-musl-arm64-openssl-3.0.x" if arm else MUSL_TARGET
    glibc = "linux-arm64-openssl-{}" if arm else "debian-openssl-{}"
    if repo in _GLIBC_IMAGES or "distroless" in ref or "debian" in repo:
        return glibc.format(_glibc_openssl(repo, tag) or "3.0.x")
    rhel = re.match(r"(ubi|rockylinux|almalinux|centos|fedora|amazonlinux|oraclelinux)(\d*)", repo)
    if rhel:
        m = re.search(r"(\d+)", rhel.group(2) or tag)
        major = int(m.group(1)) if m else 9
        if rhel.group(1) == "amazonlinux":
            return "rhel-openssl-3.0.x" if major >= 2022 else "rhel-openssl-1.0.x"
        if rhel.group(1) == "fedora":
            return "rhel-openssl-3.0.x"
        return {7: "rhel-openssl-1.0.x", 8: "rhel-openssl-1.1.x"}.get(major, "rhel-openssl-3.0.x")
    return None


def _runtime_chain(dockerfile_text: str, stage: str | None) -> list[Stage]:
    """The chosen stage (`stage`, else the final one) and the stages it builds on, nearest first."""
    stages = parse_stages(dockerfile_text)
    if not stages:
        return []
    by_name = {s.name.lower(): s for s in stages if s.name}
    if stage is not None:
        chosen = by_name.get(stage.lower())
        if chosen is None:
            known = ", ".join(s.name for s in stages if s.name) or "none named"
            raise ShipshapeError(f"the Dockerfile has no stage {stage!r} (stages: {known})", code="dockerfile-stage")
    else:
        chosen = stages[-1]
    chain, current, seen = [chosen], chosen, {id(chosen)}
    while current.base.lower() in by_name and id(by_name[current.base.lower()]) not in seen:
        current = by_name[current.base.lower()]
        seen.add(id(current))
        chain.append(current)
    return chain


def label_target(dockerfile_text: str, stage: str | None = None) -> str | None:
    """The target a runtime stage states with a LABEL (`org.shipshape.prisma-target`, or `org.shipshape.libc` with
    `org.shipshape.openssl`), on itself or a stage it builds on; None when none says it."""
    chain = _runtime_chain(dockerfile_text, stage)
    arm = any(_arm64(s) for s in chain)
    for s in chain:  # the stage's own labels first, then those it inherits
        if LABEL_TARGET in s.labels:
            return s.labels[LABEL_TARGET]
        libc = s.labels.get(LABEL_LIBC, "").lower()
        if libc in ("musl", "glibc"):
            ssl = s.labels.get(LABEL_OPENSSL, "3.0.x").removeprefix("openssl-")
            ssl = {"3": "3.0.x", "1.1": "1.1.x", "1.0": "1.0.x"}.get(ssl, ssl)
            if libc == "musl":
                return f"linux-musl-arm64-openssl-{ssl}" if arm else f"linux-musl-openssl-{ssl}"
            return f"linux-arm64-openssl-{ssl}" if arm else f"debian-openssl-{ssl}"
    return None


def runtime_base(dockerfile_text: str, stage: str | None = None) -> str | None:
    """The image the runtime stage is built on in the end (after following `FROM <stage>`), or None."""
    chain = _runtime_chain(dockerfile_text, stage)
    return chain[-1].base if chain else None


def runtime_target(dockerfile_text: str, stage: str | None = None) -> str | None:
    """The Prisma binary target that the final stage (or the stage named `stage`) runs on, from the Dockerfile's
    text alone, or None if unknown: a stage's LABEL wins, then the base image's well-known name.

    Raises ShipshapeError when `stage` names no stage of the Dockerfile.
    """
    chain = _runtime_chain(dockerfile_text, stage)
    if not chain:
        return None
    return label_target(dockerfile_text, stage) or _from_image(chain[-1].base, any(_arm64(s) for s in chain))


# -- the check ----------------------------------------------------------------------------------------------
