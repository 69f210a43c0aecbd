"""The content hash of build inputs and Docker's .dockerignore rules (no daemon)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from agent.images.buildhash import DockerIgnore, HashCache, context_files, context_tar, hash_inputs

pytestmark = pytest.mark.unit


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        (["node_modules"], "node_modules/react/index.js", True),  # a directory covers what is below it
        (["node_modules"], "src/node_modules/x.js", False),  # patterns are anchored at the context root
        (["**/node_modules"], "src/node_modules/x.js", True),
        (["*.log"], "app.log", True),
        (["*.log"], "logs/app.log", False),  # * does not cross /
        (["**/*.log"], "logs/deep/app.log", True),
        (["/build"], "build/out.js", True),  # a leading / is dropped
        (["*.md", "!README.md"], "README.md", False),  # ! re-includes
        (["*.md", "!README.md"], "CHANGES.md", True),
        (["!README.md", "*.md"], "README.md", True),  # the last matching line wins
        (["# comment", "", "secret?.txt"], "secret1.txt", True),
        (["secret?.txt"], "secret10.txt", False),
        (["docs/[ab].txt"], "docs/a.txt", True),
        (["docs/[ab].txt"], "docs/c.txt", False),
        (["**"], "anything/at/all", True),
        (["./tmp/../cache"], "cache/x", True),  # paths are cleaned as filepath.Clean does
    ],
)
def test_dockerignore_follows_dockers_rules(patterns: list[str], path: str, excluded: bool) -> None:
    assert DockerIgnore(patterns).excluded(path) is excluded


def test_context_files_skip_ignored_files_and_keep_exceptions(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".dockerignore": "node_modules\n.engines/*\n!.engines/*.so.node\n**/*.backup\n",
            "Dockerfile": "FROM scratch\n",
            "app/page.js": "x",
            "node_modules/react/index.js": "x",
            ".engines/notes.txt": "x",
            ".engines/libquery_engine-linux-musl-openssl-3.0.x.so.node": "elf",
            "prisma/schema.prisma.backup": "old",
        },
    )
    assert context_files(tmp_path) == [
        ".dockerignore",
        ".engines/libquery_engine-linux-musl-openssl-3.0.x.so.node",
        "Dockerfile",
        "app/page.js",
    ]


def test_hash_changes_with_every_input_and_only_with_inputs(tmp_path: Path) -> None:
    ctx = _tree(tmp_path, {".dockerignore": "*.log\n", "Dockerfile": "FROM scratch\n", "a.txt": "1"})
    dockerfile = ctx / "Dockerfile"
    base = hash_inputs(ctx, dockerfile, target="runtime").digest
    assert hash_inputs(ctx, dockerfile, target="runtime").digest == base  # stable
    (ctx / "debug.log").write_text("ignored")
    assert hash_inputs(ctx, dockerfile, target="runtime").digest == base  # ignored files do not count
    assert hash_inputs(ctx, dockerfile, target="build").digest != base
    assert hash_inputs(ctx, dockerfile, target="runtime", build_args={"A": "1"}).digest != base
    (ctx / "a.txt").write_text("2")
    changed = hash_inputs(ctx, dockerfile, target="runtime").digest
    assert changed != base
    os.chmod(ctx / "a.txt", 0o755)
    assert hash_inputs(ctx, dockerfile, target="runtime").digest != changed  # the exec bit is an input
    tag = hash_inputs(ctx, dockerfile).tag("todo-backend")
    assert tag.startswith("todo-backend:") and len(tag.split(":")[1]) == 12 and "latest" not in tag


def test_hash_cache_is_used_for_unchanged_files_and_refreshed_for_changed(tmp_path: Path) -> None:
    ctx = _tree(tmp_path / "ctx", {"Dockerfile": "FROM scratch\n", "big.bin": "a" * 10000})
    cache_path = tmp_path / "cache.json"
    cache = HashCache(cache_path)
    first = hash_inputs(ctx, ctx / "Dockerfile", cache=cache).digest
    cache.save()
    reloaded = HashCache(cache_path)
    assert str(ctx / "big.bin") in reloaded.entries
    assert hash_inputs(ctx, ctx / "Dockerfile", cache=reloaded).digest == first
    assert not reloaded.dirty  # nothing re-read
    (ctx / "big.bin").write_text("b" * 10001)
    assert hash_inputs(ctx, ctx / "Dockerfile", cache=reloaded).digest != first


def test_context_tar_holds_the_files_and_an_ignored_dockerfile(tmp_path: Path) -> None:
    ctx = _tree(
        tmp_path, {".dockerignore": "Dockerfile\nsecret\n", "Dockerfile": "FROM scratch\n", "a": "1", "secret": "s"}
    )
    inputs = hash_inputs(ctx, ctx / "Dockerfile")
    with context_tar(inputs) as spool, tarfile.open(fileobj=io.BytesIO(spool.read()), mode="r:") as archive:
        names = archive.getnames()
    assert sorted(names) == [".dockerignore", "Dockerfile", "a"]
