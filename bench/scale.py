#!/usr/bin/env python3
"""scale.py - Missive at 10k/100k/1M passages against plain SQLite, one command.

Builds (RelWithDebInfo, -DMISSIVE_BENCH=ON), generates invented corpora with
bench/gen_corpus.py (reused when FILE and FILE.json exist), imports each one
(wall time, peak RSS from wait4's rusage, database size), loads the same
passages into plain SQLite with bench/sqlbase (table + FTS5) as the
baseline, then times the issue's commands in ONE long-lived
`missive console --timing` and the nearest plain query in ONE sqlbase,
repeated for median and p99, counting answers that are errors.

    python3 bench/scale.py --sizes 10k          # a quick run (CI smoke)
    python3 bench/scale.py --sizes 10k,100k,1m  # the README table

Exit status 1 when a command answered with an error or a step failed;
timings are never asserted.
"""
import argparse
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
# What Missive says when a command failed for load or cost (chat/commands.c).
ERRORS = ("cannot be read just now", "too costly", "i know no author")
SENTINEL = "!nosuchbench"

# (row label, Missive command, sqlbase kind, sqlbase argument).  Words come
# from the generator's vocabulary: "the" is in about half the passages (the
# generator draws the shipped letters' word frequencies), the planted rare
# word "Tirpitz" in 0.05%.
ROWS = [
    ("!quote", "!quote", "quote", ""),
    # !quote takes an author and a year as bare words ("from:" is !search's).
    ("!quote stalin", "!quote stalin", "quote", ""),
    ("!quote churchill 1943", "!quote churchill 1943", "quote", ""),
    ("!search half the passages", "!search soviet", "match", "soviet"),
    ("!search rare word", "!search Murmansk", "match", "murmansk"),
    ("!search three common words", "!search war british front", "match", "war british front"),
    # "second front" is in no generated passage; this phrase is in 0.4%.
    ("!search phrase", '!search "great britain"', "match", '"great britain"'),
    ("!search from: year:", "!search from:Stalin year:1942 front", "match", "front"),
    ("!search common word, one filter", "!search soviet year:1943", "match", "soviet"),
    ("!search rare word, filter", "!search from:Churchill Murmansk", "match", "murmansk"),
    ("!reply natural question", "!reply what do you think of the second front?", "match",
     "second OR front OR think"),
    ("!reply another question", "!reply will the convoys reach Archangel soon?", "match",
     "convoys OR reach OR archangel"),
    ("!grep Tirpitz", "!grep Tirpitz", "grep", "Tirpitz"),
    ("!grep no literal", "!grep \\w+ \\d", "grep", " "),
    ("!stats", "!stats", "stats", ""),
    ("!today", "!today", "quote", ""),
]


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


GNU_TIME = "/usr/bin/time"


def run_measured(argv, **kw):
    """Runs argv to the end: (exit status, wall seconds, peak RSS in KiB,
    CPU seconds: user + sys of the child and what it waited for; on a shared
    machine the figure to compare, wall time swings with the load).

    A child forked from this script starts with the script's RSS (~16 MB),
    and Linux keeps that peak across exec, so wait4's ru_maxrss is never
    below it.  GNU time (Debian "time"), forked first, forks the program
    from its own small image and reports the program's peak alone; without
    it the figure is wait4's, a floor of the script's RSS included."""
    rss_file = None
    if os.access(GNU_TIME, os.X_OK):
        rss_file = "%s/scale-rss.%d" % (os.environ.get("TMPDIR", "/tmp"), os.getpid())
        argv = [GNU_TIME, "-q", "-f", "%M", "-o", rss_file] + list(argv)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, **kw)
    _, status, ru = os.wait4(proc.pid, 0)
    secs = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss = ru.ru_maxrss
    cpu = ru.ru_utime + ru.ru_stime
    if rss_file:
        try:
            with open(rss_file) as f:
                rss = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
        finally:
            if os.path.exists(rss_file):
                os.unlink(rss_file)
    return proc.returncode, secs, rss, cpu


def db_size(path):
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def build(args):
    subprocess.run(["cmake", "-S", SOURCE, "-B", args.build, "-DMISSIVE_BENCH=ON",
                    "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", args.build, "-j2", "--target", "missive", "sqlbase"],
                   check=True, stdout=subprocess.DEVNULL)


def corpus(args, size):
    path = os.path.join(args.workdir, size + ".txt")
    if not (os.path.exists(path) and os.path.exists(path + ".json")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "--passages",
                        str(SIZES[size]), "--seed", str(args.seed), "--out", path], check=True)
    return path


def timings(err_text):
    return [int(m) / 1000.0 for m in re.findall(r"^timing: (\d+) us$", err_text, re.M)]


def time_missive(args, db, repeat):
    """One console for every command: each followed by a sentinel whose
    answer ("Unknown command") splits stdout into the commands' answers."""
    rnd = random.Random(args.seed)
    order = [r for r in ROWS for _ in range(repeat)]
    rnd.shuffle(order)
    lines = []
    for r in order:
        lines += [r[1], SENTINEL]
    proc = subprocess.run([args.missive, "console", "--db", db, "--timing"],
                          input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=args.timeout)
    t = timings(proc.stderr)
    answers = proc.stdout.split("Unknown command %s. Try !help" % SENTINEL)
    if proc.returncode != 0 or len(t) != len(lines) or len(answers) < len(order):
        sys.exit("scale.py: console gave %d timings for %d commands (exit %d): %s"
                 % (len(t), len(lines), proc.returncode, proc.stderr[-500:]))
    res = {r[0]: {"ms": [], "errors": 0, "sample": ""} for r in ROWS}
    for i, r in enumerate(order):
        row = res[r[0]]
        row["ms"].append(t[2 * i])
        ans = answers[i].strip()
        low = ans.lower()
        if not ans or any(e in low for e in ERRORS):
            row["errors"] += 1
            row["sample"] = ans[:120] or "(no answer)"
    return res


def time_plain(args, db, repeat):
    order = [r for r in ROWS for _ in range(repeat)]
    lines = ["%s\t%s" % (r[2], r[3]) for r in order]
    proc = subprocess.run([args.sqlbase, "query", db], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=args.timeout)
    t = timings(proc.stderr)
    if proc.returncode != 0 or len(t) != len(lines):
        sys.exit("scale.py: sqlbase failed: " + proc.stderr[-500:])
    res = {r[0]: [] for r in ROWS}
    for i, r in enumerate(order):
        res[r[0]].append(t[i])
    return res


def import_table(out, secs, rss, size_db, psecs, prss, size_plain, tsecs, trss, size_tri, cpu):
    out("")
    out("| import | seconds | CPU s | peak RSS MB | DB MB |")
    out("|---|---|---|---|---|")
    out("| missive import | %.2f | %.2f | %.1f | %.1f |" % (secs, cpu["mine"], rss / 1024.0, size_db / 1e6))
    out("| plain SQLite (table + FTS5) | %.2f | %.2f | %.1f | %.1f |"
        % (psecs, cpu["plain"], prss / 1024.0, size_plain / 1e6))
    out("| plain SQLite (table + FTS5 + trigram) | %.2f | %.2f | %.1f | %.1f |"
        % (tsecs, cpu["tri"], trss / 1024.0, size_tri / 1e6))
    out("| ratio to table + FTS5 | %.2f | %.2f | | %.3f |"
        % (secs / psecs if psecs else 0, cpu["mine"] / cpu["plain"] if cpu["plain"] else 0,
           size_db / size_plain))
    out("| ratio to table + FTS5 + trigram | %.2f | %.2f | | %.3f |"
        % (secs / tsecs if tsecs else 0, cpu["mine"] / cpu["tri"] if cpu["tri"] else 0,
           size_db / size_tri))


def one_size(args, size, out):
    text = corpus(args, size)
    with open(text + ".json") as f:
        meta = json.load(f)
    db = os.path.join(args.workdir, "%s-scale.db" % size)
    plain = os.path.join(args.workdir, "%s-scale-plain.db" % size)
    plaintri = os.path.join(args.workdir, "%s-scale-plaintri.db" % size)

    def unlink_all():
        for p in (db, plain, plaintri):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(p + suffix):
                    os.unlink(p + suffix)

    # The import and both plain loads, --import-repeat times in turn (each
    # into a fresh file): the median time and RSS of each.  The plain loads:
    # sqlbase "load" (table + FTS5) and "load-tri" (the same plus a trigram
    # index defined as passages_tri, the two indexes Missive keeps).
    reuse = (args.reuse and not args.import_only
             and os.path.exists(db) and os.path.exists(plain))
    runs = {"mine": [], "plain": [], "tri": []}
    cpus = {"mine": [], "plain": [], "tri": []}
    for _ in range(0 if reuse else max(1, args.import_repeat)):
        unlink_all()
        for key, argv in (("mine", [args.missive, "import", "--db", db, text]),
                          ("plain", [args.sqlbase, "load", plain, text]),
                          ("tri", [args.sqlbase, "load-tri", plaintri, text])):
            rc, t, r, c = run_measured(argv, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            if rc != 0:
                sys.exit("scale.py: %s failed (%d)" % (" ".join(argv), rc))
            runs[key].append((t, r))
            cpus[key].append(c)
    if not reuse:
        secs, rss = pct([t for t, _ in runs["mine"]], 50), pct([r for _, r in runs["mine"]], 50)
        psecs, prss = pct([t for t, _ in runs["plain"]], 50), pct([r for _, r in runs["plain"]], 50)
        tsecs, trss = pct([t for t, _ in runs["tri"]], 50), pct([r for _, r in runs["tri"]], 50)
        size_db, size_plain, size_tri = db_size(db), db_size(plain), db_size(plaintri)
        cpu = {k: pct(v, 50) for k, v in cpus.items()}
    if not args.keep and os.path.exists(plaintri):
        os.unlink(plaintri)
    if args.import_only:
        out("")
        out("## %s: %d passages, %d letters, %.1f MB of text, import only, median of %d"
            % (size, meta["passages"], meta["letters"], meta["bytes"] / 1e6,
               max(1, args.import_repeat)))
        import_table(out, secs, rss, size_db, psecs, prss, size_plain, tsecs, trss, size_tri, cpu)
        if not args.keep:
            unlink_all()
        return 0
    repeat = args.repeat or (50 if SIZES[size] <= 100_000 else 20)
    mine = time_missive(args, db, repeat)
    base = time_plain(args, plain, repeat)

    out("")
    out("## %s: %d passages, %d letters, %.1f MB of text, %d runs a command"
        % (size, meta["passages"], meta["letters"], meta["bytes"] / 1e6, repeat))
    out("")
    out("| command | median ms | p99 ms | plain median ms | ratio | errors |")
    out("|---|---|---|---|---|---|")
    errors = 0
    for r in ROWS:
        m, b = mine[r[0]], base[r[0]]
        med, p99, bmed = pct(m["ms"], 50), pct(m["ms"], 99), pct(b, 50)
        ratio = med / bmed if bmed > 0 else float("inf")
        errors += m["errors"]
        out("| `%s` | %.3f | %.3f | %.3f | %.2f | %d |" % (r[1], med, p99, bmed, ratio, m["errors"]))
    if not reuse:
        import_table(out, secs, rss, size_db, psecs, prss, size_plain, tsecs, trss, size_tri, cpu)
    for r in ROWS:
        if mine[r[0]]["errors"]:
            out("error sample, %s: %s" % (r[0], mine[r[0]]["sample"]))
    if not args.keep and not reuse:
        unlink_all()
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10k,100k", help="comma-separated: 10k, 100k, 1m")
    ap.add_argument("--build", default=os.path.join(SOURCE, "build-bench"),
                    help="build directory (default build-bench)")
    ap.add_argument("--no-build", action="store_true", help="use the binaries in --build as they are")
    ap.add_argument("--workdir", default="/tmp/missive-scale", help="corpora and databases")
    ap.add_argument("--seed", type=int, default=1941)
    ap.add_argument("--repeat", type=int, default=0, help="runs a command (default 50, 20 at 1m)")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    ap.add_argument("--import-repeat", type=int, default=1,
                    help="imports and plain loads a size, for their median (default 1)")
    ap.add_argument("--import-only", action="store_true",
                    help="time the import and the plain loads, not the commands")
    ap.add_argument("--reuse", action="store_true",
                    help="time the databases already in --workdir (SIZE-scale.db and"
                         " SIZE-scale-plain.db) without importing; no import table")
    ap.add_argument("--out", default=None, help="results file (default BUILD/bench/scale-results.md)")
    args = ap.parse_args()
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            ap.error("unknown size %r (10k, 100k, 1m)" % s)
    os.makedirs(args.workdir, exist_ok=True)
    if not args.no_build:
        build(args)
    args.missive = os.path.join(args.build, "missive")
    args.sqlbase = os.path.join(args.build, "bench", "sqlbase")
    out_path = args.out or os.path.join(args.build, "bench", "scale-results.md")
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as f:
        def out(line):
            print(line, flush=True)
            f.write(line + "\n")
        out("# bench/scale.py, %s, %d CPUs, SQLite %s"
            % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(),
               sqlite3.sqlite_version))
        errors = sum(one_size(args, s, out) for s in sizes)
    print("results in " + out_path)
    if errors:
        print("scale.py: %d answer(s) were errors" % errors, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
