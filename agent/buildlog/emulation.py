"""A crash in a step built for another platform (issue 12y): the emulator, not the program.

`docker buildx build --platform linux/arm64` on an amd64 builder runs the image's programs under QEMU; a program that
dies there with a signal (`Segmentation fault (core dumped)`, `Illegal instruction`, `Bus error`) is the platform
(platform-mismatch, the Platforms convention: qemu failing to run a foreign binary), whatever printed it. BuildKit names
the platform of such a step in its label (`[linux/arm/v7 builder 3/3] RUN ...`, `[linux/amd64->arm64 build 7/14]`).
Where the rules left the answer `unknown`, the log shows such a label (or a build command asking for several platforms)
and the failing step's region a crash by signal, the answer is platform-mismatch.
A crash in a step of the builder's own platform (no platform in the label) stays what the rules said.
"""

from __future__ import annotations

import re

from agent.buildlog.diagnosis import Diagnosis
from agent.buildlog.patterns import Knowledge
from agent.buildlog.scanner import ScanResult
from agent.buildlog.settle import settle

CATEGORY = "platform-mismatch"
CONFIDENCE = 0.75
# A BuildKit step label that names its platform: `[linux/arm64 2/5]`, `[linux/arm/v7 builder 3/3]`,
# `[linux/amd64->arm64 build 7/14]` (a progress header `#9 [...]`, a summary ` > [...] RUN x:`, `ERROR [...]`); or the
# build command asking for several platforms at once (`--platform linux/arm64,linux/amd64`: one is not the builder's).
PLATFORM_STEP = re.compile(
    r"\[(?:linux|windows)/[\w.]+(?:/[\w.]+)?(?:->[\w./]+)? [^\]]*\d+/\d+\]|--platform[= ]\S*(?:linux|windows)/\S*,"
)
CRASH = re.compile(
    r"\bSegmentation fault\b|\bSIGSEGV\b|\bIllegal instruction\b|\bBus error\b|\bSIGILL\b|\bSIGBUS\b|"
    r"signal (?:11|4|7)\b"
)


def emulated_crash(
    diagnosis: Diagnosis, scan: ScanResult, step: str | None, knowledge: Knowledge, region: list[str]
) -> None:
    """An `unknown` answer in a build for another platform whose failing region (structure.step_region) shows a crash
    by signal: platform-mismatch, resting on the crash line."""
    if diagnosis.root_cause != "unknown":
        return
    if PLATFORM_STEP.search(scan.tail.decode("utf-8", "replace")) is None:
        return
    crash = next((line for line in reversed(region) if CRASH.search(line)), None)
    if crash is None:
        return
    explanation = (
        "a program crashed with a signal in a step built for another platform: the CPU emulator (QEMU) could not run "
        "it, not the program's own fault."
    )
    settle(diagnosis, scan, step, knowledge, (CATEGORY, "emulated-crash", CONFIDENCE), crash.strip(), explanation)
