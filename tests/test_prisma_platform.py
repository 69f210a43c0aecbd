"""The Prisma platform an image needs, derived from its files the way Prisma 6 derives it at run time
(agent/prisma/platform.py): unit cases over os-release texts and present paths, and the real base images read
through the host daemon (glibc with and without OpenSSL, and musl)."""

from __future__ import annotations

import pytest

from agent.prisma.platform import derive_platform, probe_paths

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n'
UBUNTU = "NAME=Ubuntu\nID=ubuntu\nID_LIKE=debian\n"
ALPINE = "NAME=Alpine Linux\nID=alpine\nVERSION_ID=3.20.1\n"
UBI = 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\n'
MINT = "NAME=Linux Mint\nID=linuxmint\nID_LIKE=ubuntu\n"
GLIBC = "/lib64/ld-linux-x86-64.so.2"
MUSL = "/lib/ld-musl-x86_64.so.1"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("os_release", "present", "machine", "target"),
    [
        (DEBIAN, {GLIBC, "/usr/lib/x86_64-linux-gnu/libssl.so.3"}, "x86_64", "debian-openssl-3.0.x"),
        (DEBIAN, {GLIBC, "/usr/lib/x86_64-linux-gnu/libssl.so.1.1"}, "x86_64", "debian-openssl-1.1.x"),
        (DEBIAN, {GLIBC}, "x86_64", "debian-openssl-1.1.x"),  # no libssl: Prisma's warning and 1.1.x
        (UBUNTU, {GLIBC, "/lib/x86_64-linux-gnu/libssl.so.3"}, "x86_64", "debian-openssl-3.0.x"),
        (MINT, {GLIBC, "/usr/lib/x86_64-linux-gnu/libssl.so.3"}, "x86_64", "debian-openssl-3.0.x"),
        (ALPINE, {MUSL, "/lib/libssl.so.3"}, "x86_64", "linux-musl-openssl-3.0.x"),
        (ALPINE, {MUSL, "/lib/libssl.so.1.1"}, "x86_64", "linux-musl"),
        (ALPINE, {"/lib/ld-musl-aarch64.so.1", "/lib/libssl.so.3"}, "aarch64", "linux-musl-arm64-openssl-3.0.x"),
        (UBI, {GLIBC, "/usr/lib64/libssl.so.3"}, "x86_64", "rhel-openssl-3.0.x"),
        (UBI, {GLIBC, "/usr/lib64/libssl.so.10"}, "x86_64", "rhel-openssl-1.0.x"),
        (
            DEBIAN,
            {"/lib/ld-linux-aarch64.so.1", "/usr/lib/aarch64-linux-gnu/libssl.so.3"},
            "aarch64",
            "linux-arm64-openssl-3.0.x",
        ),
    ],
)
def test_targets_follow_prisma_rules(os_release: str, present: set[str], machine: str, target: str) -> None:
    assert set(present) - {MUSL, GLIBC, "/lib/ld-musl-aarch64.so.1", "/lib/ld-linux-aarch64.so.1"} <= set(
        probe_paths(machine)
    )  # every path the cases rely on is one the probe asks the image about
    assert derive_platform(os_release, present, machine).target == target


@pytest.mark.unit
def test_no_libssl_and_musl_without_alpine_are_said_not_hidden() -> None:
    slim = derive_platform(DEBIAN, {GLIBC}, "x86_64")
    assert slim.libssl is None and any("failed to detect the libssl" in n for n in slim.notes)
    busybox = derive_platform(None, {MUSL}, "x86_64")
    assert busybox.libc == "musl" and busybox.target == "linux-musl"
    assert any("does not say alpine" in n for n in busybox.notes)
    assert any("no /etc/os-release" in n for n in busybox.notes)
    unknown = derive_platform("ID=plan9\n", {GLIBC, "/usr/lib/x86_64-linux-gnu/libssl.so.3"}, "x86_64")
    assert unknown.target == "debian-openssl-3.0.x" and any("falls back" in n for n in unknown.notes)


@pytest.mark.docker
@pytest.mark.parametrize(
    ("image", "target", "libc", "libssl"),
    [
        ("shipshape/node:22-bookworm", "debian-openssl-3.0.x", "glibc", "3.0.x"),
        ("shipshape/node:22-bookworm-slim", "debian-openssl-1.1.x", "glibc", None),
        ("shipshape/busybox:1.35", "linux-musl", "musl", None),
    ],
)
def test_real_base_images(host_docker: str, image: str, target: str, libc: str, libssl: str | None) -> None:
    from agent.engines.docker import DockerEngine
    from agent.prisma.platform import image_platform

    found = image_platform(DockerEngine(host_docker), image)
    assert (found.target, found.libc, found.libssl) == (target, libc, libssl)


@pytest.mark.docker
def test_a_musl_image_with_openssl_3_needs_the_seed_target(host_docker: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The seed's Alpine story: a musl image (busybox base, musl's loader) with a libssl.so.3 and an os-release that
    says alpine needs linux-musl-openssl-3.0.x. The libssl here is an empty file named as Alpine names it: only its
    name is read, by Prisma and by shipshape."""
    import subprocess
    import uuid

    from agent.engines.docker import DockerEngine
    from agent.prisma.platform import image_platform

    (tmp_path / "Dockerfile").write_text(
        "FROM shipshape/busybox:1.35\n"
        "RUN mkdir -p /usr/lib && touch /usr/lib/libssl.so.3 \\\n"
        " && printf 'ID=alpine\\nVERSION_ID=3.20.0\\n' > /etc/os-release\n"
    )
    ref = f"shipshape-test-musl:{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "-H", host_docker, "build", "-q", "-t", ref, str(tmp_path)],
        check=True,
        capture_output=True,
        env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    try:
        found = image_platform(DockerEngine(host_docker), ref)
        assert (found.target, found.libc, found.family) == ("linux-musl-openssl-3.0.x", "musl", "musl")
        assert not found.notes
    finally:
        subprocess.run(["docker", "-H", host_docker, "rmi", "-f", ref], capture_output=True, check=False)
