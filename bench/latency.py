#!/usr/bin/env python3
"""latency.py - reply latency of Missive against a raw C bot and a libircclient bot.

One ngircd on 127.0.0.1 (penalties off, so the server never delays a line),
bench/rawbot in #raw (sockets and a few lines of parsing, no library),
bench/echobot in #echo (libircclient) and `missive run` (random `!quote` on
the shipped corpus) in #missive0.., all in the same run.  Clients send N
`!quote` to each bot in turn, one command in flight at a time, and the script
reports median and p99 latency of each bot and the per-round differences
against the raw bot.  Then each bot gets the same load at the same time (20
clients each; 10,000 mixed commands over ~200 s by default) and every bot's
VmRSS is read right after the latency phase ("busy"), idle (--idle-wait
seconds later: Missive gives its page cache back after 10 quiet seconds)
and after the load.

Missive's config is loosened for the bench, within the bounds its config
accepts: [flood] burst 20 / interval_ms 100 (10 lines/s), [limits] burst 100
then 1 per second per user and per channel.  The latency phase stays under
all of them (rounds rotate over clients and channels, 60 ms pauses), so it
measures processing and the wire, not queueing.  The load phase does not:
50 commands/s is more than Missive will answer (10 lines/s), so it also
drives the rate limiters and a full send queue, the worst case for memory.

If the missive binary has no `run` subcommand, Missive is skipped with a
message.  A missing rawbot is skipped the same way.  Every loop is bounded;
every process is ended by PID.

With --db FILE, each Missive bot runs on its own copy of FILE (e.g. the 1M
passages of /tmp/missive-scale/1m-scale.db) instead of the shipped corpus;
the original is never opened.  --smaps prints each Missive bot's resident
memory by mapping (/proc/PID/smaps: Rss per file, heap, stack, anonymous),
idle and after the load.

usage: bench/latency.py [--build DIR] [-n 200] [--load 10000] [--rate 50] [--db FILE] [--smaps]
                        [--out FILE]
Build the baselines first: cmake -DMISSIVE_BENCH=ON ... && cmake --build ... (rawbot, echobot)
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
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
    def __init__(self, label, nick, channels, pid):
        self.label = label
        self.nick = nick
        self.channels = channels      # latency rounds rotate over these
        self.load_channels = channels # the load phase spreads over these
        self.pid = pid
        self.lat = []
        self.missed = 0
        self.rss_busy = None
        self.rss_idle = None
        self.rss_after = None
        self.hwm = None
        self.hwm_idle = None
        self.load = None              # (sent, answers, notices, secs, peak)


def wait_bot_joined(client, nick, channel, timeout=30.0):
    client.expect(r"^:%s!\S+ JOIN :?%s$" % (re.escape(nick), re.escape(channel)),
                  timeout=timeout, since=0, flags=re.I)


def one_round(client, target, channel, text="!quote"):
    """Send one command, wait for the bot's first line (in the channel or to
    us); its latency in ms, or None after REPLY_TIMEOUT."""
    pattern = r"^:%s!\S+ (PRIVMSG|NOTICE) (%s|%s) :" % (
        re.escape(target.nick), re.escape(channel), re.escape(client.nick))
    since = client.mark()
    t0 = time.monotonic()
    client.privmsg(channel, text)
    try:
        client.expect(pattern, timeout=REPLY_TIMEOUT, flags=re.I, since=since)
    except h.HarnessError:
        target.missed += 1
        return None
    ms = (client.times[client.cursor - 1] - t0) * 1000.0
    target.lat.append(ms)
    return ms


def latency_phase(clients, targets, n, pace_s, out):
    """n rounds; round i: client i%K asks each bot once, in turn.  Rotating
    clients and channels keeps every per-user and per-channel bucket of the
    bot far from empty, so only processing and the wire are measured."""
    pairs = {t.label: [] for t in targets[1:]}
    for i in range(n):
        client = clients[i % len(clients)]
        got = []
        # The order of the bots turns each round, so none always goes first
        # after the pause.
        order = [targets[(j + i) % len(targets)] for j in range(len(targets))]
        for t in order:
            got.append((t, one_round(client, t, t.channels[i % len(t.channels)])))
            time.sleep(pace_s)
        got = dict((t.label, ms) for t, ms in got)
        base = got[targets[0].label]
        for t in targets[1:]:
            if base is not None and got[t.label] is not None:
                pairs[t.label].append(got[t.label] - base)
    out("latency: %d rounds over %d clients, one command in flight at a time, %.0f ms pause"
        % (n, len(clients), pace_s * 1000))
    out("  %-12s %8s %8s %8s %8s %7s" % ("bot", "median", "p99", "min", "max", "missed"))
    for t in targets:
        out("  %-12s %s %s %s %s %7d  (ms)" % (
            t.label, fmt(statistics.median(t.lat) if t.lat else None), fmt(pct(t.lat, 99)),
            fmt(min(t.lat) if t.lat else None), fmt(max(t.lat) if t.lat else None), t.missed))
    for label, d in pairs.items():
        if d:
            out("  %-12s %s %s %s %s %7s  (ms, per round)" % (
                "%s-%s" % (label[:7], targets[0].label[:4]), fmt(statistics.median(d)),
                fmt(pct(d, 99)), fmt(min(d)), fmt(max(d)), "-"))
    return pairs


def status_kb(pid, field):
    try:
        with open("/proc/%d/status" % pid, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def smaps_by_mapping(pid):
    """Rss in KiB per mapped object (file base name, [heap], [stack], [anon]),
    summed over its mappings; {} when the process is gone."""
    out = {}
    name = None
    try:
        with open("/proc/%d/smaps" % pid, encoding="ascii", errors="replace") as f:
            for line in f:
                head = line.split()
                if not head:
                    continue
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    path = head[5] if len(head) > 5 else ""
                    if path.startswith("/"):
                        name = os.path.basename(path)
                    elif path.startswith("["):
                        name = path
                    else:
                        name = "[anon]"
                elif head[0] == "Rss:" and name is not None:
                    out[name] = out.get(name, 0) + int(head[1])
    except OSError:
        return {}
    return out


def smaps_report(out, label, when, pid):
    m = smaps_by_mapping(pid)
    if not m:
        return
    items = sorted(m.items(), key=lambda kv: -kv[1])
    out("  %s %s RSS by mapping (KiB), total %d:" % (label, when, sum(m.values())))
    for name, kb in items:
        if kb:
            out("    %7d  %s" % (kb, name))


def load_phase(port, target, total, rate, nclients, out, prefix="load"):
    """`total` commands from `nclients` clients (client k talks in channel
    k % len(target.load_channels)), paced at `rate`/s overall.  Returns
    (sent, answers seen, notices seen, seconds)."""
    conns = []
    chans = target.load_channels
    try:
        for k in range(nclients):
            c = h.Client(port, "%s%d" % (prefix, k))
            c.join(chans[k % len(chans)])
            conns.append(c)
        per = [total // nclients + (1 if k < total % nclients else 0) for k in range(nclients)]
        interval = nclients / float(rate)
        sent = [0] * nclients
        errors = []

        def run(k):
            c = conns[k]
            chan = chans[k % len(chans)]
            nxt = time.monotonic() + k * (1.0 / rate)      # staggered start
            try:
                for j in range(per[k]):
                    delay = nxt - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    c.privmsg(chan, LOAD_COMMANDS[(j + k) % len(LOAD_COMMANDS)])
                    sent[k] += 1
                    nxt += interval
            except OSError as e:
                errors.append("%s%d: %s" % (prefix, k, e))

        def answers():
            # Each channel counted once, by its first client (the baselines
            # have one channel that every load client shares).
            said = 0
            for k, c in enumerate(conns[:len(chans)]):
                said += len(c.privmsgs(frm=target.nick, target=chans[k]))
            return said

        t0 = time.monotonic()
        threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(nclients)]
        for t in threads:
            t.start()
        limit = total / float(rate) * 1.5 + 30        # bounded even if pacing slips
        peak = 0
        while any(t.is_alive() for t in threads) and time.monotonic() - t0 < limit:
            peak = max(peak, h.rss_kb(target.pid) or 0)
            time.sleep(1.0)
        sending = time.monotonic() - t0
        # let the send queue drain: stop when nothing came for 3 s (60 s at most)
        last, still = -1, time.monotonic()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            n = answers()
            if n != last:
                last, still = n, time.monotonic()
            elif time.monotonic() - still > 3.0:
                break
            peak = max(peak, h.rss_kb(target.pid) or 0)
            time.sleep(0.5)
        notices = sum(len(c.messages("NOTICE", frm=target.nick)) for c in conns)
        for e in errors:
            out("  load error: " + e)
        return sum(sent), answers(), notices, sending, peak
    finally:
        for c in conns:
            c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("MISSIVE_BUILD", os.path.join(SOURCE, "build")),
                    help="build directory holding missive and bench/echobot")
    ap.add_argument("--missive", default=None, help="missive binary (default $MISSIVE_BIN or BUILD/missive)")
    ap.add_argument("--echobot", default=None, help="echobot binary (default BUILD/bench/echobot)")
    ap.add_argument("--rawbot", default=None, help="rawbot binary (default BUILD/bench/rawbot)")
    ap.add_argument("--compare", action="append", default=[], metavar="LABEL=BIN",
                    help="another missive binary measured in the same run (e.g. before=OLD/missive;"
                         " LABEL is its nick), repeatable")
    ap.add_argument("-n", type=int, default=200, help="latency rounds per bot (max %d)" % MAX_N)
    ap.add_argument("--pace-ms", type=float, default=60.0,
                    help="pause after each command (>= 50 keeps Missive's 100 ms send bucket idle)")
    ap.add_argument("--load", type=int, default=10000, help="commands for the RSS phase (max %d)" % MAX_LOAD)
    ap.add_argument("--rate", type=float, default=50.0, help="RSS phase commands per second, overall")
    ap.add_argument("--clients", type=int, default=20,
                    help="RSS phase clients per bot (Missive: one channel each)")
    ap.add_argument("--db", default=None, metavar="FILE",
                    help="run each Missive bot on its own copy of this database instead of"
                         " importing the shipped corpus (FILE itself is never opened)")
    ap.add_argument("--idle-wait", type=float, default=12.0,
                    help="seconds after the latency phase before idle RSS is read "
                         "(Missive releases its cache after 10 quiet seconds)")
    ap.add_argument("--smaps", action="store_true",
                    help="print each Missive bot's RSS by mapping, idle and after the load")
    ap.add_argument("--out", default=None, help="results file (default BUILD/bench/latency-results.txt)")
    args = ap.parse_args()
    n = max(1, min(args.n, MAX_N))
    load = max(0, min(args.load, MAX_LOAD))
    rate = max(1.0, min(args.rate, 500.0))
    nclients = max(1, min(args.clients, 40))
    # Missive's input buckets (bench config): burst 100, then 1/s, per user and
    # per channel.  Rotate over enough clients/channels that each sees <= 60.
    k = max(1, min(10, -(-n // 60)))

    build = os.path.abspath(args.build)
    missive = args.missive or os.environ.get("MISSIVE_BIN") or os.path.join(build, "missive")
    echobot = args.echobot or os.path.join(build, "bench", "echobot")
    rawbot = args.rawbot or os.path.join(build, "bench", "rawbot")
    libfloor = os.path.join(build, "bench", "libfloor")
    out_path = args.out or os.path.join(build, "bench", "latency-results.txt")
    report = []
    src_db = os.path.abspath(args.db) if args.db else None
    if src_db and not os.path.isfile(src_db):
        print("latency.py: --db %s: no such file" % src_db, file=sys.stderr)
        return 2

    def out(line=""):
        print(line, flush=True)
        report.append(line)

    if not os.access(echobot, os.X_OK):
        print("latency.py: no echobot at %s; build it with -DMISSIVE_BENCH=ON --target echobot"
              % echobot, file=sys.stderr)
        return 2
    with_missive = os.access(missive, os.X_OK) and h.missive_has_subcommand("run", binary=missive)
    with_raw = os.access(rawbot, os.X_OK)
    compare = []
    for spec in args.compare:
        label, _, binary = spec.partition("=")
        if not re.match(r"^[a-z][a-z0-9]{0,8}$", label) or label in ("missive", "rawbot", "echobot"):
            print("latency.py: --compare LABEL must be a short lower-case nick: %r" % spec,
                  file=sys.stderr)
            return 2
        if not (os.access(binary, os.X_OK) and h.missive_has_subcommand("run", binary=binary)):
            print("latency.py: --compare %s: no missive with `run` at %s" % (label, binary),
                  file=sys.stderr)
            return 2
        compare.append((label, os.path.abspath(binary)))

    out("Missive latency benchmark, %s, %d CPUs" % (time.strftime("%Y-%m-%d %H:%M:%S"),
                                                   os.cpu_count() or 0))
    out("  ngircd 127.0.0.1 (penalties off); echobot: %s" % echobot)
    if with_raw:
        out("  rawbot: %s" % rawbot)
    else:
        out("  SKIPPED rawbot: none at %s" % rawbot)
    for label, binary in compare:
        out("  %s: %s" % (label, binary))
    if with_missive:
        out("  missive: %s" % missive)
        out("  missive database: %s" % ("a copy of %s (%.0f MB)" % (
            src_db, os.path.getsize(src_db) / 1e6) if src_db else "the shipped corpus"))
        out("  missive bench config: [flood] burst 20 interval_ms 100; [limits] user/channel"
            " burst 100 interval 1; max_lines 3; log_level warn")
    else:
        out("  SKIPPED Missive: %s has no `run` subcommand (yet); measuring the echobot alone"
            % missive)

    tmp = tempfile.TemporaryDirectory(prefix="missive-bench-")
    srv = echo = raw = bot = None
    others = []
    clients = []
    rc = 1
    try:
        srv = h.Ngircd(os.path.join(tmp.name, "ngircd"), penalties=False).start()
        lat_chans = ["#missive%d" % i for i in range(k)]
        load_chans = ["#load%d" % i for i in range(min(nclients, 50 - k))]
        for i in range(k):
            c = h.Client(srv.port, "bencher%d" % i)
            c.join("#echo")
            if with_raw:
                c.join("#raw")
            if with_missive:
                c.join(lat_chans[i])
            for label, _ in compare:
                c.join("#%s%d" % (label, i))
            clients.append(c)

        with open(os.path.join(tmp.name, "echobot.log"), "wb") as elog:
            echo = h.subprocess.Popen([echobot, h.HOST, str(srv.port), "echobot", "#echo"],
                                      stdin=h.subprocess.DEVNULL, stdout=elog,
                                      stderr=h.subprocess.STDOUT)
        h._register(echo)
        wait_bot_joined(clients[0], "echobot", "#echo")
        targets = [Target("echobot", "echobot", ["#echo"], echo.pid)]
        if with_raw:
            with open(os.path.join(tmp.name, "rawbot.log"), "wb") as rlog:
                raw = h.subprocess.Popen([rawbot, h.HOST, str(srv.port), "rawbot", "#raw"],
                                         stdin=h.subprocess.DEVNULL, stdout=rlog,
                                         stderr=h.subprocess.STDOUT)
            h._register(raw)
            wait_bot_joined(clients[0], "rawbot", "#raw")
            targets.insert(0, Target("rawbot", "rawbot", ["#raw"], raw.pid))

        def make_db(db, binary):
            # A copy, so the bot's migrations and state never touch FILE.
            if src_db:
                shutil.copyfile(src_db, db)
            else:
                h.import_corpus(db, binary=binary,
                                corpus=os.path.join(SOURCE, "data", "stalin-churchill-1941.txt"))

        def start_missive(nick, binary, chans, lchans):
            db = os.path.join(tmp.name, nick + ".db")
            make_db(db, binary)
            conf = h.write_bot_config(
                os.path.join(tmp.name, nick + ".conf"), srv.port, db, nick=nick,
                channels=chans + lchans,
                sections={"bot": {"log_level": "warn", "max_lines": 3},
                          "flood": {"burst": 20, "interval_ms": 100},
                          "limits": {"user_burst": 100, "user_interval": 1,
                                     "channel_burst": 100, "channel_interval": 1}})
            return h.Bot(conf, binary=binary,
                         log_path=os.path.join(tmp.name, nick + ".log")).start()

        for label, binary in compare:
            chans = ["#%s%d" % (label, i) for i in range(k)]
            lchans = ["#%sl%d" % (label, i) for i in range(len(load_chans))]
            other = start_missive(label, binary, chans, lchans)
            others.append((label, other))
            for i in range(k):
                wait_bot_joined(clients[i], label, chans[i])
            t = Target(label, label, chans, other.pid)
            t.load_channels = lchans
            targets.append(t)

        if with_missive:
            db = os.path.join(tmp.name, "missive.db")
            make_db(db, missive)
            conf = h.write_bot_config(
                os.path.join(tmp.name, "missive.conf"), srv.port, db, nick="missive",
                channels=lat_chans + load_chans,
                sections={"bot": {"log_level": "warn", "max_lines": 3},
                          "flood": {"burst": 20, "interval_ms": 100},
                          "limits": {"user_burst": 100, "user_interval": 1,
                                     "channel_burst": 100, "channel_interval": 1}})
            bot = h.Bot(conf, binary=missive,
                        log_path=os.path.join(tmp.name, "missive.log")).start()
            for i in range(k):
                wait_bot_joined(clients[i], "missive", lat_chans[i])
            t = Target("missive", "missive", lat_chans, bot.pid)
            t.load_channels = load_chans
            targets.append(t)

        time.sleep(2.0)
        # warm-up: page cache, SQLite statement cache, TCP
        for t in targets:
            for i in range(3):
                one_round(clients[0], t, t.channels[0])
                time.sleep(0.2)
            t.lat.clear()
            t.missed = 0
        latency_phase(clients, targets, n, args.pace_ms / 1000.0, out)

        for t in targets:
            t.rss_busy = h.rss_kb(t.pid)
        time.sleep(args.idle_wait)
        for t in targets:
            t.rss_idle = h.rss_kb(t.pid)
            t.hwm_idle = status_kb(t.pid, "VmHWM")
        floor = None
        if with_missive and os.access(libfloor, os.X_OK):
            # Missive's libraries, each called once (bench/libfloor.c), on
            # the same database: the part of the idle RSS that is not ours.
            runs = []
            for _ in range(5):
                r = subprocess.run([libfloor, os.path.join(tmp.name, "missive.db")],
                                   capture_output=True, text=True, timeout=60)
                if r.returncode == 0 and r.stdout.strip().isdigit():
                    runs.append(int(r.stdout))
            if runs:
                floor = statistics.median(runs)
                out("  library floor (bench/libfloor, median of %d): %d KiB; "
                    "missive idle - floor: %d KiB" % (len(runs), floor,
                                                      [t for t in targets
                                                       if t.label == "missive"][0].rss_idle - floor))
            if args.smaps and t.label not in ("rawbot", "echobot"):
                smaps_report(out, t.label, "idle", t.pid)
        out("")
        out("memory: each bot gets %d commands from %d clients at %.0f/s, all bots at once"
            % (load, nclients, rate))
        if load:
            threads = []
            for t in targets:
                def run_load(t=t):
                    t.load = load_phase(srv.port, t, load, rate, nclients, out,
                                        prefix="ld%s" % t.label[:3])
                threads.append(threading.Thread(target=run_load, daemon=True))
            for th in threads:
                th.start()
            for th in threads:
                th.join(timeout=load / rate * 1.5 + 120)
            for t in targets:
                t.rss_after = h.rss_kb(t.pid)
                t.hwm = status_kb(t.pid, "VmHWM")
                if args.smaps and t.label not in ("rawbot", "echobot"):
                    smaps_report(out, t.label, "after the load", t.pid)
        out("  %-12s %12s %12s %12s %12s %12s %12s %s" % ("bot", "busy KiB", "idle KiB", "idle HWM",
                                                           "after KiB", "peak KiB", "VmHWM KiB", "load"))
        for t in targets:
            extra = ""
            if t.load:
                sent, answers, notices, secs, peak = t.load
                extra = "sent %d in %.0f s, answers %d, notices %d" % (sent, secs, answers, notices)
            else:
                peak = None
            out("  %-12s %12s %12s %12s %12s %12s %12s %s" % (t.label, t.rss_busy, t.rss_idle,
                                                               t.hwm_idle, t.rss_after, peak, t.hwm,
                                                               extra))
        alive = [t.label for t in targets if h.pid_alive(t.pid)]
        out("  bots alive at the end: %s" % ", ".join(alive))
        rc = 0 if len(alive) == len(targets) else 1
    finally:
        for c in clients:
            c.close()
        if bot:
            code = bot.stop()
            out("  missive exit status after SIGTERM: %s" % code)
            text = bot.log_text()
            warns = [l for l in text.splitlines() if l.startswith(("warn", "error"))]
            out("  missive log: %d warning/error lines%s" % (
                len(warns), (", last: " + warns[-1]) if warns else ""))
            os.makedirs(os.path.dirname(out_path), exist_ok=True)
            with open(os.path.splitext(out_path)[0] + "-missive.log", "w") as f:
                f.write(text)
        for label, other in others:
            out("  %s exit status after SIGTERM: %s" % (label, other.stop()))
        if echo:
            h._end_process(echo)
        if raw:
            h._end_process(raw)
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
