"""Train the word model (agent/buildlog/wordmodel.py) on every labelled development log; write data/word-model.json.gz.

  pip install -e '.[train]'      (scikit-learn: training only; reading the model needs nothing but the standard library)
  SHIPSHAPE_SHIPWRIGHT=... python scripts/train_word_model.py [OUT]

The rows are corpus.modern_entries("dev") (the excerpt) and corpus.shipwright_rows("dev") (the whole log), never a
fresh file. Each text goes through the scanner and wordmodel.region, as a diagnosis does, and wordmodel.words cuts it
(scikit-learn's analyzer). Weights under PRUNE are dropped; the file records the rows' fingerprint
(corpus.dev_label_fingerprint: a test fails when the labels change and the model was not trained again) and CHECKS
texts with the probabilities scikit-learn gives for the pruned weights, which tests/test_wordmodel.py compares with
the plain-Python reading.

Nothing here is imported by the agent.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.buildlog import corpus, scanner, wordmodel  # noqa: E402
from agent.buildlog.rootcause import _failed  # noqa: E402

C = 10.0  # inverse regularisation (leave-future-out: 3 and 10 within a point; 10 named the label more often)
MIN_DF = 2  # a word in one log only is that log's, not a category's
PRUNE = 0.01  # weights smaller than this are dropped (the top three readings of every training log stay the same)
CHECKS = 24


def region_of(text: str) -> str:
    """The text a diagnosis would read: the failing step's region of the scanner's tail."""
    scan = scanner().scan(io.BytesIO(text.encode("utf-8", errors="replace")))
    step, _ = _failed(scan)
    return wordmodel.region(scan, step)


def dev_rows() -> list[dict[str, Any]]:
    rows = [{"id": e["source"], "label": e["label"], "text": e["excerpt"]} for e in corpus.modern_entries("dev")]
    rows += [
        {"id": r["id"], "label": r["label"], "text": corpus.log_of(r["id"])} for r in corpus.shipwright_rows("dev")
    ]
    return rows


def fit(texts: list[str], labels: list[str]) -> tuple[dict[str, Any], Any, Any]:
    """(the model document without `about`, the vectorizer, the classifier with pruned weights)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=wordmodel.words, min_df=MIN_DF, sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=C, max_iter=2000).fit(matrix, np.array(labels))
    coef = np.where(np.abs(model.coef_) >= PRUNE, np.round(model.coef_, 4), 0.0)
    model.coef_ = coef
    model.intercept_ = np.round(model.intercept_, 4)
    terms = {}
    for word, j in sorted(vectorizer.vocabulary_.items()):
        weights = [[int(k), float(coef[k, j])] for k in np.nonzero(coef[:, j])[0]]
        terms[word] = [round(float(vectorizer.idf_[j]), 6), weights]
    doc = {
        "classes": [str(c) for c in model.classes_],
        "intercept": [float(b) for b in model.intercept_],
        "terms": terms,
    }
    return doc, vectorizer, model


def main(out: Path) -> None:
    rows = dev_rows()
    texts = [region_of(r["text"]) for r in rows]
    labels = [r["label"] for r in rows]
    doc, vectorizer, model = fit(texts, labels)
    step = max(1, len(rows) // CHECKS)
    checks = []
    for i in range(0, len(rows), step)[:CHECKS]:
        probs = model.predict_proba(vectorizer.transform([texts[i]]))[0]
        top = sorted(zip(model.classes_, probs, strict=True), key=lambda cp: -cp[1])[:3]
        checks.append({"id": rows[i]["id"], "text": texts[i], "top": [[str(c), float(p)] for c, p in top]})
    doc["about"] = {
        "trained_on": len(rows),
        "fingerprint": corpus.dev_label_fingerprint(),
        "modern_files": [p.name for p in corpus.MODERN_DEV],
        "shipwright_files": [p.name for p in corpus.SHIPWRIGHT_DEV],
        "c": C,
        "min_df": MIN_DF,
        "prune": PRUNE,
        "checks": checks,
    }
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as handle:
        json.dump(doc, handle, separators=(",", ":"))
    kept = sum(len(w) for _, w in doc["terms"].values())
    print(f"{out}: {len(rows)} logs, {len(doc['classes'])} categories, {len(doc['terms'])} words, {kept} weights")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else wordmodel.MODEL_FILE)
