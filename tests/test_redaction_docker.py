"""A failing RUN step that carries secrets, built by the real host Docker daemon through `shipshape build`:
none of the secrets reaches the memory database (builds.error, failures.step), --json (failed_step, error,
log_tail), the terminal, or the build log that shipshape saves under logs/."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[1]
SHIPSHAPE = REPO / ".venv" / "bin" / "shipshape"
BASE = "shipshape/busybox:1.35"

SECRETS = {
    "github": "ghp_Zq8vN3kLp0aT7yXc2WmB9sRe4dFh6JgQ1uIo",
    "aws": "AKIAQ3EGRZ7JXWYK4NTB",
    "mysql": "Sup3rS3cretPw",
    "pgpassword": "Pg-Passw0rd-42",
    "url-token": "Zk81hG3kq0LmPwEr5tYuQ7",
}
DOCKERFILE = f"""FROM {BASE}
ENV PGPASSWORD {SECRETS["pgpassword"]}
RUN echo "cloning https://{SECRETS["url-token"]}@git.example.com/acme/app.git" && \\
    echo "mysql -h db -u root -p{SECRETS["mysql"]} app" && \\
    echo "key {SECRETS["aws"]} token {SECRETS["github"]}" && \\
    git clone https://{SECRETS["github"]}@github.com/acme/app.git
"""


def test_a_failing_run_step_with_secrets_leaks_nowhere(tmp_path: Path, host_docker: str) -> None:
    probe = subprocess.run(["docker", "-H", host_docker, "image", "inspect", BASE], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"{BASE} is not on the host daemon (make env makes it)")
    root = tmp_path / "app"
    root.mkdir()
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / "shipshape.toml").write_text('[[images]]\nname = "app"\ncontext = "."\nbudget = "50MB"\n')
    data = tmp_path / "data"
    env = {**os.environ, "DOCKER_HOST": host_docker, "SHIPSHAPE_DB": str(data / "memory.db"), "COLUMNS": "70"}
    as_json = subprocess.run(
        [str(SHIPSHAPE), "build", "--no-load", "--json", "--force"], cwd=root, capture_output=True, text=True, env=env
    )
    assert as_json.returncode == 1, as_json.stderr
    doc = json.loads(as_json.stdout)
    image = doc["images"][0]
    assert image["stage"] == "build" and image["failed_step"] and "RUN" in image["failed_step"]
    as_text = subprocess.run(
        [str(SHIPSHAPE), "build", "--no-load", "--force"], cwd=root, capture_output=True, text=True, env=env
    )
    assert as_text.returncode == 1
    logs = sorted((data / "logs").glob("build-app-*.log"))
    assert logs, "the build log was saved"
    saved = "".join(p.read_text(errors="replace") for p in logs)
    assert "RUN" in saved and "[REDACTED]" in saved
    database = b"".join(p.read_bytes() for p in data.glob("memory.db*") if p.is_file()).decode(errors="replace")
    from agent.memory.store import Store

    store = Store(data / "memory.db")
    rows = store.rows("SELECT error FROM builds") + store.rows("SELECT step FROM failures")
    store.close()
    assert rows and any("[REDACTED]" in str(v) for r in rows for v in r.values())
    for name, secret in SECRETS.items():
        for where, text in {
            "--json": as_json.stdout,
            "stderr (--json)": as_json.stderr,
            "terminal": as_text.stdout + as_text.stderr,
            "saved log": saved,
            "memory database": database,
        }.items():
            assert secret not in text, f"the {name} secret leaked into the {where}"
