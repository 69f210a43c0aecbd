"""schema.prisma parsing and the binaryTargets edit: property-based over generated schemas, plus the cases a user
sees (the exact text a fix produces, the line an error names)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.prisma.schema import PrismaSchemaError, add_binary_target, parse_generators

pytestmark = pytest.mark.unit

MUSL = "linux-musl-openssl-3.0.x"
TARGETS = [
    "native",
    "debian-openssl-3.0.x",
    "debian-openssl-1.1.x",
    "linux-arm64-openssl-3.0.x",
    MUSL,
    "rhel-openssl-3.0.x",
]

spaces = st.sampled_from(["", " ", "  ", "\t", " \t "])
indents = st.sampled_from(["  ", "    ", "\t", " \t"])
comments = st.sampled_from(
    ["// a comment", "/// doc { with } braces", '// binaryTargets = ["x"]', "//", "// generator fake {"]
)
tricky_strings = st.sampled_from(["postgresql", "a { b } c", 'quote \\" inside', "back\\\\slash", "{", "}"])


@st.composite
def target_array(draw: st.DrawFn, ind: str) -> str:
    items = draw(st.lists(st.sampled_from(TARGETS), unique=True, max_size=4))
    quoted = [json.dumps(t) for t in items]
    if not quoted or draw(st.booleans()):
        sep = draw(st.sampled_from([", ", ",", " , "]))
        trailing = "," if quoted and draw(st.booleans()) else ""
        return "[" + draw(spaces) + sep.join(quoted) + trailing + draw(spaces) + "]"
    inner = ind + draw(indents)
    trailing = draw(st.booleans())
    lines = []
    for i, q in enumerate(quoted):
        comma = "," if i < len(quoted) - 1 or trailing else ""
        note = " " + draw(comments) if draw(st.booleans()) else ""
        lines.append(f"{inner}{q}{comma}{note}")
    return "[\n" + "\n".join(lines) + "\n" + ind + "]"


@st.composite
def generator_block(draw: st.DrawFn, name: str, provider: str) -> str:
    ind = draw(indents)
    fields: list[tuple[str, str]] = [("provider", json.dumps(provider))]
    if draw(st.booleans()):
        fields.append(("output", json.dumps(draw(st.sampled_from(["../gen/client", "./{x}", "a // b"])))))
    if draw(st.booleans()):
        fields.append(("binaryTargets", draw(target_array(ind))))
    if draw(st.booleans()):
        fields.append(("previewFeatures", '["driverAdapters"]'))
    if draw(st.booleans()):
        fields.append(("engineType", json.dumps(draw(st.sampled_from(["library", "binary"])))))
    order = draw(st.permutations(fields))
    width = max(len(k) for k, _ in order) if draw(st.booleans()) else 0
    lines = [f"generator {name}{draw(spaces) or ' '}{{" + (" " + draw(comments) if draw(st.booleans()) else "")]
    for key, value in order:
        if draw(st.integers(0, 3)) == 0:
            lines.append(ind + draw(comments))
        pad = " " * (width - len(key) + 1) if width else draw(st.sampled_from([" ", "\t", "  "]))
        note = " " + draw(comments) if draw(st.integers(0, 3)) == 0 and "\n" not in value else ""
        lines.append(f"{ind}{key}{pad}={draw(st.sampled_from([' ', '  ', chr(9)]))}{value}{note}")
    lines.append("}")
    return "\n".join(lines)


@st.composite
def other_block(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["datasource", "model", "enum"]))
    if kind == "datasource":
        return f'datasource db {{\n  provider = "{draw(tricky_strings)}"\n  url      = env("DATABASE_URL")\n}}'
    if kind == "enum":
        return "enum Role {\n  USER // {\n  ADMIN\n}"
    return (
        "model Post {\n  id    Int    @id @default(autoincrement())\n"
        f'  title String @default("{draw(tricky_strings)}") // }}\n  tags  String[]\n  @@index([title])\n}}'
    )


@st.composite
def schemas(draw: st.DrawFn) -> str:
    blocks = [draw(generator_block("client", "prisma-client-js"))]
    for i in range(draw(st.integers(0, 2))):
        blocks.append(draw(generator_block(f"extra{i}", draw(st.sampled_from(["zod-prisma", "prisma-dbml"])))))
    blocks += draw(st.lists(other_block(), max_size=3))
    blocks = draw(st.permutations(blocks))
    parts = []
    for block in blocks:
        if draw(st.booleans()):
            parts.append(draw(comments))
        parts.append(block)
        parts.append("\n" * draw(st.integers(0, 2)))
    text = "\n".join(parts) + ("\n" if draw(st.booleans()) else "")
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


def lines_in_order(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(line == candidate for candidate in it) for line in needles)


def is_subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(ch in it for ch in small)


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(schemas(), st.sampled_from([MUSL, "linux-musl-arm64-openssl-3.0.x", "debian-openssl-3.0.x"]))
def test_fix_is_idempotent_keeps_every_line_and_touches_only_its_generator(text: str, target: str) -> None:
    before = {g.name: g for g in parse_generators(text)}
    client = before["client"]
    fixed = add_binary_target(text, "client", target)
    assert add_binary_target(fixed, "client", target) == fixed

    # A pure insertion: every character of the original survives, in order.
    assert is_subsequence(text, fixed)
    # Every line outside the edited field is there, unchanged and in order.
    field = client.fields.get("binaryTargets")
    edited = set(range(field.line, text.count("\n", 0, field.value_end) + 2)) if field else set()
    kept = [line for n, line in enumerate(text.split("\n"), 1) if n not in edited]
    assert lines_in_order(kept, fixed.split("\n"))
    # Bytes before and after the client generator are untouched.
    tail = len(text) - client.end
    assert fixed[: client.start] == text[: client.start]
    assert fixed[len(fixed) - tail :] == text[client.end :]

    after = {g.name: g for g in parse_generators(fixed)}
    targets = after["client"].binary_targets or []
    old_targets = client.binary_targets
    assert target in targets
    if old_targets is None:
        assert targets == ["native", target]
    else:
        assert targets[: len(old_targets)] == old_targets  # "native" and the rest kept, in order
    for name, gen in before.items():
        if name != "client":
            assert (after[name].provider, after[name].binary_targets) == (gen.provider, gen.binary_targets)
    if "\r\n" in text:
        assert "\n" not in fixed.replace("\r\n", "")  # no bare LF slipped into a CRLF file


@PROPERTY
@given(schemas())
def test_unclosed_generator_names_its_line(text: str) -> None:
    client = next(g for g in parse_generators(text) if g.name == "client")
    broken = text[: client.end - 1] + text[client.end :]  # drop the generator's closing brace
    with pytest.raises(PrismaSchemaError) as err:
        parse_generators(broken, "prisma/schema.prisma")
    assert err.value.message.startswith(f"prisma/schema.prisma:{client.line}: generator client is not closed")


@PROPERTY
@given(schemas())
def test_unterminated_string_names_its_line(text: str) -> None:
    client = next(g for g in parse_generators(text) if g.name == "client")
    provider = client.fields["provider"]
    broken = text[: provider.value_end - 1] + text[provider.value_end :]  # drop the closing quote
    with pytest.raises(PrismaSchemaError) as err:
        parse_generators(broken)
    assert err.value.line == provider.line
    assert "unterminated string" in err.value.message


def test_adds_field_aligned_with_the_block() -> None:
    text = 'generator client {\n  provider      = "prisma-client-js"\n  output        = "../gen"\n}\n'
    assert add_binary_target(text, "client", MUSL) == (
        'generator client {\n  provider      = "prisma-client-js"\n  output        = "../gen"\n'
        f'  binaryTargets = ["native", "{MUSL}"]\n}}\n'
    )
    plain = 'generator client {\n\tprovider = "prisma-client-js" // js\n}\n'
    assert add_binary_target(plain, "client", MUSL) == (
        f'generator client {{\n\tprovider = "prisma-client-js" // js\n\tbinaryTargets = ["native", "{MUSL}"]\n}}\n'
    )


def test_appends_to_multiline_array_with_comments() -> None:
    text = (
        'generator client {\n  provider = "prisma-client-js"\n  binaryTargets = [\n    "native", // dev\n'
        '    "debian-openssl-3.0.x" // ci\n  ]\n}\n'
    )
    assert add_binary_target(text, "client", MUSL) == (
        'generator client {\n  provider = "prisma-client-js"\n  binaryTargets = [\n    "native", // dev\n'
        f'    "debian-openssl-3.0.x", // ci\n    "{MUSL}"\n  ]\n}}\n'
    )


def test_reads_env_values_strings_and_ignores_other_blocks() -> None:
    text = (
        '// generator fake {\nmodel A {\n  s String @default("generator x { }")\n}\n'
        'generator   client\t{\r\n  provider = env("GEN")\r\n  output = "a \\" {b}"\r\n'
        '  binaryTargets = ["native",\r\n "rhel-openssl-3.0.x"]\r\n}\r\n'
    )
    (gen,) = parse_generators(text)
    assert gen.name == "client" and gen.line == 5
    assert gen.provider is None and gen.env_name("provider") == "GEN"
    assert gen.output == 'a " {b}'
    assert gen.binary_targets == ["native", "rhel-openssl-3.0.x"]
    assert text[gen.start : gen.end].startswith("generator") and text[gen.start : gen.end].endswith("}")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('generator client {\n  provider = "prisma-client-js"\n', 1, "not closed"),
        ('model A {\n  id Int\n}\n\ngenerator client {\n  provider = "x"\n\n', 5, "not closed"),
        ('generator client {\n  provider = "prisma-client-js\n}\n', 2, "unterminated string"),
        ('generator client {\n  binaryTargets = ["native"\n}\n', 2, "not closed with ']'"),
        ('generator client {\n  provider "prisma-client-js"\n}\n', 2, "key = value"),
        ("model A {\n}\n}\n", 3, "without a block"),
        ('generator c {\n  provider = "a"\n  provider = "b"\n}\n', 3, "twice"),
    ],
)
def test_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PrismaSchemaError) as err:
        parse_generators(text, "schema.prisma")
    assert err.value.line == line
    assert err.value.message.startswith(f"schema.prisma:{line}: ")
    assert words in err.value.message


def test_unknown_generator_and_non_list_targets_are_errors() -> None:
    text = 'generator client {\n  provider = "prisma-client-js"\n  binaryTargets = env("T")\n}\n'
    with pytest.raises(PrismaSchemaError, match="not a list"):
        add_binary_target(text, "client", MUSL)
    with pytest.raises(Exception, match="no generator named 'db'"):
        add_binary_target(text, "db", MUSL)


FRAGMENTS = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\t",
        " ",
        'provider = "x"\n',
        "binaryTargets = ",
        "output = ",
        " = ",
        "=",
        '"native"',
        '"a\\"',
        "[",
        "]",
        ",",
        "// c {",
        'env("A")',
        "(",
        "x",
        '"',
        "{",
        "}",
        "generator g {",
        "model M {",
        "\n}\n",
    ]
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(FRAGMENTS, max_size=8).map("".join),
    st.lists(FRAGMENTS, max_size=20).map("".join),
    st.lists(FRAGMENTS, max_size=8).map("".join),
)
def test_garbage_gives_a_schema_error_or_generators_never_a_crash(pre: str, body: str, post: str) -> None:
    text = f"{pre}\ngenerator client {{\n{body}\n}}\n{post}"
    try:
        generators = parse_generators(text)
    except PrismaSchemaError as err:
        assert 1 <= err.line <= text.count("\n") + 1
        return
    for gen in generators:
        assert text[gen.start : gen.end].startswith("generator") and text[gen.end - 1] == "}"
        try:
            fixed = add_binary_target(text, gen.name, MUSL)
        except PrismaSchemaError:
            continue  # e.g. binaryTargets that is not a list: refused, not mangled
        assert is_subsequence(text, fixed)
        assert add_binary_target(fixed, gen.name, MUSL) == fixed
