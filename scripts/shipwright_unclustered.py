"""The Shipwright records that are in no cluster: a second supply of the same kind of logs (issue 12u).

The Shipwright study built 5,405 Dockerfiles that failed (data/for-clustering/as-json-N.json.gz in its repository,
github.com/STAR-RG/shipwright, MIT licence) and clustered 1,725 of them (../shared/corpora/shipwright/clustered-data,
one cluster file absent); the other 3,680 are the records HDBSCAN left unclustered and the absent cluster's. Every
clustered record is labelled now, so fresh Shipwright draws come from these.

  python scripts/shipwright_unclustered.py pool  MIRROR     writes pool.txt: the unclustered refs, in number order
  python scripts/shipwright_unclustered.py draw  MIRROR SEED N
      draws random.Random(SEED).sample(refs, N) over the pool less the refs already in records.jsonl.gz and adds
      those records (logs, Dockerfile, source) to records.jsonl.gz; prints the refs in draw order

MIRROR is a git directory of the Shipwright repository (the `fetch` tool's /work/.mirror/STAR-RG+shipwright/repo).
A record is "clustered" when its (repo_id, repo_commit, raw_dockerfile, raw_stderr_log) equals a clustered record's.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.buildlog.corpus import UNCLUSTERED_POOL as POOL  # noqa: E402
from agent.buildlog.corpus import UNCLUSTERED_RECORDS as RECORDS  # noqa: E402
from agent.buildlog.corpus import corpus_dir, unclustered_pool  # noqa: E402

KEEP = ("raw_dockerfile", "raw_stdout_log", "raw_stderr_log")


def _key(repo_id: Any, commit: str, dockerfile: str, stderr: str) -> str:
    return hashlib.sha256(json.dumps([str(repo_id), commit, dockerfile, stderr]).encode()).hexdigest()


def _clustered() -> set[str]:
    keys = set()
    for path in corpus_dir().glob("k*.json"):
        for r in json.loads(path.read_text(encoding="utf-8")):
            keys.add(_key(r["repo_id"], r["repo_commit"], r["raw_dockerfile"], r["raw_stderr_log"]))
    return keys


def _records(mirror: str, numbers: list[int]) -> Iterator[tuple[int, dict[str, Any]]]:
    cat = subprocess.Popen(["git", "-C", mirror, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert cat.stdin and cat.stdout
    for n in numbers:
        cat.stdin.write(f"HEAD:data/for-clustering/as-json-{n}.json.gz\n".encode())
        cat.stdin.flush()
        size = int(cat.stdout.readline().split()[2])
        data = cat.stdout.read(size)
        cat.stdout.read(1)
        yield n, json.loads(gzip.decompress(data))
    cat.stdin.close()
    cat.wait()


def _numbers(mirror: str) -> list[int]:
    out = subprocess.run(
        ["git", "-C", mirror, "ls-tree", "--name-only", "HEAD", "data/for-clustering/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(int(name.rsplit("-", 1)[1].split(".")[0]) for name in out)


def pool(mirror: str) -> list[str]:
    clustered = _clustered()
    refs = []
    for n, d in _records(mirror, _numbers(mirror)):
        m = d["meta"]
        if _key(m["repo_id"], m["repo_commit"], d["raw_dockerfile"], d["raw_stderr_log"]) not in clustered:
            refs.append(f"as-json-{n}")
    return refs


def draw(mirror: str, seed: int, n: int) -> list[str]:
    have = _have()
    refs = [r for r in unclustered_pool() if r not in have]
    drawn = random.Random(seed).sample(refs, n)
    numbers = [int(r.rsplit("-", 1)[1]) for r in drawn]
    new = {}
    for num, d in _records(mirror, numbers):
        m = d["meta"]
        new[f"as-json-{num}"] = {
            "ref": f"as-json-{num}",
            **{k: d[k] for k in KEEP},
            "html_url": m["html_url"],
            "repo_commit": m["repo_commit"],
            "repo_id": m["repo_id"],
        }
    rows = [*_rows(), *(new[r] for r in drawn)]
    tmp = RECORDS.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True) + "\n")
    tmp.replace(RECORDS)
    return drawn


def _rows() -> list[dict[str, Any]]:
    if not RECORDS.exists():
        return []
    with gzip.open(RECORDS, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _have() -> set[str]:
    return {r["ref"] for r in _rows()}


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "pool":
        refs = pool(argv[1])
        POOL.write_text("\n".join(refs) + "\n", encoding="utf-8")
        print(f"{len(refs)} unclustered records -> {POOL}")
        return 0
    if len(argv) == 4 and argv[0] == "draw":
        print("\n".join(draw(argv[1], int(argv[2]), int(argv[3]))))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
