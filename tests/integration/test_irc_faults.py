"""Faults from the issue tracker, each reproduced against a server on
127.0.0.1: a fake server for what a real one never does on demand, ngircd
for the rest.

  - deaf after one long server line: libircclient 1.9 stops reading once a
    line fills its 1024-byte input buffer; the transport cuts server lines
    to 512 bytes, so the bot reads on without a reconnect;
  - rate limits keyed by nick: a new nick was a new allowance, and private
    questions had no limit of their own;
  - QUIT lost on SIGTERM when the send queue is full;
  - owner masks whose host part matches every host: a warning from
    check-config and in the log at startup and on reload;

Each test runs under a SIGALRM watchdog and ends every process it started
by PID.  Prints "N passed, M failed" and exits non-zero on failure.
"""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

TEST_LIMIT_S = 60
BOT = "missive"

TIMINGS = []


CORPUS = h.shared_corpus("faults-db-")  # the shipped corpus, imported once
setUpModule = CORPUS.setup
tearDownModule = CORPUS.cleanup


class FaultBase(h.DaemonTestCase):
    time_limit = TEST_LIMIT_S
    timings = TIMINGS
    tmp_prefix = "faults-"

    def conf(self, port, name="bot.conf", channels=("#t",), sections=None, **irc):
        settings = dict(reconnect_min=1, reconnect_max=4)
        settings.update(irc)
        return h.write_bot_config(os.path.join(self.dir, name), port, CORPUS.path,
                                  nick=BOT, channels=list(channels),
                                  sections=sections or {}, **settings)

    def bot(self, conf):
        b = h.Bot(conf).start()
        self.bots.append(b)
        return b

    def client(self, port, nick, channels=(), **kw):
        c = h.Client(port, nick, **kw)
        self.clients.append(c)
        for ch in channels:
            c.join(ch)
        return c


# --- 1. a server line longer than libircclient's input buffer -----------------------

class LongLineTest(FaultBase):
    def test_long_line_is_cut_and_the_bot_keeps_reading(self):
        """libircclient stops reading for good after a server line over 1023
        bytes; the transport cuts every server line to 512 bytes first, so
        the connection lives on and the next command is answered."""
        srv = h.FakeIrcServer().start()
        self.servers.append(srv)
        bot = self.bot(self.conf(srv.port, ping_interval=120, ping_timeout=60))
        first = srv.wait_conn(0).wait_registered()
        first.expect(r"^JOIN #t\b", timeout=10)
        first.send(":alice!alice@127.0.0.1 PRIVMSG #t :!quote 1.4")
        first.expect(r"^PRIVMSG #t :.*\[1\.4\]$", timeout=10)

        first.send(":%s NOTICE %s :%s" % (h.FakeIrcServer.name, BOT, "x" * 1500))
        first.send(":%s NOTICE %s :%s" % (h.FakeIrcServer.name, BOT, "y" * 3000))
        bot.wait_log(r"server line longer than 512 bytes: cut", timeout=5)
        first.send(":alice!alice@127.0.0.1 PRIVMSG #t :!quote 1.5")
        first.expect(r"^PRIVMSG #t :.*\[1\.5\]$", timeout=10)
        self.assertNotIn("disconnected", bot.log_text())


# --- 2. rate limits: user@host, and one limit for all private questions -------------

class RateLimitTest(FaultBase):
    LIMITS = {"user_burst": 3, "user_interval": 10, "channel_burst": 6,
              "channel_interval": 4, "private_burst": 6, "private_interval": 4}

    def accepted(self, bot, nick_re):
        """Commands the bot accepted from nicks matching nick_re (it logs
        each one at debug level once past the rate limits)."""
        return len(re.findall(r"(?m)^debug: %s: !quote" % nick_re, bot.log_text()))

    def test_nick_changes_and_clones_do_not_buy_answers(self):
        srv = h.Ngircd(self.dir, penalties=False).start()    # floods at full speed
        self.servers.append(srv)
        alice = self.client(srv.port, "alice", ["#t"])
        mallory = self.client(srv.port, "mal0", user="mallory")
        clones = [self.client(srv.port, "clone%d" % i, user="clone%d" % i) for i in range(3)]
        bot = self.bot(self.conf(srv.port, sections={"bot": {"log_level": "debug"},
                                                    "limits": self.LIMITS}))
        alice.expect(r"^:missive!\S+ JOIN :?#t$", timeout=10)

        # one user@host, a new nick every two questions: 24 questions
        for i in range(24):
            if i % 2 == 0:
                mallory.set_nick("mal%d" % (i // 2 + 1))
            mallory.privmsg(BOT, "!quote")
        # three more user@hosts, three questions each: within their own
        # limits, but private questions share one limit
        for c in clones:
            for _ in range(3):
                c.privmsg(BOT, "!quote")
        time.sleep(0.5)

        t0 = time.monotonic()
        alice.privmsg("#t", "!quote 1.4")
        alice.expect_privmsg(BOT, "#t", r"\[1\.4\]$", timeout=10)
        took = time.monotonic() - t0
        print("channel answer behind the flood: %.1f s" % took)

        from_mallory = self.accepted(bot, r"mal\d+")
        from_all = self.accepted(bot, r"(mal|clone)\d+")
        print("accepted: %d of 24 from one user under 13 nicks, %d of 33 private"
              % (from_mallory, from_all))
        # burst 3, plus one refill if the flood straddled a 10 s boundary
        self.assertLessEqual(from_mallory, 4, bot.log_text()[-3000:])
        # burst 6 for all private questions, plus at most two 4 s refills
        self.assertLessEqual(from_all, 8, bot.log_text()[-3000:])
        self.assertLess(took, 8.0)


# --- 3. SIGTERM with a full send queue ---------------------------------------------

class QuitTest(FaultBase):
    SHUTDOWN_S = 5.0

    def test_quit_reaches_server_with_full_queue(self):
        srv = h.Ngircd(self.dir, penalties=False).start()     # asker floods fast
        self.servers.append(srv)
        watcher = self.client(srv.port, "watcher", ["#t"])
        askers = [self.client(srv.port, "asker%d" % i, ["#t", "#u"], user="asker%d" % i)
                  for i in range(3)]
        loose = {"user_burst": 100, "user_interval": 1, "channel_burst": 100,
                 "channel_interval": 1, "private_burst": 100, "private_interval": 1}
        bot = self.bot(self.conf(srv.port, channels=("#t", "#u"),
                                 sections={"bot": {"log_level": "debug"},
                                           "flood": {"burst": 4, "interval_ms": 4000},
                                           "limits": loose}))
        watcher.expect(r"^:missive!\S+ JOIN :?#t$", timeout=10)
        askers[0].expect(r"^:missive!\S+ JOIN :?#u$", timeout=10)
        # more answers than the queue holds (200), in two channels and in
        # private: the bucket stays empty, a token comes every 4 s
        for _ in range(30):
            for a in askers:
                a.privmsg("#t", "!quote")
                a.privmsg("#u", "!quote")
                a.privmsg(BOT, "!quote")
        bot.wait_log(r"send queue full", timeout=20)

        t0 = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        code = bot.wait(timeout=self.SHUTDOWN_S)
        took = time.monotonic() - t0
        print("SIGTERM to exit with a full queue: %.1f s (exit %r)" % (took, code))
        self.assertEqual(code, 0, bot.log_text()[-3000:])
        self.assertLess(took, self.SHUTDOWN_S)
        # ngircd relays a user's quit reason in double quotes
        watcher.expect(r'^:missive!\S+ QUIT :"?Missive is shutting down"?$', timeout=3)


# --- 4. owner masks that anyone can match -----------------------------------------

class OwnerMaskTest(FaultBase):
    WARNING = (r"%s:%d: owners: 'owner!\*@\*' matches every host: anyone who takes "
               r"that nick or user name is an owner; name the host, as in "
               r"\*!\*@trusted\.host\.example")

    def test_wild_owner_host_warned(self):
        srv = h.FakeIrcServer().start()
        self.servers.append(srv)
        path = self.conf(srv.port, sections={"admin": {"owners": ["owner!*@*"]}})
        with open(path, encoding="utf-8") as f:
            line = 1 + [l.startswith("owners") for l in f.read().splitlines()].index(True)
        want = self.WARNING % (re.escape(path), line)

        r = h.subprocess.run([h.missive_bin(), "check-config", path],
                             stdout=h.subprocess.PIPE, stderr=h.subprocess.PIPE, timeout=10)
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)             # a warning, not an error
        self.assertRegex(err, r"(?m)^warning: " + want + "$")
        self.assertIn("owners = owner!*@*", r.stdout.decode())

        # the same safe form raises nothing
        safe = self.conf(srv.port, name="safe.conf",
                         sections={"admin": {"owners": ["*!*@trusted.host.example"]}})
        r = h.subprocess.run([h.missive_bin(), "check-config", safe],
                             stdout=h.subprocess.PIPE, stderr=h.subprocess.PIPE, timeout=10)
        self.assertEqual((r.returncode, r.stderr), (0, b""))

        bot = self.bot(path)
        bot.wait_log(r"(?m)^.*warn.*" + want, timeout=5)
        srv.wait_conn(0).wait_registered()
        bot.send_signal(signal.SIGHUP)
        h.wait_until(lambda: len(re.findall(want, bot.log_text())) >= 2, 5, 0.1)
        self.assertEqual(len(re.findall(want, bot.log_text())), 2, bot.log_text())


ZZCleanupTest = h.NothingLeftRunning


def main():
    return h.run_tests(__name__, TIMINGS, time.monotonic())


if __name__ == "__main__":
    sys.exit(main())
