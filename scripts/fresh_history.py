"""Issue 12u study: what each round's code answered on that round's fresh held-out logs (docs/diagnosis.md, "What
predicts a wrong answer on fresh logs").

Steps, each a subcommand:

  prep DIR            (current checkout) one JSON file per round, DIR/<round>.json: the round's two fresh files with
                      today's labels, the logs' texts, and how many labels differ from the file as the round measured it
  run ROUND IN OUT    (run with PYTHONPATH and cwd set to a checkout of a commit) diagnose every log of IN with that
                      commit's code, recording what the Diagnosis says and what each stage of the chooser did; run once
                      with the round's own commit (DIR/<round>.out.jsonl) and once with the previous round's
                      (DIR/<round>.prev.jsonl: would the round's changes have answered differently?)
  ages OUT            (current checkout) for every pattern id, the first round whose measured code had it, and the
                      rounds in which its definition changed (the measured commits' data/patterns.yaml compared)
  merge DIR OUT       the rows of DIR/*.out.jsonl with the previous code's answer, as JSON lines (hist-answers.jsonl)
  analyse ANSWERS AGES  the feature tables and the gating policies, each evaluated leave-future-out

Nothing here is imported by the agent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

# round -> (the commit whose code was measured on the round's fresh files, modern file, Shipwright file)
ROUNDS: dict[str, tuple[str, str, str]] = {
    "12f": ("7cf9a13", "modern-holdout6.yaml", "shipwright-holdout7.yaml"),
    "12g": ("2f8fbcd", "modern-holdout7.yaml", "shipwright-holdout8.yaml"),
    "12h": ("6c0ba7a", "modern-holdout8.yaml", "shipwright-holdout9.yaml"),
    "12i": ("dbcb193", "modern-holdout9.yaml", "shipwright-holdout10.yaml"),
    "12j": ("90d89e1", "modern-holdout10.yaml", "shipwright-holdout11.yaml"),
    "12k": ("fbcf2f9", "modern-holdout11.yaml", "shipwright-holdout12.yaml"),
    "12l": ("a351c0f", "modern-holdout12.yaml", "shipwright-holdout13.yaml"),
    "12m": ("de2a78e", "modern-holdout13.yaml", "shipwright-holdout14.yaml"),
    "12n": ("0a29708", "modern-holdout14.yaml", "shipwright-holdout15.yaml"),
    "12o": ("2ee8138", "modern-holdout15.yaml", "shipwright-holdout16.yaml"),
    "12p": ("f05de6e", "modern-holdout16.yaml", "shipwright-holdout17.yaml"),
    "12q": ("99527be", "modern-holdout17.yaml", "shipwright-holdout18.yaml"),
    "12r": ("8da3c1a", "modern-holdout18.yaml", "shipwright-holdout19.yaml"),
    "12s": ("b4f9717", "modern-holdout19.yaml", "shipwright-holdout20.yaml"),
    "12t": ("213c228", "modern-holdout20.yaml", "shipwright-holdout21.yaml"),
}
# the code measured on issue 12e's fresh sets: the patterns it had are older than any round above
BASE = ("12e", "36dc5ee")
MODERN_DIR = "tests/fixtures/buildlogs"
SHIP_DIR = "tests/fixtures/labelled"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def _file_then(commit: str, path: str) -> str:
    """The file as the round measured it: at the measured commit, else as the commit that added it froze it."""
    try:
        return _git("show", f"{commit}:{path}")
    except subprocess.CalledProcessError:
        added = _git("log", "--diff-filter=A", "--format=%H", "--", path).split()[-1]
        return _git("show", f"{added}:{path}")


def prep(out: Path, rounds: dict[str, tuple[str, str, str]] = ROUNDS) -> None:
    import yaml

    from agent.buildlog import corpus

    out.mkdir(parents=True, exist_ok=True)
    for name, (commit, modern, ship) in rounds.items():
        mpath = corpus.REPO / MODERN_DIR / modern
        earlier = corpus.MODERN_DEV[: corpus.MODERN_DEV.index(mpath)]
        seen = {corpus._source_key(e["source"]) for p in earlier for e in corpus._entries(p)}
        rows: list[dict[str, Any]] = []
        then = {
            corpus._source_key(e["source"]): e["label"]
            for e in yaml.safe_load(_file_then(commit, f"{MODERN_DIR}/{modern}"))["entries"]
        }
        changed = {"modern": 0, "shipwright": 0}
        for e in corpus._entries(mpath):
            key = corpus._source_key(e["source"])
            if key in seen:
                continue
            seen.add(key)
            old = then.get(key)
            changed["modern"] += old != e["label"]
            rows.append(
                {
                    "round": name,
                    "set": "modern",
                    "id": e["source"],
                    "label": e["label"],
                    "label_then": old,
                    "doubtful": e.get("doubtful"),
                    "text": e["excerpt"],
                }
            )
        spath = corpus.REPO / SHIP_DIR / ship
        then_s = {r["log"]: r["category"] for r in yaml.safe_load(_file_then(commit, f"{SHIP_DIR}/{ship}"))["labels"]}
        for r in corpus.labels(spath):
            old = then_s.get(r["log"])
            changed["shipwright"] += old != r["category"]
            rows.append(
                {
                    "round": name,
                    "set": "shipwright",
                    "id": r["log"],
                    "label": r["category"],
                    "label_then": old,
                    "doubtful": r.get("doubtful"),
                    "text": corpus.log_of(r["log"]),
                }
            )
        (out / f"{name}.json").write_text(
            json.dumps({"round": name, "commit": commit, "changed": changed, "rows": rows})
        )
        print(name, commit, len(rows), "labels changed since:", changed)


def _reading(reading: Any) -> dict[str, Any] | None:
    if reading is None:
        return None
    best = reading.best()
    return {
        "families": list(reading.families),
        "kinds": sorted(reading.kinds),
        "scores": {k: round(v, 3) for k, v in reading.scores.items()},
        "best": [best[0], round(best[1], 3)] if best else None,
    }


def _state(d: Any) -> dict[str, Any]:
    f = d.findings[0] if d.findings else None
    return {
        "answer": d.root_cause,
        "confidence": round(d.confidence, 3),
        "pattern": f.pattern if f else None,
        "category": f.category if f else None,
        "tier": f.tier if f else None,
    }


def run(round_name: str, inp: Path, out: Path) -> None:
    """Diagnose the round's rows with the code on sys.path (the round's commit), recording each chooser stage."""
    import agent
    from agent.buildlog import arbitrate, calibration, diagnose_bytes, rootcause

    here = Path(agent.__file__).resolve()
    print("agent from", here, file=sys.stderr)
    trace: dict[str, Any] = {}
    orig_read, orig_conf = rootcause._read_structure, rootcause._confidence
    orig_arb, orig_cal = arbitrate.apply, calibration.apply

    def read(*a: Any, **k: Any) -> Any:
        r = orig_read(*a, **k)
        trace["reading"] = _reading(r)
        return r

    def conf(diagnosis: Any, ranked: list[Any], structured: bool) -> None:
        trace["ranked"] = [[h.pattern.id, h.pattern.category, h.pattern.tier, h.line] for h in ranked[:8]]
        trace["structured"] = structured
        orig_conf(diagnosis, ranked, structured)
        trace["literal"] = _state(diagnosis)
        trace["literal_candidates"] = list(diagnosis.candidates)

    def arb(diagnosis: Any, *a: Any, **k: Any) -> None:
        orig_arb(diagnosis, *a, **k)
        trace["arbitrated"] = _state(diagnosis)

    def cal(diagnosis: Any, *a: Any, **k: Any) -> None:
        orig_cal(diagnosis, *a, **k)
        trace["calibrated"] = {**_state(diagnosis), "basis": diagnosis.basis}

    rootcause._read_structure = read
    rootcause._confidence = conf
    arbitrate.apply = arb
    calibration.apply = cal
    doc = json.loads(inp.read_text())
    commit = _git("rev-parse", "--short", "HEAD").strip()
    with out.open("w") as fh:
        for row in doc["rows"]:
            trace.clear()
            d = diagnose_bytes(row["text"])
            root = d.findings[0] if d.findings else None
            rec = {k: v for k, v in row.items() if k != "text"}
            rec.update(
                commit=commit,
                answer=d.root_cause,
                confidence=round(d.confidence, 3),
                basis=d.basis,
                pattern=root.pattern if root else None,
                finding_category=root.category if root else None,
                tier=root.tier if root else None,
                excerpt=root.excerpt if root else None,
                evidence=d.evidence,
                candidates=d.candidates,
                findings=[[f.pattern, f.category, f.tier, f.line] for f in d.findings[:10]],
                failed_step=d.failed_step,
                exit_code=d.exit_code,
                lines=d.lines,
                **{
                    k: trace.get(k)
                    for k in (
                        "reading",
                        "ranked",
                        "structured",
                        "literal",
                        "literal_candidates",
                        "arbitrated",
                        "calibrated",
                    )
                },
            )
            fh.write(json.dumps(rec) + "\n")


def ages(out: Path) -> None:
    """{pattern id: {"first": round, "changed": [rounds whose code changed its definition]}} over the measured
    commits (a pattern "of round r" was in r's measured code and not in the previous round's)."""
    import yaml

    result: dict[str, dict[str, Any]] = {}
    previous: dict[str, str] = {}
    for name, commit in [BASE, *((n, c) for n, (c, _, _) in ROUNDS.items())]:
        doc = yaml.safe_load(_git("show", f"{commit}:data/patterns.yaml"))
        now = {}
        for p in doc["patterns"]:
            definition = json.dumps(
                {k: p.get(k) for k in ("category", "tier", "regex", "evidence", "located")}, sort_keys=True
            )
            now[p["id"]] = definition
            entry = result.setdefault(p["id"], {"first": name, "changed": [], "tiers": {}})
            if p["id"] in previous and previous[p["id"]] != definition:
                entry["changed"].append(name)
            entry["tiers"][name] = [p.get("category"), p.get("tier")]
        previous = now
    out.write_text(json.dumps(result, indent=0, sort_keys=True))
    print(len(result), "pattern ids")


def merge(directory: Path, out: Path) -> None:
    rows = []
    for name in ROUNDS:
        prev = {(p["set"], p["id"]): p for p in map(json.loads, (directory / f"{name}.prev.jsonl").open())}
        for row in map(json.loads, (directory / f"{name}.out.jsonl").open()):
            p = prev[(row["set"], row["id"])]
            row.update(prev_answer=p["answer"], prev_commit=p["commit"], prev_confidence=p["confidence"])
            rows.append(json.dumps(row))
    out.write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "prep":
        prep(Path(sys.argv[2]))
    elif command == "run":
        run(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
    elif command == "ages":
        ages(Path(sys.argv[2]))
    elif command == "merge":
        merge(Path(sys.argv[2]), Path(sys.argv[3]))
    elif command == "analyse":
        from fresh_history_analyse import main

        main(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
