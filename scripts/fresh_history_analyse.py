"""Issue 12u study, the analysis: `python scripts/fresh_history.py analyse hist-answers.jsonl ages.json`.

Reads each round's answers on its own fresh sets (scripts/fresh_history.py run) and prints
1. the retrospective table (round x set: n, right, unknown, confidently wrong);
2. the precision of confident answers by feature (pooled over 12h..12t);
3. what each gating policy would have done, round by round, using only what was known at that round: pattern ages
   as of that round, and any table learnt from the EARLIER rounds' fresh answers (leave-future-out).
A gate only turns a confident answer into `unknown`: it can cut confidently wrong answers and lose right ones.
Pure Python (the venv has no numpy); nothing here is imported by the agent.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ORDER = ["12e", "12f", "12g", "12h", "12i", "12j", "12k", "12l", "12m", "12n", "12o", "12p", "12q", "12r", "12s", "12t"]
IDX = {r: i for i, r in enumerate(ORDER)}
# the rounds the policies are scored on; 12f and 12g are history only (their answers teach the first tables)
EVAL = ORDER[3:]
Row = dict[str, Any]


def features(r: Row, ages: dict[str, Any]) -> Row:
    """What was knowable when the answer was given (plus the outcome)."""
    i = IDX[r["round"]]
    r["confident"] = r["answer"] != "unknown"
    r["right"] = r["answer"] == r["label"]
    r["wrong"] = r["confident"] and not r["right"]
    p = r["pattern"] or ""
    r["kind"] = "structure" if p.startswith("structure-") else "exit-code" if p.startswith("exit-code-") else "literal"
    a = ages.get(p) if r["kind"] == "literal" else None
    if a is not None:
        r["age"] = i - IDX[a["first"]]  # 0: first in this round's code; "first" 12e means 12e or earlier
        changes = [IDX[c] for c in a["changed"] if IDX[c] <= i]
        r["touched_age"] = i - max([IDX[a["first"]], *changes])  # rounds since new or redefined
    else:
        r["age"] = r["touched_age"] = None
    r["base"], _, agree = (r["basis"] or "none").partition("+")
    r["agree"] = bool(agree)
    best = (r.get("reading") or {}).get("best")
    r["reader_other"] = best is not None and best[0] != r["answer"] and best[1] >= 0.55
    cands = r["candidates"] or []
    r["margin"] = (
        cands[0]["confidence"] - cands[1]["confidence"] if len(cands) > 1 else (cands[0]["confidence"] if cands else 0)
    )
    r["nevid"] = len(r["evidence"] or [])
    r["lit_rival"] = bool({h[1] for h in r["ranked"] or []} - {r["answer"]})
    r["overridden"] = (r.get("literal") or {}).get("answer") != r["answer"]  # the literal winner was not the answer
    r["new_decision"] = r["answer"] != r["prev_answer"]  # the previous round's code answered otherwise
    r["decider"] = p if r["kind"] == "literal" else f"{r['kind']}:{r['answer']}"
    return r


def load(answers: Path, ages_path: Path) -> list[Row]:
    ages = json.loads(ages_path.read_text())
    return [features(json.loads(line), ages) for line in answers.open()]


def outcome(rs: list[Row]) -> tuple[int, int, int, int]:
    return (
        len(rs),
        sum(r["right"] for r in rs),
        sum(r["answer"] == "unknown" and not r["right"] for r in rs),
        sum(r["wrong"] for r in rs),
    )


def retrospective(rows: list[Row]) -> None:
    print("## retrospective: round | set | n | right | unknown | wrong | accuracy | wrong %")
    for rd in ORDER[1:]:
        for s in ("modern", "shipwright"):
            n, right, unk, wrong = outcome([r for r in rows if r["round"] == rd and r["set"] == s])
            print(f"| {rd} | {s} | {n} | {right} | {unk} | {wrong} | {100 * right / n:.1f}% | {100 * wrong / n:.1f}% |")
    for name, rounds in (("12h-12t", EVAL), ("12f-12t", ORDER[1:])):
        for which in ("modern", "shipwright", None):
            n, right, unk, wrong = outcome([r for r in rows if r["round"] in rounds and which in (None, r["set"])])
            share = f"{100 * right / n:.1f}% | {100 * wrong / n:.1f}%"
            print(f"| {name} | {which or 'both'} | {n} | {right} | {unk} | {wrong} | {share} |")


def by_feature(rows: list[Row]) -> None:
    pooled = [r for r in rows if r["round"] in EVAL and r["confident"]]
    tables: list[tuple[str, Callable[[Row], Any]]] = [
        ("set", lambda r: r["set"]),
        ("basis", lambda r: r["basis"]),
        ("kind of decider", lambda r: r["kind"]),
        ("tier of the root finding", lambda r: r["tier"]),
        (
            "confidence band",
            lambda r: (
                "<0.6"
                if r["confidence"] < 0.6
                else "0.6-0.74"
                if r["confidence"] < 0.75
                else "0.75-0.89"
                if r["confidence"] < 0.9
                else ">=0.9"
            ),
        ),
        (
            "pattern age (rounds since first in measured code; literal only)",
            lambda r: None if r["age"] is None else min(r["age"], 4),
        ),
        (
            "rounds since the pattern was new or redefined (literal only)",
            lambda r: None if r["touched_age"] is None else min(r["touched_age"], 4),
        ),
        ("the previous round's code answered otherwise", lambda r: r["new_decision"]),
        ("evidence lines", lambda r: min(r["nevid"], 3)),
        ("structural reader agrees (+agree)", lambda r: r["agree"]),
        ("structural reader names another category (>= 0.55)", lambda r: r["reader_other"]),
        ("the answer is not the literal winner (arbitration chose it)", lambda r: r["overridden"]),
        (
            "margin to the second candidate",
            lambda r: "<0.1" if r["margin"] < 0.1 else "0.1-0.19" if r["margin"] < 0.2 else ">=0.2",
        ),
        ("another category among the step's literal hits", lambda r: r["lit_rival"]),
        ("answer category", lambda r: r["answer"]),
        ("decider (pattern id, or structure/exit-code and its category), >= 2 wrong", lambda r: r["decider"]),
    ]
    for title, key in tables:
        cells: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
        for r in pooled:
            cells[key(r)][0] += 1
            cells[key(r)][1] += r["wrong"]
        print(f"## {title}: value | confident answers | wrong | precision")
        for k, (n, w) in sorted(cells.items(), key=lambda kv: (kv[1][0] - kv[1][1]) / kv[1][0]):
            if title.startswith("decider") and w < 2:
                continue
            print(f"| {k} | {n} | {w} | {100 * (n - w) / n:.1f}% |")
    strong = [r for r in pooled if r["kind"] == "literal" and r["base"] != "summary" and r["confidence"] >= 0.75]
    print(
        f"## strong literal answers (not a summary line, confidence >= 0.75): {len(strong)}, "
        f"wrong {sum(r['wrong'] for r in strong)} of {sum(r['wrong'] for r in pooled)}"
    )
    late = [r for r in rows if IDX[r["round"]] >= IDX["12q"]]
    print(
        f"## 12q-12t: wrong {sum(r['wrong'] for r in late)}, on labels marked doubtful before anything ran "
        f"{sum(r['wrong'] and bool(r['doubtful']) for r in late)} "
        f"(doubtful rows {sum(bool(r['doubtful']) for r in late)} of {len(late)})"
    )
    for rd in EVAL:
        rs = [r for r in rows if r["round"] == rd]
        prev_right = sum(r["prev_answer"] == r["label"] for r in rs)
        prev_wrong = sum(r["prev_answer"] not in ("unknown", r["label"]) for r in rs)
        print(
            f"## {rd}: the previous round's code on this round's fresh logs: right {prev_right}, wrong {prev_wrong}; "
            f"this round's: right {outcome(rs)[1]}, wrong {outcome(rs)[3]}; answers changed "
            f"{sum(r['new_decision'] for r in rs)}"
        )


# ---------------------------------------------------------------- policies, leave-future-out


def history(rows: list[Row], rd: str) -> dict[str, Any]:
    """What the fresh answers of the rounds before `rd` say (tables per decider, basis, category x basis)."""
    hist = [r for r in rows if IDX[r["round"]] < IDX[rd]]
    ctx: dict[str, Any] = {"rows": hist}
    for name, key in (
        ("decider", lambda r: r["decider"]),
        ("basis", lambda r: r["basis"]),
        ("catbase", lambda r: (r["answer"], r["base"], r["agree"])),
    ):
        table: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
        for r in hist:
            if r["confident"]:
                table[key(r)][0] += 1
                table[key(r)][1] += r["wrong"]
        ctx[name] = table
    return ctx


def table_gate(table: str, key: Callable[[Row], Any], below: float, min_wrong: int) -> Callable[[Row, Any], bool]:
    def gate(r: Row, ctx: dict[str, Any]) -> bool:
        n, w = ctx[table].get(key(r), (0, 0))
        return w >= min_wrong and (n - w) / n < below

    return gate


FEATURES = ("agree", "confidence", "margin", "one_line", "lit_rival", "reader_other", "overridden", "modern", "recent")
BASES = ("literal-tier2", "literal-tier3", "summary", "structure", "exit-code")


def vector(r: Row) -> list[float]:
    return [
        1.0,
        *(float(r["base"] == b) for b in BASES),
        float(r["agree"]),
        r["confidence"],
        min(r["margin"], 0.5),
        float(r["nevid"] <= 1),
        float(r["lit_rival"]),
        float(r["reader_other"]),
        float(r["overridden"]),
        float(r["set"] == "modern"),
        float(r["touched_age"] is not None and r["touched_age"] <= 1),
    ]


def logistic(rs: list[Row], ridge: float = 1.0, steps: int = 25) -> list[float]:
    """Ridge logistic regression of `wrong` on vector(), by Newton's method (pure Python)."""
    xs = [vector(r) for r in rs]
    ys = [float(r["wrong"]) for r in rs]
    k = len(xs[0])
    w = [0.0] * k
    for _ in range(steps):
        grad = [ridge * w[j] * (j > 0) for j in range(k)]
        hess = [[ridge * (i == j and i > 0) for j in range(k)] for i in range(k)]
        for x, y in zip(xs, ys, strict=True):
            p = 1 / (1 + math.exp(-sum(a * b for a, b in zip(w, x, strict=True))))
            for i in range(k):
                grad[i] += (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        for i in range(k):
            hess[i][i] += 1e-9
        step = _solve(hess, grad)
        w = [a - b for a, b in zip(w, step, strict=True)]
    return w


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda i: abs(m[i][c]))
        m[c], m[p] = m[p], m[c]
        for i in range(n):
            if i != c and m[c][c]:
                f = m[i][c] / m[c][c]
                m[i] = [x - f * y for x, y in zip(m[i], m[c], strict=True)]
    return [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]


def p_wrong(w: list[float], r: Row) -> float:
    return 1 / (1 + math.exp(-sum(a * b for a, b in zip(w, vector(r), strict=True))))


def with_model(rows: list[Row]) -> Callable[[str], dict[str, Any]]:
    cache: dict[str, dict[str, Any]] = {}

    def ctx_of(rd: str) -> dict[str, Any]:
        if rd not in cache:
            ctx = history(rows, rd)
            answered = [r for r in ctx["rows"] if r["confident"]]
            ctx["w"] = logistic(answered)
            # the threshold that would have brought the history's own confidently wrong share to 2%
            scored = sorted(((p_wrong(ctx["w"], r), r["wrong"]) for r in answered), reverse=True)
            wrong, threshold = sum(r["wrong"] for r in answered), 1.0
            for p, was_wrong in scored:
                if wrong <= 0.02 * len(ctx["rows"]):
                    break
                wrong -= was_wrong
                threshold = p
            ctx["t2"] = threshold
            cache[rd] = ctx
        return cache[rd]

    return ctx_of


def conf_lfo(ctx: dict[str, Any]) -> float:
    """The lowest confidence threshold (0.55..0.95 by 0.05) that brings the history to <= 2% confidently wrong."""
    hist = ctx["rows"]
    for c in (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        if sum(r["wrong"] and r["confidence"] >= c for r in hist) <= 0.02 * len(hist):
            return c
    return 1.0


POLICIES: list[tuple[str, Callable[[Row, Any], bool]]] = [
    ("none (as measured)", lambda r, c: False),
    *[(f"confidence < {t}", lambda r, c, t=t: r["confidence"] < t) for t in (0.6, 0.65, 0.7, 0.75, 0.8)],
    (
        "confidence < the lowest threshold giving <= 2% on earlier rounds (LFO)",
        lambda r, c: r["confidence"] < conf_lfo(c),
    ),
    (
        "pattern first in this or the previous round's code, no agreement",
        lambda r, c: r["age"] is not None and r["age"] <= 1 and not r["agree"],
    ),
    (
        "pattern new or redefined in this or the previous round, no agreement",
        lambda r, c: r["touched_age"] is not None and r["touched_age"] <= 1 and not r["agree"],
    ),
    ("answer differs from the previous round's code (shadow run)", lambda r, c: r["new_decision"]),
    ("structural answers -> unknown", lambda r, c: r["kind"] == "structure"),
    (
        "structure, exit-code, summary, unagreed tier 3 -> unknown",
        lambda r, c: (
            r["kind"] != "literal" or r["base"] == "summary" or (r["base"] == "literal-tier3" and not r["agree"])
        ),
    ),
    ("answer is not the literal winner -> unknown", lambda r, c: r["overridden"]),
    ("margin to the second candidate < 0.2", lambda r, c: r["margin"] < 0.2),
    ("structural reader names another category", lambda r, c: r["reader_other"]),
    (
        "one evidence line, no agreement, confidence < 0.8",
        lambda r, c: r["nevid"] <= 1 and not r["agree"] and r["confidence"] < 0.8,
    ),
    ("LFO basis table: earlier fresh precision < 0.9 (>= 2 wrong)", table_gate("basis", lambda r: r["basis"], 0.9, 2)),
    (
        "LFO category x basis table: < 0.9 (>= 2 wrong)",
        table_gate("catbase", lambda r: (r["answer"], r["base"], r["agree"]), 0.9, 2),
    ),
    ("LFO decider table: < 0.8 (>= 1 wrong)", table_gate("decider", lambda r: r["decider"], 0.8, 1)),
    ("LFO decider table: < 0.5 (>= 2 wrong)", table_gate("decider", lambda r: r["decider"], 0.5, 2)),
    ("LFO logistic model: P(wrong) > 0.2", lambda r, c: p_wrong(c["w"], r) > 0.2),
    ("LFO logistic model: threshold giving 2% on earlier rounds", lambda r, c: p_wrong(c["w"], r) >= c["t2"]),
]


def policies(rows: list[Row]) -> None:
    ctx_of = with_model(rows)
    print(
        "## policy | accuracy before -> after | wrong before -> after (%) | right lost | wrong cut | modern "
        "acc, wrong | Shipwright acc, wrong | rounds <= 2% | worst round | rounds where cut >= lost"
    )
    for name, gate in POLICIES:
        tot: Counter[tuple[str, str]] = Counter()
        per_round = []
        for rd in EVAL:
            ctx = ctx_of(rd)
            c: Counter[tuple[str, str]] = Counter()
            for r in (x for x in rows if x["round"] == rd):
                held = r["confident"] and gate(r, ctx)
                for k in (r["set"], "all"):
                    c[(k, "n")] += 1
                    c[(k, "right0")] += r["right"]
                    c[(k, "wrong0")] += r["wrong"]
                    c[(k, "right")] += r["right"] and not held
                    c[(k, "wrong")] += r["wrong"] and not held
            per_round.append(c)
            tot.update(c)

        def pct(k: str, what: str, tot: Counter[tuple[str, str]] = tot) -> str:
            return f"{100 * tot[(k, what)] / tot[(k, 'n')]:.1f}%"

        ok = sum(c[("all", "wrong")] <= 0.02 * c[("all", "n")] for c in per_round)
        worst = max(c[("all", "wrong")] / c[("all", "n")] for c in per_round)
        pays = sum(
            c[("all", "wrong0")] - c[("all", "wrong")] >= c[("all", "right0")] - c[("all", "right")] for c in per_round
        )
        print(
            f"| {name} | {pct('all', 'right0')} -> {pct('all', 'right')} | {tot[('all', 'wrong0')]} -> "
            f"{tot[('all', 'wrong')]} ({pct('all', 'wrong')}) | {tot[('all', 'right0')] - tot[('all', 'right')]} | "
            f"{tot[('all', 'wrong0')] - tot[('all', 'wrong')]} | {pct('modern', 'right')}, {tot[('modern', 'wrong')]} "
            f"({pct('modern', 'wrong')}) | {pct('shipwright', 'right')}, {tot[('shipwright', 'wrong')]} "
            f"({pct('shipwright', 'wrong')}) | {ok}/{len(EVAL)} | {100 * worst:.1f}% | {pays}/{len(EVAL)} |"
        )


def main(answers: Path, ages_path: Path) -> None:
    rows = load(answers, ages_path)
    retrospective(rows)
    by_feature(rows)
    policies(rows)
