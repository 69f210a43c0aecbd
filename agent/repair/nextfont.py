"""next-font-local: stop next/font/google from downloading fonts at build time.

With font files (woff2/woff/ttf/otf) in the image's context: `next/font/local` pointing at the best-matching
file. Without: comment out the import and the loader call, as the original runbook did, and put a stand-in
object in its place that applies a system font stack (so `x.className` keeps working and `x.style` sets the
font family).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from agent.engines.files import FileEditor
from agent.project.config import ImageConfig
from agent.repair.buildcontext import find_files
from agent.repair.plan import Edit, Plan, finish, read_text

SOURCES = (".js", ".jsx", ".ts", ".tsx", ".mjs")
FONT_FILES = (".woff2", ".woff", ".ttf", ".otf")
IMPORT = re.compile(r"""^(\s*)import\s*\{([^}]*)\}\s*from\s*(['"])next/font/google\3;?[ \t]*$""", re.M)
SYSTEM_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


def _calls(text: str, loaders: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, variable) of each `const x = Loader({...});` statement, braces balanced."""
    out = []
    for match in re.finditer(r"^[ \t]*(?:export\s+)?(?:const|let|var)\s+(\w+)\s*=\s*(\w+)\s*\(", text, re.M):
        if match.group(2) not in loaders:
            continue
        depth, index = 1, match.end()
        while index < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[index], 0)
            index += 1
        end = index
        while end < len(text) and text[end] in " \t;":
            end += 1
        out.append((match.start(), end, match.group(1)))
    return out


def _loader_names(spec: str) -> list[str]:
    names = []
    for part in spec.split(","):
        part = part.strip()
        if part:
            names.append(part.split(" as ")[-1].strip())
    return names


def _best_font(family: str, fonts: list[Path]) -> Path:
    key = family.lower().replace("_", "").replace(" ", "")
    for font in fonts:
        if key and key in font.name.lower().replace("-", "").replace("_", ""):
            return font
    return sorted(fonts, key=lambda f: (FONT_FILES.index(f.suffix.lower()), len(f.parts)))[0]


def rewrite_local(text: str, source: Path, fonts: list[Path]) -> str:
    """next/font/google -> next/font/local with a font file from the repository."""
    match = IMPORT.search(text)
    if match is None:
        return text
    loaders = _loader_names(match.group(2))
    for start, end, variable in reversed(_calls(text, loaders)):
        loader = re.search(r"=\s*(\w+)\s*\(", text[start:end])
        font = _best_font(loader.group(1) if loader else "", fonts)
        rel = os.path.relpath(font, source.parent).replace(os.sep, "/")
        rel = rel if rel.startswith(".") else f"./{rel}"
        indent = text[start : len(text[start:]) - len(text[start:].lstrip(" \t")) + start]
        text = text[:start] + f'{indent}const {variable} = localFont({{ src: "{rel}", display: "swap" }});' + text[end:]
    quote = match.group(3)
    return IMPORT.sub(f"{match.group(1)}import localFont from {quote}next/font/local{quote};", text, count=1)


def rewrite_system_stack(text: str) -> str:
    """Comment out the next/font/google import and loader calls; a system font stack stands in."""
    match = IMPORT.search(text)
    if match is None:
        return text
    loaders = _loader_names(match.group(2))
    for start, end, variable in reversed(_calls(text, loaders)):
        commented = "\n".join(f"// {line}" for line in text[start:end].splitlines())
        stand_in = (
            f"// shipshape (next-font-fetch): Google Fonts cannot be fetched during the build; system font stack.\n"
            f'const {variable} = {{ className: "", variable: "", style: {{ fontFamily: \'{SYSTEM_STACK}\' }} }};'
        )
        text = text[:start] + commented + "\n" + stand_in + text[end:]
    text = IMPORT.sub(lambda m: f"{m.group(1)}// {m.group(0).strip()}", text, count=1)
    return re.sub(r"className=\{(\w+)\.className\}", r"className={\1.className} style={\1.style}", text)


def plan_next_font(image: ImageConfig, editor: FileEditor, description: str) -> Plan:
    """The edits for every source file of the image that imports next/font/google."""
    plan = Plan("next-font-local", description)
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in find_files(image.context, SOURCES, limit=500)}
    sources = [p for p, text in texts.items() if IMPORT.search(text)]
    if not sources:
        if not any("next/font/local" in t or "shipshape (next-font-fetch)" in t for t in texts.values()):
            plan.suggestion = f"no source file under {image.context} imports next/font/google"
        return plan  # without a suggestion: the fix is already in place
    fonts = find_files(image.context, FONT_FILES, limit=50)
    for source in sources:
        text = read_text(editor, source)
        if fonts:
            new = rewrite_local(text, source, fonts)
            reason = f"next/font/local with {fonts[0].name}"
        else:
            new = rewrite_system_stack(text)
            reason = "comment out next/font/google, system font stack"
        plan.edits.append(Edit(source, new, reason))
    if not fonts:
        plan.description += " (no font files in the context: commented out, system font stack)"
    return finish(plan, editor)
