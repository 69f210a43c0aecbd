"""Read and edit the generator blocks of a `schema.prisma` without disturbing anything else in the file.

The text is tokenised once (strings with escapes, `//` and `///` comments, brackets, newlines), so braces or
`binaryTargets` inside a string or a comment never confuse the parser. Edits are pure insertions at offsets
the parser found: every byte of the original survives, in order, and nothing outside the edited generator
moves. Offsets are indexes into the Python string (characters), lines are 1-based.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from agent.errors import ShipshapeError

BINARY_TARGETS = "binaryTargets"


class PrismaSchemaError(ShipshapeError):
    """A schema.prisma that cannot be read: an unclosed block or array, an unterminated string, ..."""

    def __init__(self, path: str, line: int, what: str, hint: str = "") -> None:
        super().__init__(
            f"{path}:{line}: {what}",
            hint or "fix schema.prisma (run 'npx prisma validate' to see Prisma's own message)",
            code="prisma-schema",
        )
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, comment, newline, punct, or the bracket / '=' / ',' character itself
    start: int
    end: int
    line: int
    text: str


@dataclass
class ArrayItem:
    value: str
    start: int
    end: int
    line: int


@dataclass
class GeneratorField:
    """One `key = value` line (or lines, for an array) of a generator block."""

    key: str
    line: int
    line_start: int  # offset of the first character of the key's line
    key_start: int
    eq_start: int
    value_start: int
    value_end: int
    kind: str  # "string", "env", "array", "raw"
    value: str | None = None  # decoded string, env variable name, or raw text
    items: list[ArrayItem] = field(default_factory=list)
    open_bracket: int = -1
    close_bracket: int = -1
    trailing_comma: int = -1  # offset of a comma after the last item, -1 when there is none


@dataclass
class Generator:
    """A `generator NAME { ... }` block. `start`/`end` span the block from its keyword to after its `}`."""

    name: str
    provider: str | None
    output: str | None
    engine_type: str | None
    binary_targets: list[str] | None
    start: int
    end: int
    line: int
    fields: dict[str, GeneratorField] = field(default_factory=dict)
    open_brace: int = -1
    close_brace: int = -1

    def env_name(self, key: str) -> str | None:
        """The variable name when `key = env("NAME")`, else None."""
        f = self.fields.get(key)
        return f.value if f is not None and f.kind == "env" else None

    @property
    def preview_features(self) -> list[str]:
        f = self.fields.get("previewFeatures")
        return [i.value for i in f.items] if f is not None and f.kind == "array" else []


def _decode_string(raw: str) -> str:
    try:
        return str(json.loads(raw))
    except ValueError:
        # Escapes JSON does not know (e.g. "\$"): keep the escaped character itself.
        body, out, i = raw[1:-1], [], 0
        while i < len(body):
            if body[i] == "\\" and i + 1 < len(body):
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(body[i + 1], body[i + 1]))
                i += 2
            else:
                out.append(body[i])
                i += 1
        return "".join(out)


def tokenize(text: str, path: str = "schema.prisma") -> list[Token]:
    """Split `text` into tokens; whitespace (spaces, tabs, the CR of CRLF) is dropped."""
    tokens: list[Token] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            tokens.append(Token("newline", i, i + 1, line, c))
            line += 1
            i += 1
        elif c in " \t\r\f\v\ufeff":
            i += 1
        elif c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            tokens.append(Token("comment", i, j, line, text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\n":
                    break
                j += 2 if text[j] == "\\" and j + 1 < n and text[j + 1] != "\n" else 1
            if j >= n or text[j] != '"':
                raise PrismaSchemaError(path, line, "unterminated string (a string must close on its line)")
            tokens.append(Token("string", i, j + 1, line, text[i : j + 1]))
            i = j + 1
        elif c.isalnum() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_-"):
                j += 1
            tokens.append(Token("ident", i, j, line, text[i:j]))
            i = j
        elif c in "{}[]()=,":
            tokens.append(Token(c, i, i + 1, line, c))
            i += 1
        else:
            tokens.append(Token("punct", i, i + 1, line, c))
            i += 1
    return tokens


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _parse_value(text: str, toks: list[Token], k: int, key: Token, path: str) -> tuple[GeneratorField, int]:
    """Parse the value starting at toks[k]; returns the field and the index after it."""
    first = toks[k]
    fld = GeneratorField(
        key=key.text,
        line=key.line,
        line_start=_line_start(text, key.start),
        key_start=key.start,
        eq_start=toks[k - 1].start,
        value_start=first.start,
        value_end=first.end,
        kind="raw",
    )
    if first.kind == "[":
        fld.kind, fld.open_bracket = "array", first.start
        k += 1
        while k < len(toks) and toks[k].kind != "]":
            t = toks[k]
            if t.kind in ("}", "{"):
                break
            if t.kind == "string":
                fld.items.append(ArrayItem(_decode_string(t.text), t.start, t.end, t.line))
                fld.trailing_comma = -1
            elif t.kind == "," and fld.items:
                fld.trailing_comma = t.start
            k += 1
        if k >= len(toks) or toks[k].kind != "]":
            raise PrismaSchemaError(path, first.line, f"the array of {key.text} is not closed with ']'")
        fld.close_bracket, fld.value_end = toks[k].start, toks[k].end
        return fld, k + 1
    if first.kind == "string":
        fld.kind, fld.value = "string", _decode_string(first.text)
        return fld, k + 1
    if (
        first.kind == "ident"
        and first.text == "env"
        and k + 3 < len(toks)
        and toks[k + 1].kind == "("
        and toks[k + 2].kind == "string"
        and toks[k + 3].kind == ")"
    ):
        fld.kind, fld.value, fld.value_end = "env", _decode_string(toks[k + 2].text), toks[k + 3].end
        return fld, k + 4
    # Anything else (true, a number): everything up to the end of the line.
    j = k
    while j < len(toks) and toks[j].kind not in ("newline", "comment", "}"):
        j += 1
    fld.value_end = toks[j - 1].end
    fld.value = text[fld.value_start : fld.value_end]
    return fld, j


def _parse_generator(
    text: str, toks: list[Token], name: str, start: int, line: int, lo: int, hi: int, path: str
) -> Generator:
    """Fields of the generator whose body is toks[lo:hi] (between its braces)."""
    fields: dict[str, GeneratorField] = {}
    k = lo
    while k < hi:
        t = toks[k]
        if t.kind in ("newline", "comment"):
            k += 1
            continue
        if t.kind != "ident" or k + 2 > hi or toks[k + 1].kind != "=":
            raise PrismaSchemaError(path, t.line, f"expected 'key = value' in generator {name}, found {t.text!r}")
        if k + 2 >= hi or toks[k + 2].kind in ("newline", "comment"):
            raise PrismaSchemaError(path, t.line, f"{t.text} in generator {name} has no value")
        fld, k = _parse_value(text, toks[:hi], k + 2, t, path)
        if fld.key in fields:
            raise PrismaSchemaError(path, t.line, f"{fld.key} appears twice in generator {name}")
        fields[fld.key] = fld
        if k < hi and toks[k].kind not in ("newline", "comment"):
            raise PrismaSchemaError(path, toks[k].line, f"unexpected {toks[k].text!r} after {fld.key}")

    def string(key: str) -> str | None:
        f = fields.get(key)
        return f.value if f is not None and f.kind in ("string", "raw") else None

    targets = fields.get(BINARY_TARGETS)
    return Generator(
        name=name,
        provider=string("provider"),
        output=string("output"),
        engine_type=string("engineType"),
        binary_targets=[i.value for i in targets.items] if targets and targets.kind == "array" else None,
        start=start,
        end=toks[hi].end,
        line=line,
        fields=fields,
        open_brace=toks[lo - 1].start,
        close_brace=toks[hi].start,
    )


def parse_generators(text: str, path: str = "schema.prisma") -> list[Generator]:
    """Every generator block of the schema, in file order. Other blocks are skipped (checked for balance).

    Raises PrismaSchemaError naming `path:line` for an unclosed block, array or string.
    """
    toks = tokenize(text, path)
    generators: list[Generator] = []
    header: list[Token] = []
    k = 0
    while k < len(toks):
        t = toks[k]
        if t.kind == "newline":
            header = []
        elif t.kind == "}":
            raise PrismaSchemaError(path, t.line, "'}' without a block to close")
        elif t.kind == "{":
            words = [h for h in header if h.kind == "ident"]
            opening = words[0] if words else t
            depth, j = 1, k + 1
            while j < len(toks) and depth:
                depth += {"{": 1, "}": -1}.get(toks[j].kind, 0)
                j += 1
            if depth:
                what = " ".join(w.text for w in words) or "block"
                raise PrismaSchemaError(path, opening.line, f"{what} is not closed: no matching '}}'")
            if len(words) >= 2 and words[0].text == "generator":
                generators.append(
                    _parse_generator(text, toks, words[1].text, opening.start, opening.line, k + 1, j - 1, path)
                )
            header, k = [], j
            continue
        elif t.kind != "comment":
            header.append(t)
        k += 1
    return generators


def find_generator(generators: list[Generator], name: str, path: str = "schema.prisma") -> Generator:
    for gen in generators:
        if gen.name == name:
            return gen
    known = ", ".join(g.name for g in generators) or "none"
    raise ShipshapeError(f"{path}: no generator named {name!r} (generators: {known})", code="prisma-schema")


def _newline(text: str, offset: int) -> str:
    end = text.find("\n", offset)
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def _line_end(text: str, offset: int) -> int:
    """Offset of the line break (CR of CRLF included) that ends the line holding `offset`."""
    end = text.find("\n", offset)
    if end < 0:
        return len(text)
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def _indent_to(text: str, offset: int) -> str:
    """Whitespace that reaches the column of `offset`, keeping the line's tabs."""
    start = _line_start(text, offset)
    return "".join(c if c == "\t" else " " for c in text[start:offset])


def _insert(text: str, edits: list[tuple[int, str]]) -> str:
    for offset, piece in sorted(edits, reverse=True):
        text = text[:offset] + piece + text[offset:]
    return text


def _add_to_array(text: str, fld: GeneratorField, quoted: str) -> str:
    if not fld.items:
        return _insert(text, [(fld.open_bracket + 1, f'"native", {quoted}')])
    last = fld.items[-1]
    close_line = text.count("\n", 0, fld.close_bracket) + 1
    if close_line == last.line:
        if fld.trailing_comma >= 0:
            return _insert(text, [(fld.trailing_comma + 1, f" {quoted}")])
        return _insert(text, [(last.end, f", {quoted}")])
    # One item per line (or a few): a new line with the last item's indentation, same comma style.
    edits = [] if fld.trailing_comma >= 0 else [(last.end, ",")]
    tail = "," if fld.trailing_comma >= 0 else ""
    nl = _newline(text, last.end)
    edits.append((_line_end(text, last.end), f"{nl}{_indent_to(text, last.start)}{quoted}{tail}"))
    return _insert(text, edits)


def _new_field(text: str, gen: Generator, target: str) -> str:
    value = f'["native", {json.dumps(target)}]'
    fields = sorted(gen.fields.values(), key=lambda f: f.key_start)
    nl = _newline(text, gen.open_brace)
    if not fields:
        return _insert(text, [(gen.open_brace + 1, f"{nl}  {BINARY_TARGETS} = {value}{nl}")])
    on_own_line = [f for f in fields if not text[f.line_start : f.key_start].strip()]
    model = on_own_line[-1] if on_own_line else fields[-1]
    indent = text[model.line_start : model.key_start] if on_own_line else "  "
    # `prisma format` aligns the `=` of a block; follow an alignment that leaves room for the new key.
    columns = {f.eq_start - f.line_start for f in on_own_line}
    padded = any(f.eq_start - f.key_start > len(f.key) + 1 for f in on_own_line)
    aligned = len(columns) == 1 and (len(on_own_line) > 1 or padded)
    width = columns.pop() - len(indent) if aligned else 0
    pad = " " * max(1, width - len(BINARY_TARGETS))
    after_eq = text[model.eq_start + 1 : model.value_start]
    after_eq = after_eq if after_eq and "\n" not in after_eq else " "
    line = f"{indent}{BINARY_TARGETS}{pad}={after_eq}{value}"
    last = fields[-1]
    if text.count("\n", 0, gen.close_brace) == text.count("\n", 0, last.value_end):
        # `}` on the same line as the last value: open a line before it and put `}` on its own line.
        return _insert(text, [(gen.close_brace, f"{nl}{line}{nl}")])
    return _insert(text, [(_line_end(text, last.value_end), f"{nl}{line}")])


def add_binary_target(text: str, generator: str, target: str, path: str = "schema.prisma") -> str:
    """`text` with `target` added to the binaryTargets of `generator`; unchanged when it is already there.

    Keeps `native` and every other byte: an existing array gets the target appended (inline, or on its own
    line for a multi-line array); a generator without binaryTargets gets `binaryTargets = ["native",
    "<target>"]` after its last field, with that field's indentation and the block's `=` alignment.
    """
    gen = find_generator(parse_generators(text, path), generator, path)
    fld = gen.fields.get(BINARY_TARGETS)
    quoted = json.dumps(target)
    if fld is None:
        return _new_field(text, gen, target)
    if fld.kind != "array":
        raise PrismaSchemaError(
            path,
            fld.line,
            f"binaryTargets of generator {generator} is not a list of strings",
            f'write it as binaryTargets = ["native", {quoted}]',
        )
    if target in (i.value for i in fld.items):
        return text
    return _add_to_array(text, fld, quoted)
