"""The word model (agent/buildlog/wordmodel.py): the shipped weights read in plain Python as scikit-learn read them,
trained on today's development labels and on no fresh file, and used only for the candidates of `unknown` answers."""

from __future__ import annotations

import io
import math

import pytest

from agent.buildlog import corpus, diagnose_bytes, scanner, wordmodel
from agent.buildlog.diagnosis import MAX_CANDIDATES, Diagnosis
from agent.buildlog.scanner import ScanResult
from tests.buildsteps import classic_step

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def model() -> wordmodel.WordModel:
    loaded = wordmodel.shipped()
    assert loaded is not None, "data/word-model.json.gz is missing: run scripts/train_word_model.py"
    return loaded


def test_the_plain_reading_gives_what_scikit_learn_gave(model: wordmodel.WordModel) -> None:
    checks = model.about["checks"]
    assert len(checks) >= 20
    for check in checks:
        got = model.readings(check["text"])[:3]
        assert [c for c, _ in got] == [c for c, _ in check["top"]], check["id"]
        for (_, p), (_, expected) in zip(got, check["top"], strict=True):
            assert math.isclose(p, expected, abs_tol=1e-6), check["id"]


def test_the_model_is_trained_on_todays_development_labels_and_no_fresh_file(model: wordmodel.WordModel) -> None:
    about = model.about
    assert about["fingerprint"] == corpus.dev_label_fingerprint(), "labels changed: run scripts/train_word_model.py"
    assert about["modern_files"] == [p.name for p in corpus.MODERN_DEV]
    assert about["shipwright_files"] == [p.name for p in corpus.SHIPWRIGHT_DEV]
    assert corpus.MODERN_FRESH.name not in about["modern_files"]
    assert corpus.SHIPWRIGHT_FRESH.name not in about["shipwright_files"]
    assert about["trained_on"] == len(corpus.modern_entries("dev")) + len(corpus.shipwright_rows("dev"))


def test_probabilities_sum_to_one_and_unknown_words_give_nothing(model: wordmodel.WordModel) -> None:
    readings = model.readings("ERROR: unable to select packages:\n  libfoo (no such package):")
    assert math.isclose(sum(p for _, p in readings), 1.0, abs_tol=1e-9)
    assert readings == sorted(readings, key=lambda cp: -cp[1])
    assert model.readings("") == [] and model.readings("12345 3f2a9c81d7e6b5a4c3d2 9999 --- ...") == []


def test_words_are_lowercase_names_without_digits_or_hex_ids() -> None:
    text = "E: Unable to locate package libssl1.1 in 3f2a9c81d7e6b5a4c3d2 node-gyp@9 /usr/lib/x86_64"
    assert wordmodel.words(text) == [
        "e",
        "unable",
        "to",
        "locate",
        "package",
        "libssl1.1",
        "in",
        "node-gyp",
        "usr",
        "lib",
        "x86_64",
    ]


def _scan(log: str) -> tuple[ScanResult, str | None]:
    scan = scanner().scan(io.BytesIO(log.encode()))
    step = next(reversed(scan.headers)) if scan.headers else None
    return scan, step


def test_an_unknown_answer_gets_the_models_readings_after_the_rules_candidates(model: wordmodel.WordModel) -> None:
    log = classic_step(
        "apk add --no-cache libfoo-dev",
        "fetch https://dl-cdn.alpinelinux.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz",
        "ERROR: unable to select packages:",
        "  libfoo-dev (no such package):",
        "    required by: world[libfoo-dev]",
    )
    scan, step = _scan(log)
    assert "unable to select packages" in wordmodel.region(scan, step)
    diagnosis = Diagnosis("unknown", "RUN apk add", 1, candidates=[{"category": "script-error", "confidence": 0.4}])
    wordmodel.rank_unknown(diagnosis, scan, step, model)
    assert diagnosis.candidates[0] == {"category": "script-error", "confidence": 0.4}  # the rules' first
    added = diagnosis.candidates[1:]
    assert [c["by"] for c in added] == [wordmodel.BY] * len(added) and len(diagnosis.candidates) == MAX_CANDIDATES
    assert added[0]["category"] == "apk-package"  # what the development logs with these words were labelled
    assert len({c["category"] for c in diagnosis.candidates}) == MAX_CANDIDATES


def test_a_decided_answer_and_a_full_list_are_left_alone(model: wordmodel.WordModel) -> None:
    scan, step = _scan(classic_step("apk add libfoo", "ERROR: unable to select packages:"))
    decided = Diagnosis(
        "apk-package", "RUN apk add libfoo", 1, candidates=[{"category": "apk-package", "confidence": 0.9}]
    )
    wordmodel.rank_unknown(decided, scan, step, model)
    assert decided.candidates == [{"category": "apk-package", "confidence": 0.9}]
    full = [{"category": c, "confidence": 0.3} for c in ("script-error", "compile-error", "npm-dependency")]
    unknown = Diagnosis("unknown", None, 1, candidates=list(full))
    wordmodel.rank_unknown(unknown, scan, step, model)
    assert unknown.candidates == full


def test_a_diagnosis_names_the_models_candidates_for_a_log_the_rules_cannot_read() -> None:
    # words no pattern knows, in a step that failed: the rules answer unknown, the model still reads the words
    log = classic_step("make -C vendor/widget all", "widget: the frobnicator refused the quux manifest", code=2)
    result = diagnose_bytes(log)
    assert result.root_cause == "unknown"
    assert any(c.get("by") == wordmodel.BY for c in result.candidates), result.candidates
