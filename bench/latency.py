#!/usr/bin/env python3
"""latency.py - reply latency of Missive against a minimal libircclient bot.

One ngircd on 127.0.0.1 (penalties off, so the server never delays a line),
bench/echobot in #echo and `missive run` in #missive, in the same run.  A
client sends N `!quote` alternating between the two channels, one at a time
(each waits for its reply), and reports median and p99 latency of each bot and
of the per-pair difference (Missive - echo).  Then several clients send
10,000 commands to Missive over time and its RSS (VmRSS) is read before and
after.  Missive's config sets its flood and rate limits high for the bench.

If the missive binary has no `run` subcommand yet, Missive is skipped with a
message and the RSS phase runs against the echobot, so the script itself is
exercised.  Every loop is bounded; every process is ended by PID.

usage: bench/latency.py [--build DIR] [-n 200] [--load 10000] [--rate 100] [--out FILE]
Build the baseline first: cmake -DMISSIVE_BENCH=ON ... && cmake --build ... --target echobot
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
import ircharness as h  # noqa: E402

MAX_N = 5000
MAX_LOAD = 50000
REPLY_TIMEOUT = 5.0
LOAD_COMMANDS = ["!quote", "!quote 1.4", "!search finland", "!search Eden Moscow",
                 "!quote churchill", "!help", "!more", "!reply will you send Eden to Moscow?"]


def pct(values, p):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def fmt(ms):
    return "   n/a" if ms is None else "%7.3f" % ms


class Target:
    def __init__(self, label, nick, channel, proc_pid):
        self.label = label
        self.nick = nick
        self.channel = channel
        self.pid = proc_pid
        self.lat = []
        self.missed = 0


def wait_bot_joined(client, nick, channel, timeout=20.0):
    client.expect(r"^:%s!\S+ JOIN :?%s$" % (re.escape(nick), re.escape(channel)),
                  timeout=timeout, since=0)


def one_round(client, target, text="!quote"):
    """Send one command, wait for the bot's first line in the channel."""
    pattern = r"^:%s!\S+ (PRIVMSG|NOTICE) (%s|%s) :" % (re.escape(target.nick), re.escape(target.channel),
                                                        re.escape(client.nick))
    since = client.mark()
    t0 = time.monotonic()
    client.privmsg(target.channel, text)
    try:
        client.expect(pattern, timeout=REPLY_TIMEOUT, flags=re.I, since=since)
    except h.HarnessError:
        target.missed += 1
        return None
    idx = client.cursor - 1
    ms = (client.times[idx] - t0) * 1000.0
    target.lat.append(ms)
    return ms


def latency_phase(client, targets, n, pace_s, out):
    pairs = []
    for i in range(n):
        got = []
        for t in targets:
            got.append(one_round(client, t))
            time.sleep(pace_s)
        if len(targets) == 2 and None not in got:
            pairs.append(got[1] - got[0])
    out("latency: %d rounds, one command in flight at a time, pace %.0f ms" % (n, pace_s * 1000))
    out("  %-12s %8s %8s %8s %8s %7s" % ("bot", "median", "p99", "min", "max", "missed"))
    for t in targets:
        out("  %-12s %s %s %s %s %7d  (ms)" % (
            t.label, fmt(statistics.median(t.lat) if t.lat else None), fmt(pct(t.lat, 99)),
            fmt(min(t.lat) if t.lat else None), fmt(max(t.lat) if t.lat else None), t.missed))
    if pairs:
        out("  %-12s %s %s %s %s %7s  (ms, per pair)" % (
            "missive-echo", fmt(statistics.median(pairs)), fmt(pct(pairs, 99)),
            fmt(min(pairs)), fmt(max(pairs)), "-"))
    return pairs


def load_phase(port, target, total, rate, clients, out):
    """`total` commands to target's channel from `clients` clients, at
    `rate` commands/s overall; returns (sent, replies seen, seconds)."""
    conns = []
    try:
        for i in range(clients):
            c = h.Client(port, "load%d" % i)
            c.join(target.channel)
            conns.append(c)
        watcher = conns[0]
        base = len(watcher.privmsgs(frm=target.nick))
        per = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
        interval = clients / float(rate)
        sent = [0] * clients
        errors = []

        def run(k):
            c = conns[k]
            nxt = time.monotonic()
            try:
                for j in range(per[k]):
                    c.privmsg(target.channel, LOAD_COMMANDS[(j + k) % len(LOAD_COMMANDS)])
                    sent[k] += 1
                    nxt += interval
                    delay = nxt - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
            except OSError as e:
                errors.append("load%d: %s" % (k, e))

        t0 = time.monotonic()
        threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(clients)]
        for t in threads:
            t.start()
        limit = total / float(rate) * 2 + 60        # bounded even if pacing slips
        for t in threads:
            t.join(timeout=max(1.0, limit - (time.monotonic() - t0)))
        # let the replies drain: stop when none arrived for 3 s (at most 60 s)
        last, still = -1, time.monotonic()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            n = len(watcher.privmsgs(frm=target.nick))
            if n != last:
                last, still = n, time.monotonic()
            elif time.monotonic() - still > 3.0:
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - t0
        for e in errors:
            out("  load error: " + e)
        return sum(sent), last - base, elapsed
    finally:
        for c in conns:
            c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("MISSIVE_BUILD", os.path.join(SOURCE, "build")),
                    help="build directory holding missive and bench/echobot")
    ap.add_argument("--missive", default=None, help="missive binary (default $MISSIVE_BIN or BUILD/missive)")
    ap.add_argument("--echobot", default=None, help="echobot binary (default BUILD/bench/echobot)")
    ap.add_argument("-n", type=int, default=200, help="latency rounds per bot (max %d)" % MAX_N)
    ap.add_argument("--pace-ms", type=float, default=20.0, help="pause between commands")
    ap.add_argument("--load", type=int, default=10000, help="commands for the RSS phase (max %d)" % MAX_LOAD)
    ap.add_argument("--rate", type=float, default=100.0, help="RSS phase commands per second, overall")
    ap.add_argument("--clients", type=int, default=5, help="RSS phase client count")
    ap.add_argument("--out", default=None, help="results file (default BUILD/bench/latency-results.txt)")
    args = ap.parse_args()
    n = max(1, min(args.n, MAX_N))
    load = max(0, min(args.load, MAX_LOAD))
    rate = max(1.0, min(args.rate, 1000.0))
    nclients = max(1, min(args.clients, 20))

    build = os.path.abspath(args.build)
    missive = args.missive or os.environ.get("MISSIVE_BIN") or os.path.join(build, "missive")
    echobot = args.echobot or os.path.join(build, "bench", "echobot")
    out_path = args.out or os.path.join(build, "bench", "latency-results.txt")
    report = []

    def out(line=""):
        print(line, flush=True)
        report.append(line)

    if not os.access(echobot, os.X_OK):
        print("latency.py: no echobot at %s; build it with -DMISSIVE_BENCH=ON --target echobot"
              % echobot, file=sys.stderr)
        return 2
    with_missive = os.access(missive, os.X_OK) and h.missive_has_subcommand("run", binary=missive)

    out("Missive latency benchmark, %s" % time.strftime("%Y-%m-%d %H:%M:%S"))
    out("  ngircd on 127.0.0.1 (penalties off); echobot: %s" % echobot)
    if with_missive:
        out("  missive: %s" % missive)
    else:
        out("  SKIPPED Missive: %s has no `run` subcommand (yet); measuring the echobot alone"
            % missive)

    tmp = tempfile.TemporaryDirectory(prefix="missive-bench-")
    srv = echo = bot = client = None
    try:
        srv = h.Ngircd(os.path.join(tmp.name, "ngircd"), penalties=False).start()
        client = h.Client(srv.port, "bencher")
        client.join("#echo")
        if with_missive:
            client.join("#missive")

        with open(os.path.join(tmp.name, "echobot.log"), "wb") as elog:
            echo = h.subprocess.Popen([echobot, h.HOST, str(srv.port), "echobot", "#echo"],
                                      stdin=h.subprocess.DEVNULL, stdout=elog,
                                      stderr=h.subprocess.STDOUT)
        h._register(echo)
        wait_bot_joined(client, "echobot", "#echo")
        targets = [Target("echobot", "echobot", "#echo", echo.pid)]

        if with_missive:
            db = os.path.join(tmp.name, "missive.db")
            h.import_corpus(db, binary=missive, corpus=os.path.join(SOURCE, "data",
                                                                     "stalin-churchill-1941.txt"))
            conf = h.write_bot_config(
                os.path.join(tmp.name, "missive.conf"), srv.port, db, nick="missive",
                channels=["#missive"], log_level="info",
                sections={"bot": {"log_level": "info"},
                          "flood": {"burst": 1000, "interval_ms": 1, "queue_max": 100000},
                          "limits": {"user_burst": 100000, "user_interval": 1,
                                     "channel_burst": 100000, "channel_interval": 1}})
            bot = h.Bot(conf, binary=missive).start()
            wait_bot_joined(client, "missive", "#missive")
            targets.append(Target("missive", "missive", "#missive", bot.pid))

        time.sleep(1.0)
        # warm-up: page cache, SQLite statement cache, TCP
        for t in targets:
            for _ in range(3):
                one_round(client, t)
            t.lat.clear()
            t.missed = 0
        latency_phase(client, targets, n, args.pace_ms / 1000.0, out)

        subject = targets[-1]
        out("")
        out("memory (%s, VmRSS): %d commands from %d clients at %.0f/s"
            % (subject.label, load, nclients, rate))
        idle = h.rss_kb(subject.pid)
        out("  idle (after latency phase): %s KiB" % idle)
        if load:
            sent, replies, secs = load_phase(srv.port, subject, load, rate, nclients, out)
            after = h.rss_kb(subject.pid)
            out("  after %d commands (%d replies seen, %.0f s): %s KiB (%+d KiB)"
                % (sent, replies, secs, after, (after or 0) - (idle or 0)))
        if subject is not targets[0]:
            out("  echobot for reference: %s KiB" % h.rss_kb(targets[0].pid))
        alive = [t.label for t in targets if h.pid_alive(t.pid)]
        out("  bots alive at the end: %s" % ", ".join(alive))
        rc = 0 if len(alive) == len(targets) else 1
    finally:
        if client:
            client.close()
        if bot:
            code = bot.stop()
            out("  missive exit status after SIGTERM: %s" % code)
        if echo:
            h._end_process(echo)
        if srv:
            srv.stop()
        tmp.cleanup()
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(report) + "\n")
    print("results written to %s" % out_path)
    return rc


if __name__ == "__main__":
    sys.exit(main())
