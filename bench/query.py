#!/usr/bin/env python3
"""Times the corpus commands in one long-lived console (issue 14, part 2).

Runs `missive console --db DB --timing`, sends each command ROUNDS times
(interleaved, so cache state is shared fairly), and prints the median and
p99 of the dispatcher's own timing per command, plus the console's peak RSS.
The databases are imported from invented corpora (bench/gen_corpus.py).

    bench/query.py --missive build/missive --db /tmp/missive-scale/1m-query.db
"""
import argparse
import statistics
import subprocess
import sys

COMMANDS = [
    "!search Tirpitz",                      # rare
    "!search war",                          # about half the passages
    "!search soviet troops britain",        # several common words
    "!search war from:stalin",              # common word, filter
    "!search war year:1943",
    "!search Murmansk from:churchill year:1942",
    "!search \"great britain\"",            # phrase
    "!stats",
    "!today",
    "!quote",
    "!quote stalin",
    "!quote 1943",
    "!grep Tirpitz",
    "!grep Murm[a-z]nsk",
    "!grep (Archangel|Tirpitz) question",
    "!grep ^.",
]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--missive", default="build/missive")
    ap.add_argument("--db", required=True)
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--show", action="store_true", help="print one answer each")
    a = ap.parse_args()

    p = subprocess.Popen([a.missive, "console", "--db", a.db, "--timing"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, bufsize=1)
    times = {c: [] for c in COMMANDS}
    answers = {}
    for r in range(a.rounds):
        for c in COMMANDS:
            p.stdin.write(c + "\n")
            p.stdin.flush()
            ans = p.stdout.readline().strip()
            while True:
                line = p.stderr.readline()
                if not line:
                    sys.exit("console ended early")
                if line.startswith("timing:"):
                    times[c].append(int(line.split()[1]) / 1000.0)
                    break
            answers.setdefault(c, ans)
    with open(f"/proc/{p.pid}/status") as f:
        hwm = next(l.split()[1] for l in f if l.startswith("VmHWM"))
    p.stdin.close()
    p.wait()
    print(f"db {a.db}, {a.rounds} rounds, peak RSS {int(hwm) / 1024:.1f} MB")
    print(f"{'command':45} {'median ms':>10} {'p99 ms':>10}")
    for c in COMMANDS:
        xs = times[c]
        print(f"{c:45} {statistics.median(xs):10.3f} {pct(xs, 99):10.3f}")
        if a.show:
            print("    ", answers[c][:150])


if __name__ == "__main__":
    main()
