"""ELF inspection on real shared objects and executables built here with musl-gcc, gcc and patchelf."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.images.elf import check_engine, engine_fits_target, read_elf

pytestmark = pytest.mark.unit

MUSL = "linux-musl-openssl-3.0.x"
SOURCE = (
    '#include <stdio.h>\n#include <stdlib.h>\nint engine(int n) { char *p = malloc(n); printf("%p", p); return 0; }\n'
)
MAIN = "int main(void) { return 0; }\n"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (make env installs musl-tools, gcc and patchelf)")
    return path


def build(tmp: Path, name: str, compiler: str, *flags: str, needed: tuple[str, ...] = (), main: bool = False) -> Path:
    src = tmp / f"{name}.c"
    src.write_text(MAIN if main else SOURCE)
    out = tmp / name
    subprocess.run([_tool(compiler), *flags, "-o", str(out), str(src)], check=True, capture_output=True)
    for lib in needed:
        subprocess.run([_tool("patchelf"), "--add-needed", lib, str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def elves(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("elf")
    files = {
        "musl3": build(tmp, "libquery_engine-musl3.so.node", "musl-gcc", "-shared", "-fPIC", needed=("libssl.so.3",)),
        "musl11": build(tmp, "musl11.so", "musl-gcc", "-shared", "-fPIC", needed=("libssl.so.1.1",)),
        "glibc3": build(
            tmp, "glibc3.so", "gcc", "-shared", "-fPIC", "-Wl,-soname,libquery_engine.so", needed=("libssl.so.3",)
        ),
        "glibc_pie": build(tmp, "pie", "gcc", "-pie", "-fPIE", main=True),
        "glibc_exec": build(tmp, "exec", "gcc", "-no-pie", main=True),
        "musl_static": build(tmp, "static", "musl-gcc", "-static", main=True),
        "musl_exec": build(tmp, "query-engine", "musl-gcc", main=True, needed=("libssl.so.3",)),
        "alpine": build(tmp, "alpine.so", "musl-gcc", "-shared", "-fPIC", needed=("libcrypto.so.3",)),
    }
    # Alpine's own packages name musl's libc by its full soname.
    subprocess.run(
        [_tool("patchelf"), "--replace-needed", "libc.so", "libc.musl-x86_64.so.1", str(files["alpine"])],
        check=True,
        capture_output=True,
    )
    return {k: v.read_bytes() for k, v in files.items()}


def test_musl_engine_with_openssl3(elves: dict[str, bytes]) -> None:
    info = read_elf(elves["musl3"])
    assert (info.elf_class, info.machine, info.kind) == (64, "x86_64", "shared")
    assert info.interpreter is None
    assert "libssl.so.3" in info.needed and "libc.so" in info.needed
    assert (info.libc, info.openssl) == ("musl", "3")
    assert engine_fits_target(info, MUSL)[0] is True
    ok, why = engine_fits_target(info, "debian-openssl-3.0.x")
    assert not ok and "musl" in why


def test_openssl_11_engine_on_alpine_321_is_named(elves: dict[str, bytes]) -> None:
    info = read_elf(elves["musl11"])
    assert info.openssl == "1.1"
    ok, why = engine_fits_target(info, MUSL)
    assert not ok
    assert "libssl.so.1.1" in why and "6.0.1" in why and "apk add openssl" in why
    assert engine_fits_target(info, "linux-musl")[0] is True  # the OpenSSL 1.1 musl target


def test_glibc_engine_does_not_fit_musl(elves: dict[str, bytes]) -> None:
    info = read_elf(elves["glibc3"])
    assert (info.libc, info.openssl, info.kind, info.soname) == ("glibc", "3", "shared", "libquery_engine.so")
    assert "libc.so.6" in info.needed
    ok, why = engine_fits_target(info, MUSL)
    assert not ok and "glibc" in why and "binaryTargets" in why
    assert engine_fits_target(info, "debian-openssl-3.0.x")[0] is True
    ok, why = engine_fits_target(info, "linux-arm64-openssl-3.0.x")
    assert not ok and "aarch64" in why


def test_executables(elves: dict[str, bytes]) -> None:
    pie = read_elf(elves["glibc_pie"])
    assert pie.kind == "pie" and pie.libc == "glibc" and pie.interpreter and "ld-linux" in pie.interpreter
    assert read_elf(elves["glibc_exec"]).kind == "exec"
    static = read_elf(elves["musl_static"])
    assert (static.libc, static.interpreter, static.needed) == ("static", None, [])
    assert engine_fits_target(static, MUSL)[0] is True
    binary = read_elf(elves["musl_exec"])
    assert binary.libc == "musl" and binary.interpreter is not None and "ld-musl" in binary.interpreter
    assert binary.openssl == "3"


def test_alpine_style_needed_and_check_engine(elves: dict[str, bytes]) -> None:
    info = read_elf(elves["alpine"])
    assert "libc.musl-x86_64.so.1" in info.needed and "libc.so" not in info.needed
    assert (info.libc, info.openssl) == ("musl", "3")
    assert check_engine(elves["alpine"], MUSL)[0] is True
    ok, why, found = check_engine(b"version https://git-lfs.github.com/spec/v1\n", MUSL)
    assert (ok, found) == (False, None) and "not an ELF file" in why


@pytest.mark.parametrize("data", [b"", b"\x7fEL", b"MZ\x90\x00" * 20, b"#!/bin/sh\necho hi\n", bytes(64)])
def test_not_elf(data: bytes) -> None:
    with pytest.raises(ValueError, match="not an ELF file"):
        read_elf(data)


def test_truncated_files_raise_value_error(elves: dict[str, bytes]) -> None:
    data = elves["musl3"]
    for size in (16, 40, 63, 64, 100, 300):  # inside the ELF header or the program headers
        with pytest.raises(ValueError, match="truncated ELF"):
            read_elf(data[:size])


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_corrupted_bytes_never_crash(elves: dict[str, bytes], data: st.DataObject) -> None:
    original = bytearray(elves[data.draw(st.sampled_from(sorted(elves)))])
    # Corrupt the header and program headers, where offsets and counts live.
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(4, min(len(original), 512) - 1))
        original[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(original)))
    try:
        info = read_elf(bytes(original[:cut]))
    except ValueError:
        return
    assert info.elf_class in (32, 64) and info.kind in ("shared", "exec", "pie")
