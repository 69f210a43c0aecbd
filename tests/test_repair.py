"""Repairs on a copy of the sample app: previews, atomic idempotent edits, undo, dry run. The same repairs against
the real Docker engine, the sample's real `npm ci` and `next build` failing before each fix and passing after it,
are in tests/test_chat_build.py, driven by `shipshape chat`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.engines.files import FileEditor
from agent.memory.store import Store
from agent.project.config import load_project
from agent.repair import apply_plan, plan_fix
from agent.tools import get
from agent.tools.context import ToolContext

pytestmark = pytest.mark.unit

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "todo"
GOOGLE_LAYOUT = """import { Inter } from "next/font/google";

const inter = Inter({
  subsets: ["latin"],
  display: "swap",
});

export default function RootLayout({ children }) {
  return (
    <html lang="en" className={inter.className}>
      <body>{children}</body>
    </html>
  );
}
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A copy of the sample app, broken the way the issue describes: no npm retries, next/font/google."""
    root = tmp_path / "todo"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("node_modules", ".next", "*.backup"))
    frontend = root / "frontend"
    (frontend / ".npmrc").write_text("# registry settings\nfetch-retries=1\n")
    (frontend / "app" / "layout.js").write_text(GOOGLE_LAYOUT)
    return root


def _ctx(root: Path, store: Store, dry_run: bool = False) -> ToolContext:
    return ToolContext(project=load_project(root / "shipshape.toml"), store=store, dry_run=dry_run)


def test_npm_fix_preview_apply_idempotent_undo(app: Path, store: Store) -> None:
    frontend = app / "frontend"
    ctx = _ctx(app, store)
    plans = get("suggest_dockerfile_fixes").call(
        ctx, {"image": "frontend", "log_text": "Step 6/9 : RUN npm ci\nnpm error code ETIMEDOUT\n"}
    )
    first = plans["fixes"][0]
    assert plans["category"] == "npm-network" and first["fix_id"] == "npm-retry-settings"
    assert "+fetch-retries=5" in first["diff"] and "-fetch-retries=1" in first["diff"]
    assert (frontend / ".npmrc").read_text() == "# registry settings\nfetch-retries=1\n"  # preview wrote nothing
    result = get("apply_fix").call(ctx, {"fix_id": "npm-retry-settings", "image": "frontend"})
    assert result["status"] == "applied" and result["attempt_id"]
    text = (frontend / ".npmrc").read_text()
    for line in ("fetch-retries=5", "fetch-retry-mintimeout=20000", "fetch-retry-maxtimeout=120000"):
        assert line in text.splitlines()
    assert "# registry settings" in text
    again = get("apply_fix").call(ctx, {"fix_id": "npm-retry-settings", "image": "frontend"})
    assert again["status"] == "already-applied" and again["changed"] == []
    ctx.files.undo(frontend / ".npmrc")
    assert (frontend / ".npmrc").read_text() == "# registry settings\nfetch-retries=1\n"


def test_npm_fix_creates_npmrc_and_env_when_dockerfile_does_not_copy_it(tmp_path: Path, store: Store) -> None:
    (tmp_path / "shipshape.toml").write_text('[project]\nname = "x"\n[[images]]\nname = "web"\ncontext = "web"\n')
    web = tmp_path / "web"
    web.mkdir()
    (web / "package.json").write_text("{}\n")
    (web / "Dockerfile").write_text("FROM node:20-alpine\nCOPY package.json ./\nRUN npm ci\n")
    ctx = _ctx(tmp_path, store)
    result = get("apply_fix").call(ctx, {"fix_id": "npm-retry-settings", "image": "web"})
    assert result["status"] == "applied"
    assert "fetch-retries=5" in (web / ".npmrc").read_text()
    dockerfile = (web / "Dockerfile").read_text().splitlines()
    env = next(i for i, line in enumerate(dockerfile) if line.startswith("ENV npm_config_fetch_retries=5"))
    assert env < dockerfile.index("RUN npm ci")
    ctx.files.undo(web / ".npmrc")
    assert not (web / ".npmrc").exists()


@pytest.mark.parametrize("with_fonts", [True, False])
def test_next_font_fix_switches_to_the_local_font_or_the_system_stack(
    app: Path, store: Store, with_fonts: bool
) -> None:
    frontend = app / "frontend"
    if not with_fonts:
        shutil.rmtree(frontend / "app" / "fonts")
    ctx = _ctx(app, store)
    result = get("apply_fix").call(ctx, {"fix_id": "next-font-local", "image": "frontend"})
    assert result["status"] == "applied"
    layout = (frontend / "app" / "layout.js").read_text()
    if with_fonts:
        assert 'import localFont from "next/font/local";' in layout
        assert 'localFont({ src: "./fonts/OpenSans-Regular.woff2"' in layout
    else:
        assert '// import { Inter } from "next/font/google";' in layout
        assert "system-ui" in layout and "// const inter = Inter({" in layout
    again = get("apply_fix").call(ctx, {"fix_id": "next-font-local", "image": "frontend"})
    assert again["status"] == "already-applied", again


def test_dry_run_writes_nothing(app: Path, store: Store) -> None:
    ctx = _ctx(app, store, dry_run=True)
    before = (app / "frontend" / "app" / "layout.js").read_text()
    result = get("apply_fix").call(ctx, {"fix_id": "next-font-local", "image": "frontend"})
    assert result["status"] == "would-apply" and result["diff"]
    assert (app / "frontend" / "app" / "layout.js").read_text() == before


def test_dockerfile_fixes(tmp_path: Path, store: Store) -> None:
    (tmp_path / "shipshape.toml").write_text(
        '[project]\nname = "x"\n[[images]]\nname = "api"\ncontext = "api"\ntarget = "runtime"\n'
    )
    api = tmp_path / "api"
    (api / "config").mkdir(parents=True)
    (api / "config" / "app.yml").write_text("a: 1\n")
    (api / ".dockerignore").write_text("config/\n")
    (api / "Dockerfile").write_text(
        "FROM node:20 AS build\nRUN make\nFROM node:20-alpine AS runtime\nCOPY --from=build /app /app\n"
    )
    editor = FileEditor(tmp_path, store)
    image = load_project(tmp_path / "shipshape.toml").image("api")
    openssl = plan_fix("prisma-apk-openssl", image, editor)
    assert "+RUN apk add --no-cache openssl" in openssl.as_dict()["diff"]
    assert apply_plan(openssl, editor)["status"] == "applied"
    lines = (api / "Dockerfile").read_text().splitlines()
    assert lines[lines.index("FROM node:20-alpine AS runtime") + 1] == "RUN apk add --no-cache openssl"
    assert plan_fix("prisma-apk-openssl", image, editor).automatic is False  # already there: nothing to do
    excerpt = (
        "COPY failed: file not found in build context or excluded by .dockerignore: "
        "stat config/app.yml: file does not exist"
    )
    unignore = plan_fix("dockerignore-unignore", image, editor, excerpt=excerpt)
    apply_plan(unignore, editor)
    assert (api / ".dockerignore").read_text().splitlines()[-1] == "!config/app.yml"
    missing = plan_fix("dockerignore-unignore", image, editor, excerpt=excerpt.replace("app.yml", "ap.yml"))
    assert not missing.automatic and "config/app.yml" in missing.suggestion
    pin = plan_fix("platform-pin", image, editor)
    assert "+FROM --platform=linux/" in pin.as_dict()["diff"] and "+COPY" not in pin.as_dict()["diff"]
    assert (
        "no safe" not in plan_fix("disk-prune", image, editor).suggestion
        and not plan_fix("disk-prune", image, editor).automatic
    )


def test_apk_openssl_on_a_non_alpine_runtime_is_a_suggestion(app: Path, store: Store) -> None:
    ctx = _ctx(app, store)
    plan = plan_fix("prisma-apk-openssl", ctx.project.image("frontend"), ctx.files)
    assert not plan.automatic and "not Alpine" in plan.suggestion


def test_prisma_fix_goes_through_fix_prisma(app: Path, store: Store) -> None:
    schema = app / "frontend" / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace(', "linux-musl-openssl-3.0.x"', ""))
    ctx = _ctx(app, store)
    plan = plan_fix(
        "prisma-binary-targets", ctx.project.image("frontend"), ctx.files, prisma_target="linux-musl-openssl-3.0.x"
    )
    assert plan.automatic and "linux-musl-openssl-3.0.x" in plan.as_dict()["diff"]
    assert apply_plan(plan, ctx.files)["status"] == "applied"
    assert '"linux-musl-openssl-3.0.x"' in schema.read_text()
