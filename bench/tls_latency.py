#!/usr/bin/env python3
"""tls_latency.py - `!quote` reply latency of Missive over TLS against plain.

One ngircd on 127.0.0.1 (penalties off) with a plain port and a TLS port
(certificate from a test CA made with openssl for this run), and two Missive
daemons from the same binary and database copy: `plain` on the plain port,
`tls` on the TLS port with the chain verified (tls_ca_file).  Clients
alternate one `!quote` to each, one command in flight at a time, and the
script reports the median and p99 of each and of the per-pair difference
(tls - plain), and the ratio of the medians.  The clients talk plain text
to ngircd in both cases: only the bot's leg differs.

--before BINARY adds a third bot, `before`: a Missive built before the
transport (libircclient on the TCP socket itself), on the plain port, to
measure what the socket-pair hop costs (plain - before).

usage: bench/tls_latency.py [--build DIR] [-n 200] [--before BINARY] [--out FILE]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
import ircharness as h  # noqa: E402
from latency import Target, fmt, one_round, pct, wait_bot_joined  # noqa: E402

MAX_N = 5000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("MISSIVE_BUILD", os.path.join(SOURCE, "build")))
    ap.add_argument("--missive", default=None)
    ap.add_argument("-n", type=int, default=200, help="rounds (max %d)" % MAX_N)
    ap.add_argument("--pace-ms", type=float, default=60.0)
    ap.add_argument("--before", default=None, help="a Missive binary without the transport")
    ap.add_argument("--out", default=None, help="default BUILD/bench/tls-latency-results.txt")
    args = ap.parse_args()
    n = max(1, min(args.n, MAX_N))
    k = max(1, min(10, -(-n // 60)))     # clients/channels, as latency.py
    build = os.path.abspath(args.build)
    missive = args.missive or os.environ.get("MISSIVE_BIN") or os.path.join(build, "missive")
    out_path = args.out or os.path.join(build, "bench", "tls-latency-results.txt")
    report = []

    def out(line=""):
        print(line, flush=True)
        report.append(line)

    out("Missive TLS vs plain latency, %s, %d CPUs" % (time.strftime("%Y-%m-%d %H:%M:%S"),
                                                      os.cpu_count() or 0))
    tmp = tempfile.TemporaryDirectory(prefix="missive-tlsbench-")
    os.chmod(tmp.name, 0o755)
    srv = None
    bots, clients = [], []
    rc = 1
    try:
        ca = h.TestCA(tmp.name, "ca")
        srv = h.Ngircd(os.path.join(tmp.name, "ngircd"), penalties=False,
                       tls=ca.issue("srv", "IP:127.0.0.1")).start()
        db = os.path.join(tmp.name, "missive.db")
        h.import_corpus(db, binary=missive)
        targets = []
        bots_wanted = [("plain", missive, srv.port, {}),
                       ("tls", missive, srv.tls_port, {"tls": "yes", "tls_ca_file": ca.cert})]
        if args.before:
            bots_wanted.append(("before", args.before, srv.port, {}))
        labels = [b[0] for b in bots_wanted]
        for i in range(k):          # clients first, so they see the bots' JOINs
            c = h.Client(srv.port, "bencher%d" % i)
            for label in labels:
                c.join("#%s%d" % (label, i))
            clients.append(c)
        for label, binary, port, extra in bots_wanted:
            chans = ["#%s%d" % (label, i) for i in range(k)]
            dbl = os.path.join(tmp.name, label + ".db")
            shutil.copyfile(db, dbl)
            conf = h.write_bot_config(
                os.path.join(tmp.name, label + ".conf"), port, dbl, nick=label + "bot",
                channels=chans,
                sections={"bot": {"log_level": "info", "max_lines": 3},
                          "flood": {"burst": 20, "interval_ms": 100},
                          "limits": {"user_burst": 100, "user_interval": 1,
                                     "channel_burst": 100, "channel_interval": 1}},
                **extra)
            bot = h.Bot(conf, binary=binary).start()
            bots.append(bot)
            targets.append(Target(label, label + "bot", chans, bot.pid))
        for t in targets:
            for i in range(k):
                wait_bot_joined(clients[i], t.nick, t.channels[i])
        tls_line = [l for l in bots[1].log_text().splitlines() if "connected to" in l]
        out("  ngircd 26 (GnuTLS) 127.0.0.1; tls bot: %s" % (tls_line[-1] if tls_line else "?"))
        time.sleep(1.0)
        for t in targets:                   # warm-up
            for _ in range(3):
                one_round(clients[0], t, t.channels[0])
                time.sleep(0.2)
            t.lat.clear()
            t.missed = 0
        pairs, hop = [], []
        for i in range(n):
            c = clients[i % k]
            got = []
            for t in targets:
                got.append(one_round(c, t, t.channels[i % k]))
                time.sleep(args.pace_ms / 1000.0)
            if None not in got:
                pairs.append(got[1] - got[0])
                if len(got) > 2:
                    hop.append(got[0] - got[2])
        out("  %d rounds, one command in flight, %.0f ms pause" % (n, args.pace_ms))
        out("  %-12s %8s %8s %8s %8s %7s" % ("bot", "median", "p99", "min", "max", "missed"))
        for t in targets:
            out("  %-12s %s %s %s %s %7d  (ms)" % (
                t.label, fmt(statistics.median(t.lat) if t.lat else None), fmt(pct(t.lat, 99)),
                fmt(min(t.lat) if t.lat else None), fmt(max(t.lat) if t.lat else None), t.missed))
        if pairs:
            out("  %-12s %s %s %s %s %7s  (ms, per pair)" % (
                "tls-plain", fmt(statistics.median(pairs)), fmt(pct(pairs, 99)),
                fmt(min(pairs)), fmt(max(pairs)), "-"))
        if hop:
            out("  %-12s %s %s %s %s %7s  (ms, per pair)" % (
                "plain-before", fmt(statistics.median(hop)), fmt(pct(hop, 99)),
                fmt(min(hop)), fmt(max(hop)), "-"))
        if targets[0].lat and targets[1].lat:
            out("  median ratio tls / plain: %.2f" % (statistics.median(targets[1].lat)
                                                     / statistics.median(targets[0].lat)))
        # The TLS bot maps missive-tls.so and OpenSSL; the plain one never does.
        out("  VmRSS after the rounds (KiB): " + ", ".join(
            "%s %s" % (t.label, h.rss_kb(t.pid)) for t in targets))
        rc = 0 if all(h.pid_alive(b.pid) for b in bots) else 1
    finally:
        for c in clients:
            c.close()
        for b in bots:
            b.stop()
        if srv:
            srv.stop()
        tmp.cleanup()
        os.makedirs(os.path.dirname(out_path), exist_ok=True)
        with open(out_path, "w") as f:
            f.write("\n".join(report) + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
