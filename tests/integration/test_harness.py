"""Self-test of ircharness.py against real servers on 127.0.0.1.

Checks what the Missive integration tests rely on: two raw clients relay
through ngircd, PING is answered, restart keeps the port, pause stops
answers, the Bot wrapper ends its process, and no server outlives its test.
Prints "N passed, N failed" and exits non-zero on failure.
"""

import configparser
import os
import signal
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

STARTED_PIDS = []           # every server PID started here, checked at the end


def _track(srv):
    STARTED_PIDS.append(srv.pid)
    return srv


class NgircdTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="harness-")
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        self.tmp.cleanup()

    def client(self, port, nick, **kw):
        c = h.Client(port, nick, **kw)
        self.clients.append(c)
        return c

    def test_two_clients_join_and_relay(self):
        with h.Ngircd(self.tmp.name) as srv:
            _track(srv)
            a = self.client(srv.port, "alice_with_a_long_nick_123")   # MaxNickLength = 30
            b = self.client(srv.port, "bob")
            a.join("#t")
            b.join("#t")
            a.expect(r"^:bob!\S+ JOIN :?#t$")
            a.privmsg("#t", "hello, bob — ünïcödé")
            msg = b.expect_privmsg("alice_with_a_long_nick_123", "#t", r"^hello, bob")
            self.assertEqual(msg.text, "hello, bob — ünïcödé")
            self.assertEqual(msg.command, "PRIVMSG")
            b.privmsg("alice_with_a_long_nick_123", "private")
            a.expect(r"^:bob!\S+ PRIVMSG alice_with_a_long_nick_123 :private$")
            self.assertEqual([m.text for m in a.privmsgs(frm="bob")], ["private"])
            for raw in a.raw + b.raw:
                self.assertIsNone(h.check_line_sane(raw), raw)
            self.assertTrue(all(r.endswith(b"\r\n") for r in a.raw))
            with self.assertRaises(h.HarnessError):
                b.expect(r"never sent", timeout=0.3)

    def test_ping_answered_and_unanswered(self):
        # ngircd pings after PingTimeout s of silence and drops the client
        # PongTimeout s later if no PONG came.
        with h.Ngircd(self.tmp.name, ping_timeout=2, pong_timeout=2) as srv:
            _track(srv)
            good = self.client(srv.port, "pinged")
            mute = self.client(srv.port, "mute", answer_ping=False)
            good.expect(r"^PING ", timeout=8)
            mute.expect(r"^PING ", timeout=8)
            self.assertTrue(mute.wait_closed(timeout=8), mute.lines[-5:])
            self.assertRegex(mute.error or "", r"(?i)ping timeout")
            time.sleep(1.0)
            self.assertFalse(good.closed, good.lines[-5:])
            self.assertTrue(any(s.startswith(b"PONG ") for s in good.sent))
            good.send("PING :still-here")
            good.expect(r"PONG \S+ :?still-here$")

    def test_restart_same_port(self):
        srv = h.Ngircd(self.tmp.name)
        try:
            srv.start()
            _track(srv)
            port, first_pid = srv.port, srv.pid
            c = self.client(port, "before")
            srv.restart()
            _track(srv)
            self.assertEqual(srv.port, port)
            self.assertNotEqual(srv.pid, first_pid)
            self.assertFalse(h.pid_alive(first_pid))
            self.assertTrue(c.wait_closed(timeout=5))
            d = self.client(port, "after")
            d.join("#back")
        finally:
            srv.stop()
        self.assertFalse(h.pid_alive(srv.proc.pid))
        self.assertFalse(h.port_accepts(srv.port))

    def test_pause_resume(self):
        with h.Ngircd(self.tmp.name) as srv:
            _track(srv)
            c = self.client(srv.port, "waiter")
            c.skip()
            srv.pause()
            c.send("PING :while-paused")
            with self.assertRaises(h.HarnessError):
                c.expect(r"while-paused", timeout=1.0)
            srv.resume()
            c.expect(r"PONG \S+ :?while-paused$", timeout=5)
            srv.pause()             # stop() must also end a paused server
        self.assertFalse(h.pid_alive(srv.pid))

    def test_stop_returns_and_log(self):
        srv = h.Ngircd(self.tmp.name)
        srv.start()
        _track(srv)
        pid = srv.pid
        code = srv.stop()
        self.assertIsNotNone(code)
        self.assertFalse(h.pid_alive(pid))
        self.assertIn("irc.test", srv.log_text())
        self.assertEqual(srv.stop(), code)      # idempotent


@unittest.skipUnless(h.Inspircd.available(), "inspircd not installed (apt-get install inspircd)")
class InspircdTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="harness-insp-")

    def tearDown(self):
        self.tmp.cleanup()

    def test_relay_and_excess_flood(self):
        with h.Inspircd(self.tmp.name) as srv:
            _track(srv)
            with h.Client(srv.port, "watcher") as w, h.Client(srv.port, "paced") as p, \
                    h.Client(srv.port, "flooder") as f:
                for c in (w, p, f):
                    c.join("#t")
                # paced at one line per second: never disconnected
                for i in range(3):
                    p.privmsg("#t", "paced %d" % i)
                    time.sleep(1.0)
                w.expect(r"^:paced!\S+ PRIVMSG #t :paced 2$")
                # a burst of 25 goes over threshold 10
                for i in range(25):
                    try:
                        f.privmsg("#t", "flood %d" % i)
                    except OSError:
                        break
                self.assertTrue(f.wait_closed(timeout=5))
                self.assertRegex(f.error or "", r"Excess Flood")
                w.expect(r"^:flooder!\S+ QUIT :.*Excess Flood", timeout=5)
                self.assertFalse(p.closed)


class BotAndConfigTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="harness-bot-")

    def tearDown(self):
        self.tmp.cleanup()

    def script(self, name, body):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, stat.S_IRWXU)
        return path

    def test_write_bot_config(self):
        path = h.write_bot_config(os.path.join(self.tmp.name, "bot.conf"), 6667,
                                  "/tmp/x.db", nick="qbot",
                                  channels=["#a", "#b secret"],
                                  sections={"flood": {"burst": 5, "interval_ms": 1000},
                                            "admin": {"owners": ["op1", "op2"]}},
                                  ping_timeout=9)
        cp = configparser.ConfigParser()
        self.assertEqual(cp.read(path), [path])
        self.assertEqual(cp["irc"]["server"], "127.0.0.1")
        self.assertEqual(cp["irc"]["port"], "6667")
        self.assertEqual(cp["irc"]["nick"], "qbot")
        self.assertEqual(cp["irc"]["alt_nicks"], "qbot_, qbot__")
        self.assertEqual(cp["irc"]["channels"], "#a, #b secret")
        self.assertEqual(cp["irc"]["ping_timeout"], "9")
        self.assertEqual(cp["bot"]["database"], "/tmp/x.db")
        self.assertEqual(cp["flood"]["burst"], "5")
        self.assertEqual(cp["admin"]["owners"], "op1, op2")
        self.assertNotIn("queue_max", cp["flood"])
        self.assertNotIn("limits", cp)           # all None: section left out

    def test_long_lists_wrap(self):
        chans = ["#channel-number-%02d" % i for i in range(40)]
        path = h.write_bot_config(os.path.join(self.tmp.name, "long.conf"), 1, "db",
                                  channels=chans)
        with open(path) as f:
            lines = [l.rstrip("\n") for l in f]
        self.assertTrue(all(len(l) <= 150 for l in lines), max(map(len, lines)))
        got = []
        for l in lines:
            if l.startswith("channels = "):
                got += l[len("channels = "):].split(", ")
        self.assertEqual(got, chans)
        self.assertGreater(sum(l.startswith("channels = ") for l in lines), 1)

    @unittest.skipUnless(os.environ.get("MISSIVE_BIN") and h.missive_has_subcommand("check-config"),
                         "needs MISSIVE_BIN with check-config")
    def test_config_accepted_by_missive(self):
        pw = os.path.join(self.tmp.name, "pw")
        with open(pw, "w") as f:
            f.write("sekrit\n")
        os.chmod(pw, 0o600)
        path = h.write_bot_config(
            os.path.join(self.tmp.name, "full.conf"), 6667, os.path.join(self.tmp.name, "m.db"),
            channels=["#c%02d" % i for i in range(30)] + ["#keyed key123"],
            password_file=pw,
            sections={"bot": {"more_expiry": 600, "max_lines": 3},
                      "flood": {"burst": 4, "interval_ms": 1100, "queue_max": 200},
                      "limits": {"user_burst": 3, "user_interval": 10, "channel_burst": 6,
                                 "channel_interval": 4, "ignore": ["*!*@bad.example"]},
                      "admin": {"owners": ["boss!*@127.0.0.1"]}})
        r = h.subprocess.run([h.missive_bin(), "check-config", path], stdout=h.subprocess.PIPE,
                             stderr=h.subprocess.STDOUT, timeout=10)
        text = r.stdout.decode(errors="replace")
        self.assertEqual(r.returncode, 0, text)
        self.assertIn("#c29", text)
        self.assertNotIn("sekrit", text)

    def test_bot_lifecycle_with_fake_binary(self):
        # The trap comes first: the "args" line the test waits for must mean
        # that SIGTERM is already handled.
        fake = self.script("fakebot", 'trap \'echo got TERM; exit 3\' TERM\n'
                                      'echo "args: $*" >&2\n'
                                      'while :; do sleep 0.1; done\n')
        conf = h.write_bot_config(os.path.join(self.tmp.name, "b.conf"), 1, "db")
        bot = h.Bot(conf, binary=fake)
        bot.start()
        pid = bot.pid
        bot.wait_log(r"args: run -c .*b\.conf", timeout=5)
        self.assertTrue(h.pid_alive(pid))
        self.assertIsNotNone(bot.rss_kb())
        self.assertEqual(bot.stop(), 3)
        self.assertIn("got TERM", bot.log_text())
        self.assertFalse(h.pid_alive(pid))

    def test_bot_killed_when_term_ignored(self):
        fake = self.script("stubborn", "trap '' TERM\nwhile :; do sleep 0.1; done\n")
        bot = h.Bot(os.path.join(self.tmp.name, "s.conf"), binary=fake)
        bot.start()
        time.sleep(0.3)
        self.assertEqual(bot.stop(timeout=1.0), -signal.SIGKILL)
        self.assertFalse(h.pid_alive(bot.pid))

    def test_subcommand_detection(self):
        yes = self.script("yes", 'echo "usage: missive import --db DB FILE"\n'
                                 'echo "       missive run -c CONFIG"\n')
        no = self.script("no", "echo missive\n")
        self.assertTrue(h.missive_has_subcommand("run", binary=yes))
        self.assertTrue(h.missive_has_subcommand("import", binary=yes))
        self.assertFalse(h.missive_has_subcommand("run", binary=no))
        self.assertFalse(h.missive_has_subcommand("serve", binary=yes))

    def test_message_parse(self):
        m = h.Message(":nick!u@h PRIVMSG #chan :hello :there")
        self.assertEqual((m.nick, m.command, m.params), ("nick", "PRIVMSG", ["#chan", "hello :there"]))
        m = h.Message("PING :irc.test")
        self.assertEqual((m.prefix, m.command, m.text), (None, "PING", "irc.test"))
        m = h.Message(":irc.test 001 me :Welcome")
        self.assertEqual((m.command, m.target, m.text), ("001", "me", "Welcome"))
        self.assertIsNotNone(h.check_line_sane(b"x" * 511 + b"\r\n"))
        self.assertIsNone(h.check_line_sane(b"x" * 510 + b"\r\n"))
        self.assertIsNotNone(h.check_line_sane(b"\xff\xfe\r\n"))


class ZZCleanupTest(unittest.TestCase):
    """Runs last (alphabetical): nothing started above may still be alive."""

    def test_no_server_left(self):
        self.assertTrue(STARTED_PIDS, "no server was started")
        alive = [p for p in STARTED_PIDS if p and h.pid_alive(p)]
        self.assertEqual(alive, [])
        with h._live_lock:
            self.assertEqual([p for p, pr in h._live.items() if pr.poll() is None], [])


def main():
    return h.run_tests(__name__)


if __name__ == "__main__":
    sys.exit(main())
