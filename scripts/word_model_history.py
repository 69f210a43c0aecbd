"""Issue 12w study: the word model (agent/buildlog/wordmodel.py) scored leave-future-out on the fresh sets of rounds
12h..12v, beside the rules each round measured (docs/diagnosis.md, "The word model").

  python scripts/word_model_history.py prep DIR     (fresh_history's prep with the later rounds: rows and texts)
  PYTHONPATH=<the round's commit> python scripts/fresh_history.py run ROUND DIR/ROUND.json DIR/ROUND.out.jsonl
  SHIPSHAPE_SHIPWRIGHT=... python scripts/word_model_history.py score DIR

For each round the model is trained (scripts/train_word_model.fit, the shipped settings) on the development files
that came before the round's fresh files, as they are labelled today, and read the round's fresh logs. Printed per
round and pooled: the model alone (its top reading), and on the logs the round's rules answered `unknown`: whether
the label is among the rules' candidates, the model's top three, and the candidates rank_unknown gives (the rules'
first, then the model's, three in all); and what answering with the model's top reading where the rules said
`unknown` would have done (right and wrong answers gained) at a floor on its probability.

Needs scikit-learn (pip install -e '.[train]'). Nothing here is imported by the agent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from fresh_history import ROUNDS  # noqa: E402
from train_word_model import fit, region_of  # noqa: E402

from agent.buildlog import corpus  # noqa: E402
from agent.buildlog.diagnosis import MAX_CANDIDATES  # noqa: E402
from agent.buildlog.wordmodel import merged  # noqa: E402

# the rounds measured since the 12u study's list: (commit, modern fresh file, Shipwright fresh file)
LATER = {
    "12u": ("a8e9051", "modern-holdout21.yaml", "shipwright-holdout22.yaml"),
    "12v": ("85de2dd", "modern-holdout22.yaml", "shipwright-holdout23.yaml"),
}
SCORED = [r for r in [*ROUNDS, *LATER] if r >= "12h"]
FLOORS = (0.0, 0.5, 0.7, 0.9)


def _dev_before(modern_file: str, ship_file: str) -> list[tuple[str, str]]:
    """(text, label) of the development rows in the files before the round's fresh ones."""
    names = [p.name for p in corpus.MODERN_DEV]
    rows = []
    for path, entries in corpus.modern_dev_files():
        if names.index(path.name) < names.index(modern_file):
            rows += [(e["excerpt"], e["label"]) for e in entries]
    ship = [p.name for p in corpus.SHIPWRIGHT_DEV]
    for path in corpus.SHIPWRIGHT_DEV[: ship.index(ship_file)]:
        rows += [(corpus.log_of(r["log"]), r["category"]) for r in corpus.labels(path)]
    return rows


def score(directory: Path) -> None:
    from collections import Counter

    regions: dict[str, str] = {}
    pooled: dict[tuple[str, str], Counter[str]] = {}
    for name in SCORED:
        _, modern_file, ship_file = {**ROUNDS, **LATER}[name]
        train = _dev_before(modern_file, ship_file)
        for text, _ in train:
            if text not in regions:
                regions[text] = region_of(text)
        texts = [regions[t] for t, _ in train]
        _, vectorizer, model = fit(texts, [label for _, label in train])
        fresh = {(r["set"], r["id"]): r["text"] for r in json.loads((directory / f"{name}.json").read_text())["rows"]}
        answers = [json.loads(line) for line in (directory / f"{name}.out.jsonl").open()]
        probs = model.predict_proba(vectorizer.transform([region_of(fresh[(a["set"], a["id"])]) for a in answers]))
        for answer, p in zip(answers, probs, strict=True):
            order = sorted(zip(model.classes_, p, strict=True), key=lambda cp: -cp[1])
            top = [str(c) for c, _ in order[:MAX_CANDIDATES]]
            label, got = answer["label"], answer["answer"]
            rules = [x["category"] for x in answer.get("candidates") or []]
            keys = [(name, answer["set"]), ("12h-12v", answer["set"])] + [("12q-12v", answer["set"])] * (name >= "12q")
            for key in keys:
                c = pooled.setdefault(key, Counter())
                c["n"] += 1
                c["rules right"] += got == label
                c["model right"] += top[0] == label
                if got != "unknown" or label == "unknown":
                    continue
                c["unknown"] += 1
                c["in rules' candidates"] += label in rules[:MAX_CANDIDATES]
                c["in model's top 3"] += label in top
                c["in rank_unknown's"] += label in merged(rules, top)
                for floor in FLOORS:
                    if order[0][1] >= floor:
                        c[f"fill>={floor} right"] += top[0] == label
                        c[f"fill>={floor} wrong"] += top[0] != label
        print(name, "trained on", len(train), flush=True)
    for (part, kind), c in pooled.items():
        fills = ", ".join(f">={f}: +{c[f'fill>={f} right']} right +{c[f'fill>={f} wrong']} wrong" for f in FLOORS)
        by_rules, top3, both = c["in rules' candidates"], c["in model's top 3"], c["in rank_unknown's"]
        print(
            f"{part} {kind}: {c['n']} logs; rules {c['rules right']} right, model alone {c['model right']}; "
            f"rules unknown {c['unknown']}: label in the rules' candidates {by_rules}, in the model's top 3 {top3}, "
            f"in rank_unknown's {both}; answering with the model where the rules said unknown: {fills}"
        )


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "prep":
        from fresh_history import prep

        prep(Path(argv[1]), {**ROUNDS, **LATER})
        return
    if len(argv) == 2 and argv[0] == "score":
        score(Path(argv[1]))
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
