"""Name resolution in the transport, with names only the bot can see.

Each bot runs in a private mount namespace (unshare -m, as root) where its
own /etc/hosts or /etc/resolv.conf is bind-mounted, so nothing else on the
machine is affected:

  - a host name resolving to both ::1 and 127.0.0.1 (::1 first, by a
    bind-mounted gai.conf), the server listening on 127.0.0.1 only: the bot
    tries ::1, is refused, falls back to 127.0.0.1 and registers;
  - a name that only a slow DNS server knows (a tiny responder in this file
    on 127.0.0.77:53 that answers after SLOW_S seconds): while it waits the
    loop keeps running (the systemd watchdog is fed every half period and a
    SIGHUP is answered at once), then the bot connects by that name.

Skipped with the reason when not root or unshare -m is not permitted.
Loopback only; every wait is bounded; each test ends what it started.
"""

import os
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

TIMINGS = []
CORPUS = h.shared_corpus("resolver-db-")
setUpModule = CORPUS.setup
tearDownModule = CORPUS.cleanup

BOT = "missive"
DUAL = "dual.missive.test"
SLOW = "slow.missive.test"
DNS_IP = "127.0.0.77"
SLOW_S = 4.0
WATCHDOG_US = 1000000        # WATCHDOG=1 due every 0.5 s
GAP_SLACK_S = 0.35


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class SlowDns:
    """A UDP DNS responder (invented test data: one A record) that answers
    every query after `delay` seconds; AAAA and others get an empty answer.
    Records when each query came and each answer went."""

    def __init__(self, ip, names, delay):
        self.names = {n.lower(): a for n, a in names.items()}
        self.delay = delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, 53))
        self.sock.settimeout(0.2)
        self.queries, self.answers = [], []
        self.stop_flag = False
        self.timers = []
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop_flag:
            try:
                data, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries.append(time.monotonic())
            t = threading.Timer(self.delay, self._answer, (data, peer))
            t.daemon = True
            self.timers.append(t)
            t.start()

    def _answer(self, q, peer):
        if self.stop_flag or len(q) < 12:
            return
        qid, = struct.unpack("!H", q[:2])
        i, labels = 12, []
        while i < len(q) and q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
            i += 1 + q[i]
        qtype, = struct.unpack("!H", q[i + 1:i + 3])
        question = q[12:i + 5]
        addr = self.names.get(".".join(labels).lower())
        answers = b""
        if addr and qtype == 1:
            answers = (b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4)
                       + socket.inet_aton(addr))
        rcode = 0 if addr else 3
        hdr = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, 1 if answers else 0, 0, 0)
        try:
            self.sock.sendto(hdr + question + answers, peer)
            self.answers.append(time.monotonic())
        except OSError:
            pass

    def stop(self):
        self.stop_flag = True
        for t in self.timers:
            t.cancel()
        self.sock.close()
        self.thread.join(timeout=2)


class ResolverBase(h.DaemonTestCase):
    time_limit = 60
    timings = TIMINGS
    tmp_prefix = "resolver-"

    def setUp(self):
        why = h.mount_ns_available()
        if why:
            self.skipTest(why)
        if not h.Ngircd.available():
            self.skipTest("ngircd is not installed")
        super().setUp()

    def file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def bot(self, port, server, binds, env=None, **irc):
        conf = h.write_bot_config(os.path.join(self.dir, "bot-%d.conf" % len(self.bots)),
                                  port, CORPUS.path, nick=BOT, channels=["#t"],
                                  server=server, reconnect_min=1, reconnect_max=2, **irc)
        b = h.Bot(conf, env=env, wrap=h.mount_ns_wrap(binds)).start()
        self.bots.append(b)
        return b


class DualAddressTest(ResolverBase):
    def test_falls_back_to_the_address_that_listens(self):
        if not ipv6_loopback():
            self.skipTest("no IPv6 loopback here")
        hosts = self.file("hosts", "127.0.0.1 localhost\n"
                                   "127.0.0.1 %s\n::1 %s\n" % (DUAL, DUAL))
        # ::1 first, whatever the machine's own gai.conf says
        gai = self.file("gai.conf", "precedence ::1/128 100\n"
                                    "precedence ::ffff:0:0/96 10\n")
        srv = h.Ngircd(self.dir).start()      # 127.0.0.1 only
        self.servers.append(srv)
        bot = self.bot(srv.port, DUAL, [(hosts, "/etc/hosts"), (gai, "/etc/gai.conf")])
        bot.wait_log(r"connected to %s \(127\.0\.0\.1:%d\): plain text" % (DUAL, srv.port),
                     timeout=15)
        bot.wait_log(r"registered as %s" % BOT, timeout=15)
        attempts = [l.split("connecting to ", 1)[1] for l in bot.log_text().splitlines()
                    if l.startswith("debug: connecting to ")]
        self.assertEqual(attempts[:2], ["[::1]:%d" % srv.port, "127.0.0.1:%d" % srv.port],
                         bot.log_text())
        self.assertNotIn("disconnected", bot.log_text())


class SlowResolverTest(ResolverBase):
    def test_loop_runs_while_a_name_resolves_slowly(self):
        srv = h.Ngircd(self.dir).start()
        self.servers.append(srv)
        try:
            dns = SlowDns(DNS_IP, {SLOW: "127.0.0.1"}, SLOW_S)
        except OSError as e:
            self.skipTest("cannot listen on %s:53: %s" % (DNS_IP, e))
        self.addCleanup(dns.stop)
        hosts = self.file("hosts", "127.0.0.1 localhost\n")
        resolv = self.file("resolv.conf", "nameserver %s\noptions timeout:20 attempts:1\n"
                           % DNS_IP)
        notify_path = os.path.join(self.dir, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(notify_path)
        self.addCleanup(sock.close)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC=str(WATCHDOG_US))
        for k in ("WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID"):
            env.pop(k, None)
        bot = self.bot(srv.port, SLOW, [(hosts, "/etc/hosts"), (resolv, "/etc/resolv.conf")],
                       env=env)
        msgs = []
        sent_hup = None

        def pump(until, timeout, quiet=False):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    data = sock.recv(4096)
                except socket.timeout:
                    continue
                m = dict(l.split("=", 1) for l in data.decode().split("\n") if "=" in l)
                msgs.append((time.monotonic(), m))
                if until(m):
                    return m
            if quiet:
                return None
            self.fail("no matching notification in %.1f s: %r; log:\n%s"
                      % (timeout, [m for _, m in msgs], bot.log_text()))

        pump(lambda m: m.get("READY") == "1", 10)
        # the lookup is under way: the DNS server has the query, no answer yet
        deadline = time.monotonic() + 5
        while not dns.queries and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(dns.queries, "the bot never asked the DNS server")
        self.assertFalse(dns.answers)
        t0 = time.monotonic()
        # a reload is answered at once, mid-lookup
        pump(lambda m: False, 1.0, quiet=True)
        sent_hup = time.monotonic()
        bot.send_signal(signal.SIGHUP)
        pump(lambda m: m.get("RELOADING") == "1", 2)
        pump(lambda m: m.get("READY") == "1", 2)
        self.assertLess(time.monotonic() - sent_hup, 1.5)
        self.assertFalse(dns.answers, "the DNS server answered too soon for this test")
        pump(lambda m: m.get("STATUS") == "connected", SLOW_S + 15)
        self.assertTrue(dns.answers)
        t1 = dns.answers[0]
        self.assertGreaterEqual(t1 - dns.queries[0], SLOW_S - 0.1)
        # the watchdog was fed all along the slow lookup
        pings = [t for t, m in msgs if m.get("WATCHDOG") == "1" and t0 <= t <= t1]
        gaps = [b - a for a, b in zip([t0] + pings, pings + [t1])]
        self.assertLessEqual(max(gaps), WATCHDOG_US / 2e6 + GAP_SLACK_S, gaps)
        bot.wait_log(r"connected to %s \(127\.0\.0\.1:%d\)" % (SLOW, srv.port), timeout=10)


def main():
    return h.run_tests(__name__, TIMINGS, time.monotonic())


if __name__ == "__main__":
    sys.exit(main())
