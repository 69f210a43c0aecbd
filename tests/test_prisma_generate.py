"""Where a Dockerfile runs `prisma generate`, and whether that is the runtime's platform; schemas found the way
Prisma finds them. Pure text: no daemon."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.prisma.discover import config_schema, discover_schemas, generator_file
from agent.prisma.generate import generating_scripts, where_generate_runs

pytestmark = pytest.mark.unit

DEBIAN_TO_ALPINE = """
FROM node:22-bookworm AS build
RUN npm ci && npx prisma generate
FROM node:22-alpine3.22 AS runtime
COPY --from=build /app/node_modules ./node_modules
"""


def test_debian_generate_for_an_alpine_runtime_is_another_platform() -> None:
    facts = where_generate_runs(DEBIAN_TO_ALPINE, None, set())
    assert facts is not None and facts.same_platform is False
    assert facts.stages == ["build"] and facts.runtime_base == "node:22-alpine3.22"


def test_generate_in_the_runtime_chain_or_on_the_same_base_is_the_same_platform() -> None:
    in_chain = "FROM node:22-alpine AS base\nRUN npx prisma generate\nFROM base AS runner\nCMD node x\n"
    assert where_generate_runs(in_chain, None, set()).same_platform is True  # type: ignore[union-attr]
    same_arg = (
        "ARG NODE_IMAGE=node:24-bookworm-slim\nFROM ${NODE_IMAGE} AS deps\nRUN pnpx prisma@6.14.0 generate\n"
        "FROM ${NODE_IMAGE} AS runner\nCOPY --from=deps /app/generated ./generated\n"
    )
    assert where_generate_runs(same_arg, None, set()).same_platform is True  # type: ignore[union-attr]


def test_a_slim_base_without_openssl_is_unknown_and_with_it_is_known() -> None:
    text = "FROM node:22 AS b\nRUN npx prisma generate\nFROM node:22-slim\nCOPY --from=b /a /a\n"
    assert where_generate_runs(text, None, set()).same_platform is None  # type: ignore[union-attr]
    with_ssl = text.replace("FROM node:22-slim\n", "FROM node:22-slim\nRUN apt-get install -y openssl\n")
    assert where_generate_runs(with_ssl, None, set()).same_platform is True  # type: ignore[union-attr]
    # the image itself, when the build host has it, decides
    seen = {"node:22": "debian-openssl-3.0.x", "node:22-slim": "debian-openssl-1.1.x"}
    assert where_generate_runs(text, None, set(), seen.get).same_platform is False  # type: ignore[union-attr]


def test_scripts_and_turbo_tasks_are_followed() -> None:
    scripts = {
        "db:generate": ["dotenv -- npx prisma generate --no-hints"],
        "build": ["turbo run db:generate ^build", "tsc"],
        "build-docker": ["npm-run-all build-db build-app"],
        "build-db": ["npm-run-all build-db-client"],
        "build-db-client": ["prisma generate"],
        "lint": ["eslint ."],
    }
    found = generating_scripts(scripts)
    assert {"db:generate", "build", "build-docker", "build-db", "build-db-client"} <= found and "lint" not in found
    text = "FROM node:24-alpine AS b\nRUN turbo run build --filter=web...\nFROM node:24-alpine\nCOPY --from=b /a /a\n"
    assert where_generate_runs(text, None, found).same_platform is True  # type: ignore[union-attr]
    assert where_generate_runs(text, None, set()) is None  # nothing generates: the ordinary check decides


def test_a_target_only_sees_the_stages_that_feed_it() -> None:
    text = DEBIAN_TO_ALPINE + "FROM caddy:2-alpine AS web\nCOPY site /srv\n"
    assert where_generate_runs(text, "web", set()) is None
    assert where_generate_runs(text, "runtime", set()).same_platform is False  # type: ignore[union-attr]


def test_schemas_are_found_as_prisma_finds_them(tmp_path: Path) -> None:
    db = tmp_path / "packages" / "database"
    (db / "schema").mkdir(parents=True)
    (db / "schema" / "main.prisma").write_text('generator client {\n  provider = "prisma-client"\n}\n')
    (db / "schema" / "models.prisma").write_text("model A {\n  id Int @id\n}\n")
    (db / "prisma.config.ts").write_text(
        'export default defineConfig({\n  schema: path.join(__dirname, "schema"),\n})\n'
    )
    app = tmp_path / "apps" / "api"
    (app / "db").mkdir(parents=True)
    (app / "db" / "s.prisma").write_text('generator client {\n  provider = "prisma-client-js"\n}\n')
    (app / "package.json").write_text('{"prisma": {"schema": "db/s.prisma"}, "dependencies": {"prisma": "6"}}')
    old = tmp_path / "archive" / "prisma"
    old.mkdir(parents=True)
    (old / "schema.prisma").write_text("// old\n")
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    found = discover_schemas(tmp_path, files, lambda p: "archived" if "archive" in p.parts else None)
    assert {s.path: s.how.split(" in ")[0] for s in found} == {
        db / "schema": "schema",
        app / "db" / "s.prisma": "prisma.schema",
    }
    assert generator_file(db / "schema") == db / "schema" / "main.prisma"
    assert config_schema(db / "prisma.config.ts") == db / "schema"
