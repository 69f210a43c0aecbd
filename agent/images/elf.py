"""Read what an ELF file needs to run (class, machine, loader, NEEDED libraries) from its bytes alone.

Nothing is executed and nothing is trusted: every offset is bounds-checked, so truncated or hostile input
gives `ValueError`, never an exception from deep inside `struct` or an endless loop. Used to tell whether a
Prisma query engine found in an image can load there: musl vs glibc, libssl.so.3 vs libssl.so.1.1, x86_64 vs
aarch64.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Literal

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_SONAME, DT_FLAGS_1 = 0, 1, 5, 10, 14, 0x6FFFFFFB
DF_1_PIE = 0x08000000
MAX_STRING = 4096

MACHINES = {
    3: "i386",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390x",
    40: "arm",
    62: "x86_64",
    183: "aarch64",
    243: "riscv64",
    258: "loongarch64",
}

Libc = Literal["musl", "glibc", "static", "unknown"]
OpenSSL = Literal["3", "1.1", "1.0"]


@dataclass
class ElfInfo:
    elf_class: int  # 32 or 64
    machine: str
    kind: str  # "shared", "exec", "pie"
    interpreter: str | None
    needed: list[str] = field(default_factory=list)
    soname: str | None = None
    libc: Libc = "unknown"
    openssl: OpenSSL | None = None


class _Reader:
    def __init__(self, data: bytes, endian: str, is64: bool) -> None:
        self.data, self.endian, self.is64 = data, endian, is64

    def unpack(self, fmt: str, offset: int) -> tuple[int, ...]:
        size = struct.calcsize(self.endian + fmt)
        if offset < 0 or offset + size > len(self.data):
            raise ValueError(f"truncated ELF file: {size} bytes at offset {offset} are past its end")
        return struct.unpack_from(self.endian + fmt, self.data, offset)

    def cstring(self, offset: int, limit: int = MAX_STRING) -> str:
        if offset < 0 or offset >= len(self.data):
            raise ValueError(f"truncated ELF file: string at offset {offset} is past its end")
        end = self.data.find(b"\0", offset, min(len(self.data), offset + limit))
        if end < 0:
            raise ValueError(f"malformed ELF file: unterminated string at offset {offset}")
        return self.data[offset:end].decode("utf-8", errors="replace")


def _openssl_of(needed: list[str]) -> OpenSSL | None:
    for lib in needed:
        if lib.startswith(("libssl.so.3", "libcrypto.so.3")):
            return "3"
        if lib.startswith(("libssl.so.1.1", "libcrypto.so.1.1")):
            return "1.1"
        if lib.startswith(("libssl.so.1.0", "libcrypto.so.1.0", "libssl.so.10", "libcrypto.so.10")):
            return "1.0"
    return None


def _libc_of(interpreter: str | None, needed: list[str], kind: str, dynamic: bool) -> Libc:
    if interpreter:
        if "ld-musl" in interpreter:
            return "musl"
        if "ld-linux" in interpreter or "ld64.so" in interpreter:
            return "glibc"
    for lib in needed:
        if lib.startswith("libc.musl-") or lib == "libc.so":
            return "musl"
        if lib == "libc.so.6":
            return "glibc"
    if kind != "shared" and interpreter is None and not needed:
        return "static"
    return "unknown"


def read_elf(data: bytes) -> ElfInfo:
    """Parse the ELF header, program headers and dynamic section of `data`.

    Raises ValueError("not an ELF file") for other content and a ValueError naming the problem for a truncated
    or malformed file.
    """
    if len(data) < 16 or data[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    if data[4] not in (1, 2) or data[5] not in (1, 2):
        raise ValueError("malformed ELF file: unknown class or byte order")
    is64 = data[4] == 2
    r = _Reader(data, "<" if data[5] == 1 else ">", is64)
    addr = "Q" if is64 else "I"
    e_type, e_machine = r.unpack("HH", 16)
    phoff = r.unpack(addr, 32 if is64 else 28)[0]
    phentsize, phnum = r.unpack("HH", 54 if is64 else 42)
    ph_fmt = "IIQQQQQQ" if is64 else "IIIIIIII"
    if phnum and phentsize < struct.calcsize(r.endian + ph_fmt):
        raise ValueError("malformed ELF file: program header entries are too small")
    interpreter: str | None = None
    loads: list[tuple[int, int, int]] = []  # (vaddr, file offset, file size)
    dynamic: tuple[int, int] | None = None
    for i in range(phnum):
        fields = r.unpack(ph_fmt, phoff + i * phentsize)
        if is64:
            p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = fields[:6]
        else:
            p_type, p_offset, p_vaddr, _paddr, p_filesz = fields[:5]
        if p_type == PT_INTERP:
            interpreter = r.cstring(p_offset, min(p_filesz, MAX_STRING) or 1)
        elif p_type == PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    needed_offsets: list[int] = []
    soname_offset: int | None = None
    strtab: int | None = None
    flags_1 = 0
    if dynamic is not None:
        entry = 16 if is64 else 8
        offset, size = dynamic
        for k in range(min(size // entry, 1 << 16)):
            tag, value = r.unpack("qQ" if is64 else "iI", offset + k * entry)
            if tag == DT_NULL:
                break
            if tag == DT_NEEDED:
                needed_offsets.append(value)
            elif tag == DT_SONAME:
                soname_offset = value
            elif tag == DT_STRTAB:
                strtab = value
            elif tag == DT_FLAGS_1:
                flags_1 = value
    needed: list[str] = []
    soname: str | None = None
    if needed_offsets or soname_offset is not None:
        # DT_STRTAB is an address in memory; the PT_LOAD segment that maps it gives its place in the file.
        base = None
        for vaddr, foff, fsize in loads:
            if strtab is not None and vaddr <= strtab < vaddr + fsize:
                base = strtab - vaddr + foff
                break
        if base is None:
            raise ValueError("malformed ELF file: the dynamic string table is not in any loaded segment")
        needed = [r.cstring(base + o) for o in needed_offsets]
        soname = r.cstring(base + soname_offset) if soname_offset is not None else None
    if e_type == 2:
        kind = "exec"
    elif e_type == 3:
        pie = bool(flags_1 & DF_1_PIE) or (interpreter is not None and soname is None)
        kind = "pie" if pie else "shared"
    else:
        raise ValueError(f"ELF file of type {e_type} is neither an executable nor a shared object")
    return ElfInfo(
        elf_class=64 if is64 else 32,
        machine=MACHINES.get(e_machine, f"machine-{e_machine}"),
        kind=kind,
        interpreter=interpreter,
        needed=needed,
        soname=soname,
        libc=_libc_of(interpreter, needed, kind, dynamic is not None),
        openssl=_openssl_of(needed),
    )


def target_needs(target: str) -> tuple[str, Libc, OpenSSL | None]:
    """(machine, libc, openssl) that a Prisma binary target runs on, e.g. linux-musl-openssl-3.0.x ->
    (x86_64, musl, 3). `linux-musl` without an OpenSSL suffix is the OpenSSL 1.1 musl build."""
    machine = "aarch64" if "arm64" in target else ("arm" if "linux-arm-" in target else "x86_64")
    libc: Libc = "musl" if "musl" in target else "glibc"
    openssl: OpenSSL | None = None
    for suffix, version in (("openssl-3.0.x", "3"), ("openssl-1.1.x", "1.1"), ("openssl-1.0.x", "1.0")):
        if target.endswith(suffix):
            openssl = version  # type: ignore[assignment]
    if target in ("linux-musl", "linux-musl-arm64"):
        openssl = "1.1"
    return machine, libc, openssl


def engine_fits_target(info: ElfInfo, target: str) -> tuple[bool, str]:
    """Whether an engine with these ELF facts can load on the runtime that `target` names, and why (not)."""
    machine, libc, openssl = target_needs(target)
    if info.machine != machine:
        return False, f"the engine is built for {info.machine}, but {target} runs on {machine}"
    if info.libc in ("musl", "glibc") and info.libc != libc:
        via = info.interpreter or ", ".join(info.needed) or "its dynamic section"
        runs = "musl (Alpine)" if libc == "musl" else "glibc (Debian, Ubuntu, RHEL)"
        return False, (
            f"the engine links against {info.libc} ({via}), but {target} runs on {runs}: "
            f"generate the engine for {target} (add it to binaryTargets and run 'prisma generate')"
        )
    if openssl is not None and info.openssl is not None and info.openssl != openssl:
        lib = next((n for n in info.needed if n.startswith("libssl")), f"libssl {info.openssl}")
        hint = ""
        if info.openssl == "1.1" and openssl == "3":
            hint = (
                "; this is the Prisma <= 6.0.1 on Alpine 3.21 failure ('Error loading shared library "
                "libssl.so.1.1'): apk add openssl / upgrade Prisma to >= 6.1.0 and regenerate"
            )
        return False, f"the engine needs {lib}, but {target} provides OpenSSL {openssl}{hint}"
    detail = f"{info.machine}, {info.libc}" + (f", OpenSSL {info.openssl}" if info.openssl else "")
    if info.libc == "unknown":
        return True, f"no libc dependency recorded in the engine ({detail}); cannot rule out {target}"
    return True, f"the engine fits {target} ({detail})"


def check_engine(data: bytes, target: str) -> tuple[bool, str, ElfInfo | None]:
    """Read an engine file's bytes and say whether it can load on `target`; never raises for bad content."""
    try:
        info = read_elf(data)
    except ValueError as exc:
        return False, f"the engine file is unusable: {exc}", None
    ok, why = engine_fits_target(info, target)
    return ok, why, info
