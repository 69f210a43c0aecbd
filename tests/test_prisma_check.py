"""Version detection, the check's decision table, the fix through FileEditor (backup, undo, dry run), the
runtime target from a Dockerfile, and the two registered tools on a real project directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.engines.files import FileEditor
from agent.errors import ShipshapeError
from agent.prisma.check import check_prisma, fix_prisma
from agent.prisma.runtime import MUSL_TARGET, runtime_target
from agent.prisma.schema import PrismaSchemaError
from agent.prisma.version import detect_prisma_version, minimum_of_range

pytestmark = pytest.mark.unit

SCHEMA = """// The todo app's schema
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

generator client {
  provider = "prisma-client-js"{extra}
}

model Todo {
  id    Int     @id @default(autoincrement())
  title String  @default("{ not a block }")
}
"""


def app(tmp: Path, version: str | None = "^5.22.0", extra: str = "", crlf: bool = False) -> Path:
    """A package directory with package.json and prisma/schema.prisma; returns the schema path."""
    (tmp / "prisma").mkdir(parents=True, exist_ok=True)
    if version is not None:
        (tmp / "package.json").write_text(json.dumps({"dependencies": {"@prisma/client": version}}))
    text = SCHEMA.replace("{extra}", extra)
    schema = tmp / "prisma" / "schema.prisma"
    schema.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode())
    return schema


# -- version detection --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "low"),
    [
        ("^5.22.0", (5, 22, 0)),
        ("~6.1", (6, 1, 0)),
        ("5.x", (5, 0, 0)),
        (">=5.3 <7", (5, 3, 0)),
        (">5.0.0", (5, 0, 1)),
        ("^6.2.0 || ^5.1.0", (5, 1, 0)),
        ("6.16.2", (6, 16, 2)),
        ("latest", None),
        ("*", None),
    ],
)
def test_minimum_of_range(spec: str, low: tuple[int, int, int] | None) -> None:
    assert minimum_of_range(spec) == low


def test_lockfiles_win_over_package_json(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"devDependencies": {"prisma": "^5.0.0"}}))
    assert str(detect_prisma_version(tmp_path)) == "5.0.0"
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {},
            "node_modules/@prisma/client": {"version": "5.22.0"},
            "node_modules/prisma": {"version": "5.21.1"},
        },
    }
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    found = detect_prisma_version(tmp_path)
    assert found is not None
    assert (str(found), found.source, found.package) == ("5.22.0", "package-lock.json", "@prisma/client")


def test_package_lock_v1(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_text(
        json.dumps({"lockfileVersion": 1, "dependencies": {"prisma": {"version": "4.16.2"}}})
    )
    assert str(detect_prisma_version(tmp_path)) == "4.16.2"


def test_pnpm_lock_v9_and_v5(tmp_path: Path) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(
        "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      '@prisma/client':\n"
        "        specifier: ^6.1.0\n        version: 6.1.0(prisma@6.1.0)\npackages:\n  prisma@6.1.0:\n"
        "    resolution: {integrity: sha512-x}\n"
    )
    found = detect_prisma_version(tmp_path)
    assert found is not None and (str(found), found.source) == ("6.1.0", "pnpm-lock.yaml")
    (tmp_path / "pnpm-lock.yaml").write_text(
        "lockfileVersion: 5.4\nspecifiers:\n  prisma: ^5.1.0\npackages:\n  /prisma/5.1.1:\n    dev: true\n"
    )
    assert str(detect_prisma_version(tmp_path)) == "5.1.1"


def test_yarn_v1_and_berry(tmp_path: Path) -> None:
    (tmp_path / "yarn.lock").write_text(
        '# yarn lockfile v1\n\n"@prisma/client@^5.1.0", "@prisma/client@^5.2.0":\n  version "5.9.1"\n'
        '  resolved "https://registry.yarnpkg.com/x"\n\nprisma@^5.1.0:\n  version "5.9.0"\n'
    )
    assert str(detect_prisma_version(tmp_path)) == "5.9.1"
    (tmp_path / "yarn.lock").write_text(
        '__metadata:\n  version: 8\n\n"prisma@npm:^7.0.0":\n  version: 7.0.1\n  resolution: "prisma@npm:7.0.1"\n'
    )
    found = detect_prisma_version(tmp_path)
    assert found is not None and (str(found), found.package) == ("7.0.1", "prisma")


def test_workspace_lock_above_the_package(tmp_path: Path) -> None:
    web = tmp_path / "apps" / "web"
    web.mkdir(parents=True)
    (web / "package.json").write_text(json.dumps({"dependencies": {"@prisma/client": "^6"}}))
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "apps/web/node_modules/@prisma/client": {"version": "6.16.3"},
            "node_modules/@prisma/client": {"version": "5.0.0"},
        },
    }
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    assert str(detect_prisma_version(web)) == "6.16.3"


def test_malformed_package_json_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{ not json")
    with pytest.raises(ShipshapeError, match=r"package\.json is not valid JSON"):
        detect_prisma_version(tmp_path)


# -- the decision table ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "extra", "status", "engine"),
    [
        ("^5.22.0", "", "missing-target", "library"),
        ("^6.5.0", '\n  binaryTargets = ["native", "linux-musl-openssl-3.0.x"]', "ok", "library"),
        ("^6.5.0", '\n  engineType = "binary"\n  binaryTargets = ["native"]', "missing-target", "binary"),
        ("^6.16.0", '\n  engineType = "client"', "not-applicable", "client"),
        ("^6.7.0", '\n  previewFeatures = ["queryCompiler", "driverAdapters"]', "not-applicable", "client"),
        ("^7.0.0", "", "not-applicable", "client"),
        (None, "", "missing-target", "library"),
    ],
)
def test_decision_table(tmp_path: Path, version: str | None, extra: str, status: str, engine: str) -> None:
    result = check_prisma(app(tmp_path, version, extra), MUSL_TARGET)
    assert (result.status, result.engine_type, result.generator) == (status, engine, "client")
    if status == "not-applicable":
        assert result.target is None and "no binary target is needed" in result.reason
    if version is None:
        assert "assuming 5/6" in result.reason
    if status == "missing-target":
        assert MUSL_TARGET in result.reason and "native" in str(result.binary_targets)


def test_engine_files_follow_engine_type_and_output(tmp_path: Path) -> None:
    default = check_prisma(app(tmp_path), MUSL_TARGET)
    assert default.engine_files == [f"node_modules/.prisma/client/libquery_engine-{MUSL_TARGET}.so.node"]
    custom = check_prisma(app(tmp_path, extra='\n  output = "../src/generated"\n  engineType = "binary"'))
    assert custom.engine_files == [f"src/generated/query-engine-{MUSL_TARGET}"]


def test_other_generators_are_not_applicable(tmp_path: Path) -> None:
    schema = tmp_path / "schema.prisma"
    schema.write_text('generator dbml {\n  provider = "prisma-dbml-generator"\n}\n')
    assert check_prisma(schema).status == "not-applicable"


def test_provider_from_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = app(tmp_path)
    schema.write_text(schema.read_text().replace('"prisma-client-js"', 'env("CLIENT_GEN")'))
    monkeypatch.delenv("CLIENT_GEN", raising=False)
    assert check_prisma(schema).status == "failed"
    (schema.parent / ".env").write_text('CLIENT_GEN="prisma-client-js"\n')
    assert check_prisma(schema).status == "missing-target"


def test_unclosed_generator_raises_with_the_line(tmp_path: Path) -> None:
    schema = app(tmp_path)
    schema.write_text(schema.read_text().replace('"prisma-client-js"\n}', '"prisma-client-js"\n'))
    with pytest.raises(PrismaSchemaError, match=r"schema\.prisma:7: generator client is not closed"):
        check_prisma(schema)


# -- the fix through FileEditor ------------------------------------------------------------------------------


@pytest.mark.parametrize("crlf", [False, True])
def test_fix_backs_up_is_idempotent_and_undoes(tmp_path: Path, store, crlf: bool) -> None:  # type: ignore[no-untyped-def]
    schema = app(tmp_path, crlf=crlf)
    original = schema.read_bytes()
    editor = FileEditor(tmp_path, store)

    preview = fix_prisma(schema, editor, MUSL_TARGET, dry_run=True)
    assert preview.status == "would-fix" and f'+  binaryTargets = ["native", "{MUSL_TARGET}"]' in preview.diff
    assert schema.read_bytes() == original and not (schema.parent / "schema.prisma.backup").exists()

    fixed = fix_prisma(schema, editor, MUSL_TARGET)
    assert fixed.status == "fixed" and fixed.check.status == "ok"
    assert fixed.backup == schema.parent / "schema.prisma.backup"
    assert fixed.backup.read_bytes() == original
    new = schema.read_bytes()
    assert new.count(b"\r\n") == original.count(b"\r\n") + (1 if crlf else 0)
    assert fixed.diff == preview.diff

    again = fix_prisma(schema, editor, MUSL_TARGET)
    assert (again.status, again.diff, schema.read_bytes()) == ("ok", "", new)
    assert len(store.rows("SELECT * FROM edits")) == 1

    editor.undo(schema)
    assert not fixed.backup.exists()
    # Byte-exact for LF; for CRLF see test_undo_keeps_crlf (FileEditor.undo reads the backup as text).
    assert schema.read_bytes().replace(b"\r\n", b"\n") == original.replace(b"\r\n", b"\n")
    if not crlf:
        assert schema.read_bytes() == original


def test_undo_keeps_crlf(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    schema = app(tmp_path, crlf=True)
    original = schema.read_bytes()
    editor = FileEditor(tmp_path, store)
    assert fix_prisma(schema, editor, MUSL_TARGET).status == "fixed"
    editor.undo(schema)
    assert schema.read_bytes() == original


def test_fix_leaves_not_applicable_alone(tmp_path: Path) -> None:
    schema = app(tmp_path, "^7.1.0")
    before = schema.read_bytes()
    result = fix_prisma(schema, FileEditor(tmp_path), MUSL_TARGET)
    assert result.status == "not-applicable" and schema.read_bytes() == before


# -- the runtime's target -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dockerfile", "stage", "target"),
    [
        ("FROM node:20-alpine AS deps\nFROM node:20-slim AS runtime\n", None, "debian-openssl-3.0.x"),
        ("FROM node:20-alpine AS deps\nFROM node:20-slim AS runtime\n", "deps", MUSL_TARGET),
        ("FROM node:18-alpine3.16\n", None, "linux-musl"),
        ("FROM alpine:3.21\n", None, MUSL_TARGET),
        ("FROM node:16-bullseye\n", None, "debian-openssl-1.1.x"),
        ("FROM ubuntu:22.04\n", None, "debian-openssl-3.0.x"),
        ("FROM --platform=linux/arm64 node:22-alpine\n", None, "linux-musl-arm64-openssl-3.0.x"),
        ("FROM --platform=linux/arm64 debian:bookworm-slim\n", None, "linux-arm64-openssl-3.0.x"),
        ("ARG NODE=20\nFROM node:${NODE}-alpine AS base\nFROM base AS runtime\nCMD x\n", "runtime", MUSL_TARGET),
        ("FROM shipshape-busybox:1 AS base\nLABEL org.shipshape.libc=musl\nFROM base AS runtime\n", None, MUSL_TARGET),
        (
            "FROM node:20-alpine\nLABEL a=b \\\n  org.shipshape.prisma-target=linux-musl-arm64-openssl-3.0.x\n",
            None,
            "linux-musl-arm64-openssl-3.0.x",
        ),
        ("FROM scratch\n", None, None),
        ("FROM busybox:1.36\n", None, None),
    ],
)
def test_runtime_target(dockerfile: str, stage: str | None, target: str | None) -> None:
    assert runtime_target(dockerfile, stage) == target


def test_unknown_stage_is_an_error() -> None:
    with pytest.raises(ShipshapeError, match="no stage 'prod'"):
        runtime_target("FROM node:20-alpine AS runtime\n", "prod")


# -- the tools ------------------------------------------------------------------------------------------------


def test_tools_check_then_fix_then_dry_run(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    from agent.project.config import project_from_dict
    from agent.tools import get
    from agent.tools.context import ToolContext

    frontend = tmp_path / "frontend"
    schema = app(frontend, "^6.0.0")
    (frontend / "Dockerfile").write_text("FROM node:20-alpine AS build\nFROM node:20-alpine AS runtime\n")
    (tmp_path / "backend").mkdir()
    raw = {
        "images": [
            {
                "name": "frontend",
                "context": "frontend",
                "target": "runtime",
                "prisma_schema": "frontend/prisma/schema.prisma",
            },
            {"name": "backend", "context": "backend"},
        ]
    }
    project = project_from_dict(raw, tmp_path)

    check_tool, fix_tool = get("check_prisma_targets"), get("fix_prisma_targets")
    assert (check_tool.writes, fix_tool.writes) == (False, True)
    assert "image" in check_tool.schema()["input_schema"]["properties"]

    dry = ToolContext(project, store, dry_run=True)
    out = fix_tool.call(dry, {})
    assert out["status"] == "would-fix" and out["images"][0]["diff"]
    assert not (schema.parent / "schema.prisma.backup").exists()

    ctx = ToolContext(project, store)
    report = check_tool.call(ctx, {"image": "frontend"})
    first = report["images"][0]
    assert (report["status"], first["target"], first["version"]) == ("missing-target", MUSL_TARGET, "6.0.0")
    assert "stage runtime" in first["target_source"]
    json.dumps(report)

    fixed = fix_tool.call(ctx, {})
    assert fixed["status"] == "fixed" and fixed["images"][0]["backup"].endswith("schema.prisma.backup")
    assert check_tool.call(ctx, {})["status"] == "ok"
    assert fix_tool.call(ctx, {})["images"][0]["diff"] == ""
    with pytest.raises(ShipshapeError, match="no prisma_schema"):
        check_tool.call(ctx, {"image": "backend"})
