"""A second reader for the logs the rules cannot decide: a word model of the labelled development logs (issue 12w).

The failing step's region (structure.region_lines, the lines the structural reader reads) is cut into words, weighed
by TF-IDF, and scored by a multinomial logistic regression trained on every labelled development log
(scripts/train_word_model.py, scikit-learn; the weights ship in data/word-model.json.gz and are applied here in plain
Python). It never names a root cause: scored leave-future-out on the fresh sets of rounds 12h..12v, answering with it
where the rules said `unknown` gained about two right answers for each wrong one, but as the candidates of an
`unknown` answer it names the labelled category three times as often as the rules' own candidates did
(docs/diagnosis.md, "The word model"). So an `unknown` diagnosis gets its readings after the rules' candidates.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent.buildlog import structure
from agent.buildlog.diagnosis import MAX_CANDIDATES, Diagnosis
from agent.buildlog.scanner import ScanResult

MODEL_FILE = Path(__file__).resolve().parents[2] / "data" / "word-model.json.gz"
# Lowercase words and dotted or dashed names (`node-gyp`, `libssl.so`); digits alone and long hex ids are no words.
WORD = re.compile(r"[a-z][a-z0-9_]*(?:[-.][a-z0-9_]+)*")
HEX_ID = re.compile(r"[0-9a-f]{12,}")
# What a candidate the word model adds says of itself (the rules' candidates carry no `by`).
BY = "word-model"


def words(text: str) -> list[str]:
    """The words of a region's text, in order (the training script gives this function to scikit-learn as the
    analyzer, so training and reading cut words the same way)."""
    return WORD.findall(HEX_ID.sub(" ", text.lower()))


def region(scan: ScanResult, step: str | None) -> str:
    """The failing step's region of the log tail (the last REGION_LINES lines of the log for a pasted excerpt)."""
    return "\n".join(structure.step_region(scan, step))


@dataclass(frozen=True)
class WordModel:
    classes: list[str]
    intercept: list[float]
    # word -> (idf, [(class index, weight), ...]); a word whose weights were all pruned still weighs in the norm
    terms: dict[str, tuple[float, list[tuple[int, float]]]]
    about: dict[str, Any]

    def readings(self, text: str) -> list[tuple[str, float]]:
        """Every category with its probability, most likely first; [] when no word of the text is known."""
        counts = Counter(w for w in words(text) if w in self.terms)
        if not counts:
            return []
        weighed = {w: (1.0 + math.log(n)) * self.terms[w][0] for w, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in weighed.values()))
        scores = list(self.intercept)
        for word, value in weighed.items():
            for k, weight in self.terms[word][1]:
                scores[k] += weight * value / norm
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return sorted(zip(self.classes, (e / total for e in exps), strict=True), key=lambda cp: -cp[1])


def load(path: Path = MODEL_FILE) -> WordModel:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        doc = json.load(handle)
    terms = {w: (float(idf), [(int(k), float(v)) for k, v in weights]) for w, (idf, weights) in doc["terms"].items()}
    return WordModel(list(doc["classes"]), [float(b) for b in doc["intercept"]], terms, doc["about"])


@lru_cache(maxsize=1)
def shipped() -> WordModel | None:
    """The shipped model, or None when the file is not there (a diagnosis then keeps the rules' candidates)."""
    return load() if MODEL_FILE.exists() else None


def merged(rules: list[str], model: list[str]) -> list[str]:
    """The candidates of an `unknown` answer: the rules' own first, then the model's readings, each category once,
    `unknown` never, MAX_CANDIDATES in all (scripts/word_model_history.py scores this same list)."""
    out: list[str] = []
    for category in [*rules, *model]:
        if category not in out and category != "unknown":
            out.append(category)
    return out[:MAX_CANDIDATES]


def rank_unknown(diagnosis: Diagnosis, scan: ScanResult, step: str | None, model: WordModel | None = None) -> None:
    """After the rules' candidates of an `unknown` diagnosis, the word model's most likely categories, up to
    MAX_CANDIDATES. A diagnosis with a root cause is left as it is."""
    if diagnosis.root_cause != "unknown":
        return
    model = model or shipped()
    if model is None:
        return
    rules = [c["category"] for c in diagnosis.candidates]
    readings = dict(model.readings(region(scan, step)))
    added = [c for c in merged(rules, list(readings)) if c not in rules]
    diagnosis.candidates = [
        *diagnosis.candidates,
        *({"category": c, "confidence": round(readings[c], 2), "by": BY} for c in added),
    ]
