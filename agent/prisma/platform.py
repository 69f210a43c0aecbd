"""The Prisma binary target an image needs, read from the image itself, decided the way Prisma 5/6 decides it.

Prisma's runtime (`@prisma/get-platform`) picks the engine file by: the distro family from /etc/os-release
(`ID=alpine` -> musl; debian/ubuntu or an ID_LIKE of them -> debian; the rhel family -> rhel; anything else -> the
debian engines), the machine (arm64 has its own names), and the libssl it finds: the first `libssl.so.*` in the
family's library folders, then the generic ones; none found -> a warning and "openssl-1.1.x". shipshape reads the
same files out of the image (nothing is run) and adds one fact Prisma does not check: the libc of the image's ELF
loader, so that a musl image whose os-release does not say alpine is reported, not silently mismatched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
MUSL_LOADERS = ("/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-aarch64.so.1")
GLIBC_LOADERS = ("/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1", "/lib/x86_64-linux-gnu/libc.so.6")
# Newest first: the first one present decides, as Prisma's folder scan usually finds only one.
LIBSSL_NAMES = ("libssl.so.3", "libssl.so.1.1", "libssl.so.1.0.2", "libssl.so.1.0.0", "libssl.so.10")
GENERIC_LIB_DIRS = ("/lib64", "/usr/lib64", "/lib", "/usr/lib")
_RHEL_IDS = ("rhel", "centos", "fedora", "rocky", "almalinux", "amzn", "ol")


class ImageFileProbe(Protocol):
    """What the derivation needs from an image: which paths exist, and a few small files' content."""

    def probe_files(self, ref: str, exists: list[str], read: list[str]) -> tuple[set[str], dict[str, bytes]]: ...


@dataclass
class ImagePlatform:
    """What an image's files say about the Prisma platform it needs."""

    target: str
    family: str  # musl, debian, rhel, unknown (Prisma uses the debian engines then)
    distro: str | None  # os-release ID
    libc: str  # musl, glibc, unknown: from the ELF loader present
    libssl: str | None  # "3.0.x", "1.1.x", "1.0.x", or None when none was found (Prisma then assumes 1.1.x)
    machine: str  # x86_64 or aarch64
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "family": self.family,
            "distro": self.distro,
            "libc": self.libc,
            "libssl": self.libssl,
            "machine": self.machine,
            "notes": self.notes,
        }


def _family(os_release: str) -> tuple[str, str | None]:
    """(family, ID) from os-release text, Prisma's way."""
    found_id = re.search(r'^ID="?([^"\n]*)"?$', os_release, re.M | re.I)
    found_like = re.search(r'^ID_LIKE="?([^"\n]*)"?$', os_release, re.M | re.I)
    distro = found_id.group(1).lower() if found_id else ""
    like = found_like.group(1).lower() if found_like else ""
    if distro == "alpine":
        return "musl", distro
    if distro in ("debian", "ubuntu", "raspbian") or "debian" in like or "ubuntu" in like or distro == "arch":
        return "debian", distro
    if distro in _RHEL_IDS or any(x in like for x in ("centos", "fedora", "rhel", "suse")):
        return "rhel", distro
    return "unknown", distro or None


def _lib_dirs(family: str, machine: str) -> list[str]:
    if family == "musl":
        return ["/lib", "/usr/lib"]
    if family in ("debian", "unknown"):
        return [f"/usr/lib/{machine}-linux-gnu", f"/lib/{machine}-linux-gnu"]
    if family == "rhel":
        return ["/lib64", "/usr/lib64"]
    return []


def _ssl_series(name: str) -> str | None:
    m = re.match(r"libssl\.so\.(\d)(\.\d)?", name)
    if not m:
        return None
    major, minor = m.group(1), (m.group(2) or ".0")
    series = f"{major}{minor}.x"
    if not series.startswith("1."):
        series = f"{major}.0.x"  # Prisma folds every 3.x into 3.0.x
    return series if series in ("1.0.x", "1.1.x", "3.0.x") else None


def probe_paths(machine: str = "x86_64") -> list[str]:
    """Every path whose existence the derivation looks at, for one `probe_files` round trip."""
    dirs = {d for fam in ("musl", "debian", "rhel") for d in _lib_dirs(fam, machine)} | set(GENERIC_LIB_DIRS)
    libs = [f"{d}/{name}" for d in sorted(dirs) for name in LIBSSL_NAMES]
    return [*MUSL_LOADERS, *GLIBC_LOADERS, *libs]


def derive_platform(os_release: str | None, present: set[str], machine: str = "x86_64") -> ImagePlatform:
    """The Prisma target for an image whose os-release text and present paths are given."""
    notes: list[str] = []
    family, distro = _family(os_release or "")
    if os_release is None:
        notes.append("no /etc/os-release in the image")
    musl = any(p in present for p in MUSL_LOADERS)
    glibc = any(p in present for p in GLIBC_LOADERS)
    libc = "musl" if musl and not glibc else "glibc" if glibc else "unknown"
    if libc == "musl" and family != "musl":
        notes.append(
            "the image's loader is musl but its os-release does not say alpine: Prisma will look for the "
            "debian engines, which cannot load on musl; the musl target is what can run here"
        )
        family = "musl"
    if family == "unknown":
        notes.append(f"distro {distro or 'unknown'}: Prisma falls back to the engines built for debian")
    libssl = None
    for folder in [*_lib_dirs(family, machine), *GENERIC_LIB_DIRS]:
        name = next((n for n in LIBSSL_NAMES if f"{folder}/{n}" in present), None)
        if name:
            libssl = _ssl_series(name)
            break
    series = libssl or "1.1.x"
    if libssl is None:
        notes.append(
            'no libssl in the image: Prisma warns "failed to detect the libssl/openssl version" and assumes '
            "openssl-1.1.x (install openssl in the image to have it use 3.0.x)"
        )
    arm = machine == "aarch64"
    if family == "musl":
        if arm:
            target = f"linux-musl-arm64-openssl-{series}"
        else:
            target = "linux-musl" if series == "1.1.x" else f"linux-musl-openssl-{series}"
    elif arm:
        target = f"linux-arm64-openssl-{series}"
    elif family == "rhel":
        target = f"rhel-openssl-{series}"
    else:
        target = f"debian-openssl-{series}"
    return ImagePlatform(target, family, distro, libc, libssl, machine, notes)


def machine_of(architecture: str | None) -> str:
    """Docker's `Architecture` (amd64, arm64) as the machine names Prisma and ELF use."""
    return {"arm64": "aarch64", "aarch64": "aarch64"}.get((architecture or "amd64").lower(), "x86_64")


def image_platform(probe: ImageFileProbe, ref: str, architecture: str | None = None) -> ImagePlatform:
    """Read `ref`'s os-release, loader and libssl (one container, never started) and derive its Prisma target."""
    machine = machine_of(architecture)
    present, texts = probe.probe_files(ref, probe_paths(machine), list(OS_RELEASE))
    raw = next((texts[p] for p in OS_RELEASE if p in texts), None)
    os_release = raw.decode("utf-8", "replace") if raw is not None else None
    return derive_platform(os_release, present, machine)
