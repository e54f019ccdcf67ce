"""The relevance sets (tests/relevance/) against floors.

Runs tests/relevance/evaluate.py's evaluation with the built binary and the
relevance_rank tool on every set (evaluate.sets(): the shipped corpus and
the three invented fixture corpora) and asserts, per set:

  - the binary and the ranking tool agree on every answer;
  - the set has enough rows to mean something;
  - !reply declines unanswerable questions at least as often as the plain
    bm25 baseline, and when it declines it is mostly right (none-prec);
  - !reply's overall accuracy (answerable right at top-1, unanswerable
    declined) is no worse than the baseline's;
  - !search's top-1 is at least 0.9.

And !reply's top-1 is no worse than the baseline's on the sets the ranking
was tuned on (shipped, larger, larger2).  larger3 was held out: written and
run once after the last change, it gets a floor at the level measured then
(0.846, where bm25 had 0.885; 0.923 with WordNet since issue 13), minus a
margin, so the number is tracked, not hidden.  blind (issue 13's failure
classes on the shipped letters, written before it was run) has floors at
what issue 13 measured after !reply declined by evidence, minus a margin:
top-1 0.839 (bm25 0.839), decline precision 0.833 (it was 0.774 and 0.636
before: questions about a place the letters name, on a topic they lack,
were answered).  A build without WordNet measures less on it (0.806,
0.786), and is held to the lower floors below.  blind2 and evidence (held
out, never tuned on; evidence was written for the refusal by evidence and
first run with it at 0.786 top-1, 0.692 decline precision) and blind3
(written by a reader who never ran the ranker; top-1 .382 before the
refusal by evidence, .471 after, bm25 .529) have floors just under their
figures, to track them.

Prints every table, then "N passed, M failed".
"""
import os
import sys

SRC = os.environ.get("MISSIVE_SOURCE_DIR", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "relevance"))

import evaluate  # noqa: E402

MIN_ROWS = {"shipped": 30, "larger": 15, "larger2": 25, "larger3": 25,
            "blind": 40, "blind2": 40, "evidence": 40,
            "blind3": 40, "blind4": 40, "blind5": 60}
TUNED_ON = ("shipped", "larger", "larger2")
HELD_OUT_TOP1 = 0.85         # larger3 measured 0.885 (0.962 with WordNet)
MIN_NONE_PRECISION = 0.75    # measured 0.778 to 1.000
# Held-out sets on the shipped letters: (top-1, decline precision) floors,
# with WordNet and without it.  Measured: blind .839/.846 (.806/.800),
# blind2 .676/.611 (.588/.611), evidence .821/.750 (.821/.818), blind3
# .500/.476 (.441/.400; before the refusal by evidence .382/.375).  Raised
# with the evidence rules of evidence.c (wording, names only): they were
# .839/.833 (.806/.786), .618/.526 (.559/.526), .786/.692, .471/.455.
# blind4 (written blind on 6 December, first run on main before the evidence
# rules: .486/.438) measured .514/.429 (.543/.538).  Raised with WordNet's
# irregular forms and word senses (concepts.c, reply.c): blind2 .706/.647,
# blind3 .588/.500, blind4 .543/.417 (without WordNet unchanged).  Raised
# with the courtesy classes (question.c) and the addressee's own answer
# (reply.c): blind .871/.846 (.839/.800), blind3 .676/.556 (.500/.435),
# blind4 .571/.417 (.600/.636); larger3 .962 (.885).  Raised with nearness,
# the first answer past unsure passages, titles after a possessive and
# greetings (reply8): blind .903/.917 (.903/.923), blind2 .794/.733
# (.618/.647), blind3 without WordNet .529/.455.  blind5 (written blind
# on 6 December, 77 rows) measured on its first run .510/.400 (.551/.440).
HELD_FLOORS = {
    "blind": {True: (0.88, 0.88), False: (0.88, 0.88)},
    "blind2": {True: (0.77, 0.70), False: (0.59, 0.62)},
    "evidence": {True: (0.80, 0.72), False: (0.78, 0.78)},
    "blind3": {True: (0.65, 0.53), False: (0.50, 0.43)},
    "blind4": {True: (0.55, 0.40), False: (0.58, 0.60)},
    "blind5": {True: (0.50, 0.38), False: (0.53, 0.42)},
}
# !search top-1 floors; 0.9 where not named.  blind5 has five answerable
# !search rows: Missive and plain bm25 both have four right (0.800).
SEARCH_TOP1 = {"blind5": 0.8}


def main():
    checks = []

    def check(name, ok, detail=""):
        checks.append((name, ok))
        print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")

    for name, (corpus, questions) in evaluate.sets().items():
        report, disagreements = evaluate.evaluate(corpus, questions, evaluate.BIN)
        evaluate.print_table(f"{name}: {os.path.basename(questions)}", report)
        check(f"{name}: binary and rank tool agree", not disagreements,
              "; ".join(f"line {r['line']}: {a} vs {b}" for r, a, b in disagreements))
        rows = evaluate.load_rows(questions)
        check(f"{name}: at least {MIN_ROWS[name]} rows", len(rows) >= MIN_ROWS[name],
              str(len(rows)))

        m, b = report[("missive", "reply")], report[("bm25", "reply")]
        if name in HELD_FLOORS:
            top1, prec = HELD_FLOORS[name][evaluate.have_wordnet()]
            check(f"{name}: reply top-1 >= {top1}", m["top1"] >= top1,
                  f"{m['top1']:.3f} (baseline {b['top1']:.3f})")
            check(f"{name}: decline precision >= {prec}",
                  m["none_precision"] >= prec, f"{m['none_precision']:.3f}")
        elif name in TUNED_ON:
            check(f"{name}: reply top-1 >= baseline", m["top1"] >= b["top1"],
                  f"{m['top1']:.3f} vs {b['top1']:.3f}")
        else:
            check(f"{name}: reply top-1 >= {HELD_OUT_TOP1}", m["top1"] >= HELD_OUT_TOP1,
                  f"{m['top1']:.3f} (baseline {b['top1']:.3f})")
        check(f"{name}: reply overall >= baseline", m["overall"] >= b["overall"],
              f"{m['overall']:.3f} vs {b['overall']:.3f}")
        check(f"{name}: unanswerable declined >= baseline",
              m["declined_unanswerable"] >= b["declined_unanswerable"],
              f"{m['declined_unanswerable']:.3f} vs {b['declined_unanswerable']:.3f}")
        if name not in HELD_FLOORS:
            check(f"{name}: decline precision >= {MIN_NONE_PRECISION}",
                  m["none_precision"] >= MIN_NONE_PRECISION,
                  f"{m['none_precision']:.3f}")
        s = report.get(("missive", "search"))  # blind3 has reply rows only
        if s:
            floor = SEARCH_TOP1.get(name, 0.9)
            check(f"{name}: search top-1 >= {floor}", s["top1"] >= floor,
                  f"{s['top1']:.3f}")
        if name == "shipped":
            check("shipped: every unanswerable reply declined",
                  m["declined_unanswerable"] == 1.0, f"{m['declined_unanswerable']:.3f}")
            check("shipped: reply MRR >= baseline", m["mrr"] >= b["mrr"],
                  f"{m['mrr']:.3f} vs {b['mrr']:.3f}")

    failed = sum(1 for _, ok in checks if not ok)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
