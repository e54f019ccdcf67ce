#!/usr/bin/env python3
"""reply_scale.py - how long !reply takes on a big invented corpus.

    reply_scale.py --db DB [--bin MISSIVE] [--rounds 3] [--src DIR]

Asks every reply question of tests/relevance/questions.tsv and
questions-blind.tsv (the shipped letters' questions: the invented corpora
of bench/gen_corpus.py are made of the same words), plus three about the
planted rare words, in ONE long-lived `missive console --db DB --timing`,
the way the bot answers: the first pass warms the page cache and is not
counted, then --rounds passes are.  The baseline, in the same process, is
`!quote`.  Prints median, p90, p99 and max of !reply in milliseconds, the
ratio of the !reply median to the !quote median, and how many answers were
errors (a deadline or a database error, not "nothing answers").
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
ERRORS = ("cannot be read", "error", "too costly", "try again")


def questions(src):
    out = []
    for name in ("questions.tsv", "questions-blind.tsv"):
        with open(os.path.join(src, "tests", "relevance", name)) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                kind, who, msg, _ = line.rstrip("\n").split("\t")
                if kind != "reply":
                    continue
                out.append(f"!reply as {who} {msg}" if who != "-" else f"!reply {msg}")
    out += ["!reply what about the Tirpitz?",
            "!reply were the convoys to Murmansk attacked?",
            "!reply will supplies go through Archangel?"]
    return out


def run(binary, db, cmds):
    """Answers and per-command microseconds, in order."""
    p = subprocess.run([binary, "console", "--db", db, "--timing"],
                       input="\n".join(cmds) + "\n", capture_output=True,
                       text=True, timeout=1800)
    times = [int(l.split()[1]) for l in p.stderr.splitlines()
             if l.startswith("timing: ")]
    answers = p.stdout.splitlines()
    if len(times) != len(cmds):
        sys.exit(f"{len(times)} timings for {len(cmds)} commands:\n{p.stderr[-2000:]}")
    return answers, times


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--bin", default=os.path.join(SRC, "build", "missive"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--src", default=SRC)
    a = ap.parse_args()
    qs = questions(a.src)
    quotes = ["!quote"] * len(qs)
    cmds = qs + quotes  # warm-up pass
    for _ in range(a.rounds):
        cmds += qs + quotes
    answers, times = run(a.bin, a.db, cmds)
    n = len(qs)
    reply_t, quote_t, errors = [], [], 0
    for r in range(1, a.rounds + 1):
        base = r * 2 * n
        reply_t += times[base:base + n]
        quote_t += times[base + n:base + 2 * n]
    errors = sum(1 for l in answers if any(e in l.lower() for e in ERRORS))
    ms = [t / 1000 for t in reply_t]
    qmed = statistics.median(quote_t) / 1000
    print(f"db={a.db} questions={n} rounds={a.rounds}")
    print(f"!reply ms: median {statistics.median(ms):.2f}  p90 {pct(ms, .9):.2f}"
          f"  p99 {pct(ms, .99):.2f}  max {max(ms):.2f}")
    print(f"!quote ms: median {qmed:.3f}; !reply/!quote median ratio "
          f"{statistics.median(ms) / qmed:.0f}")
    print(f"error answers (all passes, warm-up included): {errors}")
    worst = sorted(zip(reply_t, qs * a.rounds), reverse=True)[:3]
    for t, q in worst:
        print(f"  slowest: {t / 1000:.1f} ms  {q}")


if __name__ == "__main__":
    main()
