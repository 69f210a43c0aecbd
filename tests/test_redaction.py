"""One redaction at every boundary: generated secrets in every position a build log can hold them, checked in
what reaches the memory database, --json, the terminal, the model, MCP and Slack replies. (The build log file
that the Docker engine writes is checked in tests/test_redaction_docker.py against the real daemon.)"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import string
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.buildlog import diagnose_bytes
from agent.memory import learning
from agent.memory.store import Store
from agent.redaction import REDACTED, redact, redact_value
from agent.run.observe import render

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
CLI = str(REPO / ".venv" / "bin" / "shipshape")
ALNUM = string.ascii_letters + string.digits
PASSWORD_CHARS = ALNUM + "!%^*-_.+"


def _s(alphabet: str, n: int, m: int | None = None) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=n, max_size=m or n)


# The memory database always holds its own schema (sqlite_master keeps the CREATE statements): a generated password
# that is a piece of it ("er_sha25" of a column after_sha256) is found there without having leaked.
SCHEMA_TEXT = (REPO / "agent" / "memory" / "schema.py").read_text(encoding="utf-8")


def _password(n: int = 8, m: int = 20) -> st.SearchStrategy[str]:
    """A password with letters and digits: one that cannot also be an ordinary word of the output ("image_id") or
    a piece of the database's schema."""
    return _s(PASSWORD_CHARS, n, m).filter(
        lambda s: sum(c.isdigit() for c in s) >= 2 and sum(c.isalpha() for c in s) >= 2 and s not in SCHEMA_TEXT
    )


# Each kind: (secret strategy, how a build step carries it). The secret is what must never come out.
def _jwt(parts: tuple[str, str, str]) -> str:
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    return f"{head}.{parts[1]}.{parts[2]}"


KINDS: dict[str, tuple[st.SearchStrategy[str], Callable[[str], str]]] = {
    "github": (_s(ALNUM, 36).map(lambda s: "ghp_" + s), lambda s: f"curl -H 'x: y' https://api.github.com?t={s}"),
    "github-url": (
        _s(ALNUM, 36).map(lambda s: "ghp_" + s),
        lambda s: f"git clone https://{s}@github.com/acme/app.git",
    ),
    "token-url": (
        _s(ALNUM, 20, 40).filter(lambda s: any(c.isdigit() for c in s)),
        lambda s: f"git clone https://{s}@gitlab.example.com/acme/app.git",
    ),
    "url-password": (_password(), lambda s: f"psql postgres://app:{s}@db:5432/app -c 'select 1'"),
    "gitlab": (_s(ALNUM + "_-", 20).map(lambda s: "glpat-" + s), lambda s: f"echo {s} > /root/.token"),
    "slack": (_s(ALNUM, 24).map(lambda s: "xoxb-1234567890-" + s), lambda s: f"notify --slack {s}"),
    "npm": (_s(ALNUM, 36).map(lambda s: "npm_" + s), lambda s: f"echo //registry.npmjs.org/:_authToken={s} > .npmrc"),
    "aws-key": (_s(string.ascii_uppercase + string.digits, 16).map(lambda s: "AKIA" + s), lambda s: f"aws s3 cp {s}"),
    "jwt": (
        st.tuples(st.just(""), _s(ALNUM + "_-", 16, 40), _s(ALNUM + "_-", 16, 40)).map(_jwt),
        lambda s: f"fetch --cookie session={s}",
    ),
    "pem": (
        _s(ALNUM + "+/", 64).map(lambda s: f"-----BEGIN RSA PRIVATE KEY-----\\n{s}\\n-----END RSA PRIVATE KEY-----"),
        lambda s: f"printf '{s}' > key.pem",
    ),
    "mysql": (_password(), lambda s: f"mysql -h db -u root -p{s} app < schema.sql"),
    "env-password": (_password(), lambda s: f"ENV PGPASSWORD {s}"),
    "key-value": (_password(), lambda s: f"DB_PASSWORD={s} ./migrate.sh"),
    "authorization": (
        _s(ALNUM, 20, 40).filter(lambda s: any(c.isdigit() for c in s)),
        lambda s: f'curl -H "Authorization: Bearer {s}" https://api.example.com/deploy',
    ),
    "docker-login": (_password(), lambda s: f"docker login -u ci --password {s} registry.example.com"),
}

# Where a build log can hold a step's text.
POSITIONS: list[Callable[[str], str]] = [
    lambda cmd: (
        f"Step 4/9 : RUN {cmd}\n---> Running in 3f2a1b\nerror: failed\n"
        f"The command '/bin/sh -c {cmd}' returned a non-zero code: 1\n"
    ),
    lambda cmd: (
        f'#12 [build 3/7] RUN {cmd}\n#12 0.41 boom\n#12 ERROR: process "/bin/sh -c {cmd}" did not complete '
        "successfully: exit code: 2\n"
    ),
    lambda cmd: (
        f"Step 2/3 : RUN set -e; {cmd}; echo done\nnpm ERR! code ETIMEDOUT\n"
        f"The command '/bin/sh -c set -e; {cmd}; echo done' returned a non-zero code: 1\n"
    ),
    lambda cmd: f"some output before\n  {cmd}\n",
    lambda cmd: f'{{"msg": "{cmd}", "level": "error"}}\n',
]

ALL_KINDS = sorted(KINDS)


def planted(kind: str, secret: str) -> list[str]:
    """The parts of a secret that must not survive (a PEM block's body, not its BEGIN line)."""
    if kind == "pem":
        return [secret.split("\\n")[1]]
    return [secret]


def secret_and_log(data: st.DataObject) -> tuple[str, str, str]:
    kind = data.draw(st.sampled_from(ALL_KINDS))
    secret = data.draw(KINDS[kind][0])
    position = data.draw(st.sampled_from(range(len(POSITIONS))))
    return kind, secret, POSITIONS[position](KINDS[kind][1](secret))


def assert_clean(kind: str, secret: str, *texts: str) -> None:
    for text in texts:
        for part in planted(kind, secret):
            assert part not in text, f"{kind} secret {part!r} leaked into: {text[:300]!r}"


# --- the function itself --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("mysql -uroot -pS3cretPass app", "S3cretPass"),
        ("mysqldump --user=root -p'p4ss w0rd' app", "p4ss w0rd"),
        ("ENV PGPASSWORD hunter22", "hunter22"),
        ("ARG NPM_TOKEN abcdef123456", "abcdef123456"),
        ("RUN git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/app.git", "ghp_abc"),
        ("RUN git clone https://Zk81hG3kq0LmPwEr5tYu@git.example.com/app.git", "Zk81hG3kq0LmPwEr5tYu"),
        ('{"password": "hunter22"}', "hunter22"),
        ("curl -u deploy:t0ps3cret https://x", "t0ps3cret"),
        ("AIzaSyA1234567890abcdefghijklmnopqrstu", "AIzaSyA1234567890"),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    ],
)
def test_shapes_the_old_redactor_missed(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "kept",
    [
        "mkdir -p /app/data && docker run -p 8080:80 app",
        "todo-frontend:3f2a1b4c5d6e sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "PrismaClientInitializationError: could not locate the Query Engine for runtime linux-musl-openssl-3.0.x",
        "pod todo-backend-7c9d8f6b5-x2k9p is in CrashLoopBackOff",
        '"input_tokens": 1234, "max_tokens": 2048',
        "/app/node_modules/.prisma/client/libquery_engine-linux-musl-openssl-3.0.x.so.node",
        "https://git@github.com/acme/app.git",
    ],
)
def test_what_people_need_to_read_is_kept(kept: str) -> None:
    assert redact(kept) == kept


def test_random_keys_without_a_shape_are_caught_by_entropy() -> None:
    """The fallback misses about 1 random key in 75,000 (one whose characters happen to repeat a lot)."""
    rng = random.Random(20261202)
    missed = []
    for _ in range(1000):
        key = base64.b64encode(rng.randbytes(30)).decode()  # 40 characters, like an AWS secret access key
        url_key = base64.urlsafe_b64encode(rng.randbytes(24)).decode().rstrip("=")
        for secret in (key, url_key):
            if secret in redact(f"RUN ./deploy --key {secret} --region eu"):
                missed.append(secret)
    assert len(missed) <= 1, missed


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_property_no_generated_secret_survives_redaction(data: st.DataObject) -> None:
    kind, secret, log = secret_and_log(data)
    out = redact(log)
    assert_clean(kind, secret, out)
    assert redact(out) == out  # idempotent: redacting twice changes nothing


# --- the boundaries, in process ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_property_memory_model_json_and_terminal_boundaries(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    kind, secret, log = secret_and_log(data)
    folder = tmp_path_factory.mktemp("boundary")
    store = Store(folder / "memory.db")
    diagnosis = diagnose_bytes(log)
    doc = learning.remember_diagnosis(store, diagnosis, image="frontend", source="text")
    store.record_build(image="frontend", outcome="failed", error=f"build failed at {diagnosis.failed_step}: {log}")
    incident = store.start_incident(f"the build fails: {log}", "x", "rulebook")
    store.record_step(incident, n=1, tool="detect_build_failures", input={"log_text": log}, ok=0, result=log)
    store.finish_incident(incident, answer=log, ok=0)
    store.close()
    # the model sees observations through render, the report and answer through the loop's redact
    model_view = render(doc) + render(None, f"failed: {log}")
    # --json and the terminal
    from agent.cli.common import RedactingStream

    buffer = io.StringIO()
    RedactingStream(buffer).write(log)
    json_view = json.dumps(redact_value(doc))
    assert_clean(kind, secret, database_text(folder), model_view, buffer.getvalue(), json_view)


def database_text(folder: Path) -> str:
    """Every byte of the database files (the main file and the WAL), as text: what `grep` would search."""
    raw = b"".join(p.read_bytes() for p in folder.glob("memory.db*") if p.is_file())
    return raw.decode("utf-8", errors="replace")


def test_mcp_and_slack_replies_are_redacted(tmp_path: Path, store: Store) -> None:
    from agent.frontends.session import StepLines

    secret = "ghp_" + "Ab1" * 12
    lines: list[str] = []
    StepLines(lines.append)("error", {"tool": "detect_build_failures", "error": f"log says {secret}"})
    from agent.redaction import redact as boundary

    # StepLines hands lines to the front end's emit; MCP's emit and Slack's post both pass them through redact
    assert all(secret not in boundary(line) for line in lines)
    mcp_source = (REPO / "agent" / "frontends" / "mcp.py").read_text()
    slack_source = (REPO / "agent" / "frontends" / "slack.py").read_text()
    assert "text=redact(text)" in slack_source and "structured_content=redact_value(" in mcp_source


# --- the boundaries, through the real CLI ----------------------------------------------------------------------

FIXED = {
    kind: example
    for kind, example in {
        "github": "ghp_Zq8vN3kLp0aT7yXc2WmB9sRe4dFh6JgQ1uIo",
        "mysql": "Sup3rS3cretPw",
        "env-password": "Pg-Passw0rd-42",
        "token-url": "Zk81hG3kq0LmPwEr5tYuQ7",
        "aws-key": "AKIAQ3EGRZ7JXWYK4NTB",
    }.items()
}


@pytest.mark.parametrize("kind", sorted(FIXED))
def test_cli_diagnose_json_terminal_and_database_hold_no_secret(tmp_path: Path, kind: str) -> None:
    """Before: the failed RUN step went unredacted into failures.step, --json's failed_step and the terminal."""
    secret = FIXED[kind]
    cmd = KINDS[kind][1](secret)
    log = tmp_path / "build.log"
    log.write_text(POSITIONS[0](cmd))
    env = {**os.environ, "SHIPSHAPE_DB": str(tmp_path / "db" / "memory.db"), "COLUMNS": "60"}
    as_json = subprocess.run([CLI, "diagnose", str(log), "--json"], capture_output=True, text=True, env=env)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["failed_step"].startswith("Step 4/9 : RUN")
    as_text = subprocess.run([CLI, "diagnose", str(log)], capture_output=True, text=True, env=env)
    assert "failed step" in as_text.stdout
    assert_clean(
        kind, secret, as_json.stdout, as_json.stderr, as_text.stdout, as_text.stderr, database_text(tmp_path / "db")
    )


def test_one_line_errors_are_redacted(tmp_path: Path) -> None:
    secret = "ghp_Zq8vN3kLp0aT7yXc2WmB9sRe4dFh6JgQ1uIo"
    missing = tmp_path / f"{secret}.log"
    result = subprocess.run([CLI, "diagnose", str(missing), "--json"], capture_output=True, text=True)
    assert result.returncode == 1 and "no such log file" in result.stderr
    assert secret not in result.stdout + result.stderr


def redacted_everywhere(value: Any, secret: str) -> bool:
    return secret not in json.dumps(value)


def test_upper_case_settings_with_short_values_are_not_keys() -> None:
    """Seen in the real frontend's build log: `ENV NEXT_TELEMETRY_DISABLED=1` was read as a random key."""
    line = "Step 4/23 : ENV NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1"
    assert redact(line) == line
    assert "AbCdEfGhIjKlMnOpQrStUvWx" not in redact("SOME_SETTING_VALUE=AbCdEfGhIjKlMnOpQrStUvWx")


@pytest.mark.unit
def test_a_secret_glued_to_a_terminal_colour_code_is_redacted() -> None:
    """Seen in CI: the classic builder wraps a RUN step's stderr in ESC[91m ... ESC[0m; when stdout and stderr
    interleaved so that ESC[0m was glued to `mysql`, `\bmysql` did not match and the password passed."""
    for line in (
        "\x1b[0mmysql -h db -u root -pSup3rS3cretPw app",
        "\x1b[91mmysql -h db -u root -pSup3rS3cretPw app\x1b[0m",
        "\x1b]0;title\x07mysql -u root -pSup3rS3cretPw",
    ):
        got = redact(line)
        assert "Sup3rS3cretPw" not in got and "-p[REDACTED]" in got and "\x1b" not in got


def test_a_failing_pods_reason_in_the_chat_progress_line_is_not_taken_for_a_key() -> None:
    """The chat's progress line names each failing pod's reason and category; both must survive redaction
    (glued as "ErrImagePull/image-not-found" they made one 28-character mixed-case run, read as a random key)."""
    from agent.run.assemble import result_gist

    pods = [
        {"name": "todo-backend-976b9c65f-r5x8m", "ready": False, "reason": reason, "category": category}
        for reason, category in [("ErrImagePull", "image-not-found"), ("CrashLoopBackOff", "crash-loop")]
    ]
    gist = redact(result_gist({"pods": pods}))
    assert "ErrImagePull (image-not-found)" in gist and "CrashLoopBackOff (crash-loop)" in gist
    assert REDACTED not in gist
