"""The relevance sets (tests/relevance/) against floors.

Runs tests/relevance/evaluate.py's evaluation with the built binary and the
relevance_rank tool, on the shipped corpus with questions.tsv and on the
larger fixture corpus with questions-larger.tsv, and asserts:

  - the binary and the ranking tool agree on every answer;
  - every unanswerable question of the shipped set is declined;
  - !reply's top-1 on the shipped set is at least 0.9, and its top-1, MRR
    and overall accuracy are no worse than the plain bm25 baseline's;
  - on the larger set, which was not used to tune, looser floors: the
    numbers measured when it was written, minus a margin.

Prints both tables, then "N passed, M failed".
"""
import glob
import os
import sys

SRC = os.environ.get("MISSIVE_SOURCE_DIR", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "relevance"))

import evaluate  # noqa: E402


def main():
    checks = []

    def check(name, ok, detail=""):
        checks.append((name, ok))
        print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")

    shipped = [os.path.join(SRC, "data", "stalin-churchill-1941.txt")]
    larger = sorted(glob.glob(os.path.join(SRC, "tests", "fixtures", "larger", "*.txt")))
    sets = [
        ("shipped", shipped, os.path.join(SRC, "tests", "relevance", "questions.tsv")),
        ("larger", larger, os.path.join(SRC, "tests", "relevance", "questions-larger.tsv")),
    ]
    reports = {}
    for name, corpus, questions in sets:
        report, disagreements = evaluate.evaluate(corpus, questions, evaluate.BIN)
        evaluate.print_table(f"{name}: {os.path.basename(questions)}", report)
        reports[name] = report
        check(f"{name}: binary and rank tool agree", not disagreements,
              "; ".join(f"line {r['line']}: {a} vs {b}" for r, a, b in disagreements))
        rows = evaluate.load_rows(questions)
        check(f"{name}: at least 30 rows" if name == "shipped" else f"{name}: at least 15 rows",
              len(rows) >= (30 if name == "shipped" else 15), str(len(rows)))

    m, b = reports["shipped"][("missive", "reply")], reports["shipped"][("bm25", "reply")]
    check("shipped: reply top-1 >= 0.9", m["top1"] >= 0.9, f"{m['top1']:.3f}")
    check("shipped: every unanswerable reply declined",
          m["declined_unanswerable"] == 1.0, f"{m['declined_unanswerable']:.3f}")
    check("shipped: reply top-1 >= baseline", m["top1"] >= b["top1"],
          f"{m['top1']:.3f} vs {b['top1']:.3f}")
    check("shipped: reply MRR >= baseline", m["mrr"] >= b["mrr"],
          f"{m['mrr']:.3f} vs {b['mrr']:.3f}")
    check("shipped: reply overall >= baseline", m["overall"] >= b["overall"],
          f"{m['overall']:.3f} vs {b['overall']:.3f}")
    s = reports["shipped"][("missive", "search")]
    check("shipped: search top-1 >= 0.9", s["top1"] >= 0.9, f"{s['top1']:.3f}")

    m = reports["larger"][("missive", "reply")]
    check("larger: reply top-1 >= 0.65", m["top1"] >= 0.65, f"{m['top1']:.3f}")
    check("larger: reply MRR >= 0.75", m["mrr"] >= 0.75, f"{m['mrr']:.3f}")
    check("larger: unanswerable declined >= 0.8", m["declined_unanswerable"] >= 0.8,
          f"{m['declined_unanswerable']:.3f}")
    s = reports["larger"][("missive", "search")]
    check("larger: search top-1 >= 0.9", s["top1"] >= 0.9, f"{s['top1']:.3f}")

    failed = sum(1 for _, ok in checks if not ok)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
