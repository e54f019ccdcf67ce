"""Missive's IRC daemon against a real ngircd on 127.0.0.1: does it survive?

Each test starts its own ngircd on a free port, raw clients and `missive run`,
and ends every one of them by PID.  What is checked: registration and joins
(one channel keyed), nick fallback and regain, rejoin after KICK, reconnect
after a server restart and after a ping timeout (server paused with SIGSTOP),
backoff on a channel that refuses us, SIGHUP reload (good and bad config),
SIGTERM/SIGINT shutdown, owner commands, and `missive check-config`.

The bot runs with the shortest keep-alive the config allows (ping_interval
10, ping_timeout 5) and reconnect_min 1, reconnect_max 4, so the whole file
takes under three minutes.  Every test also runs under a SIGALRM watchdog.
Prints "N passed, M failed" and exits non-zero on failure.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

TEST_LIMIT_S = 75           # watchdog per test; the longest needs ~35 s
SHUTDOWN_S = 5.0            # SIGTERM/SIGINT to exit
ANSWER_S = 10.0             # a command to its answer, connection up
BOT = "missive"
BOT_ANY = r"missive_*"      # the bot under its nick or an alternate

TIMINGS = []


CORPUS = h.shared_corpus("resil-db-")  # the shipped corpus, imported once
setUpModule = CORPUS.setup
tearDownModule = CORPUS.cleanup


class ResilienceBase(h.DaemonTestCase):
    """A server, clients and bots per test, all ended in tearDown."""

    time_limit = TEST_LIMIT_S
    timings = TIMINGS
    tmp_prefix = "resil-"
    srv = None

    # -- set-up helpers

    def server(self, **kw):
        self.srv = h.Ngircd(self.dir, **kw).start()
        self.servers.append(self.srv)
        return self.srv

    def client(self, nick, channels=(), **kw):
        c = h.Client(self.srv.port, nick, **kw)
        self.clients.append(c)
        for ch in channels:
            c.join(ch)
        return c

    def conf(self, name="bot.conf", channels=("#t",), prefix="!", owners=None,
             extra_bot=None, nick=BOT, **irc):
        """Bot config: fast keep-alive and backoff, generous user limits (the
        rate limiter is not under test here)."""
        settings = dict(ping_interval=10, ping_timeout=5, reconnect_min=1, reconnect_max=4)
        settings.update(irc)
        bot = {"prefix": prefix, "log_level": "debug"}
        bot.update(extra_bot or {})
        sections = {
            "bot": bot,
            "limits": {"user_burst": 20, "user_interval": 1,
                       "channel_burst": 20, "channel_interval": 1,
                       "private_burst": 20, "private_interval": 1},
        }
        if owners:
            sections["admin"] = {"owners": owners}
        return h.write_bot_config(os.path.join(self.dir, name), self.srv.port, CORPUS.path,
                                  nick=nick, channels=list(channels), sections=sections,
                                  **settings)

    def bot(self, conf):
        b = h.Bot(conf).start()
        self.bots.append(b)
        return b

    # -- observation helpers

    @staticmethod
    def expect_t(client, regex, timeout=5.0, flags=0):
        """client.expect, plus the arrival time of the matching line."""
        m = client.expect(regex, timeout=timeout, flags=flags)
        return m, client.times[client.cursor - 1]

    @staticmethod
    def log_count(bot, regex):
        return len(re.findall(regex, bot.log_text(), re.M))

    def wait_log_count(self, bot, regex, n, timeout):
        ok = h.wait_until(lambda: self.log_count(bot, regex) >= n, timeout, 0.1)
        if not ok:
            self.fail("bot log: %r seen %d times, wanted %d within %.0f s; tail:\n%s"
                      % (regex, self.log_count(bot, regex), n, timeout,
                         bot.log_text()[-2500:]))

    def bot_joins(self, client, channel, timeout=10.0, nick=BOT_ANY):
        return self.expect_t(client, r"^:%s!\S+ JOIN :?%s$" % (nick, re.escape(channel)),
                             timeout=timeout, flags=re.I)

    def ask(self, client, target, command, ref, timeout=ANSWER_S, nick=BOT_ANY):
        """Send command to target; the bot's next PRIVMSG there must be the
        passage [ref] (ref None: any passage).  Returns the Message."""
        client.privmsg(target, command)
        reply_to = target if target[0] in "#&" else client.nick
        m = client.expect(r"^:%s!\S+ PRIVMSG %s :" % (nick, re.escape(reply_to)),
                          timeout=timeout, flags=re.I)
        msg = h.Message(m.string)
        self.assertRegex(msg.text, r"\[%s\]$" % (re.escape(ref) if ref else r"\d+\.\d+"))
        return msg

    def assert_lines_sane(self, client):
        for raw in client.raw:
            self.assertIsNone(h.check_line_sane(raw), raw)


# --- 1. registration, joins, first answer ------------------------------------------

class ConnectTest(ResilienceBase):
    def test_connect_join_keyed_and_answer(self):
        self.server()
        keeper = self.client("keeper", ["#keyed"])
        keeper.send("MODE #keyed +k sekrit")
        keeper.expect(r"^:keeper!\S+ MODE #keyed \+k :?sekrit$")
        with self.assertRaises(h.HarnessError):     # the key is really needed
            self.client("nokey").join("#keyed")
        alice = self.client("alice", ["#t"])
        bot = self.bot(self.conf(channels=["#t", "#keyed sekrit"]))

        self.bot_joins(alice, "#t", nick=BOT)
        self.bot_joins(keeper, "#keyed", nick=BOT)
        bot.wait_log(r"(?m)^info: registered as missive$")
        bot.wait_log(r"(?m)^info: joined #keyed$")

        msg = self.ask(alice, "#t", "!quote 1.4", "1.4", nick=BOT)
        self.assertIn("Stalin to Churchill, 18 July 1941", msg.text)
        self.ask(keeper, "#keyed", "!quote 1.5", "1.5", nick=BOT)
        self.assertEqual(self.log_count(bot, r"^warn: cannot join"), 0)

        # libircclient 1.9 matches its own nick by prefix: "missive2" changing
        # nick must not rename the bot (irc.c tracks the nick itself)
        other = self.client("missive2", ["#t"])
        other.set_nick("zed")
        alice.expect(r"^:missive2!\S+ NICK :?zed$")
        self.ask(alice, "#t", "!quote 2.1", "2.1", nick=BOT)
        self.ask(alice, "#t", "missive: when will you open a second front?", None, nick=BOT)
        self.ask(alice, BOT, "!quote 1.5", "1.5", nick=BOT)
        self.assertEqual(self.log_count(bot, r"^info: now known as"), 0)
        self.assert_lines_sane(alice)
        self.assert_lines_sane(keeper)

    def test_server_password(self):
        self.server(password="pw-Xq7-s3cret")
        secret_file = os.path.join(self.dir, "server-password")
        with open(secret_file, "w") as f:
            f.write("pw-Xq7-s3cret\n")
        os.chmod(secret_file, 0o600)
        alice = self.client("alice", password="pw-Xq7-s3cret")
        alice.join("#t")
        bot = self.bot(self.conf(password_file="server-password"))
        self.bot_joins(alice, "#t", nick=BOT)
        self.ask(alice, "#t", "!quote 1.4", "1.4")
        self.assertNotIn("pw-Xq7-s3cret", bot.log_text())


# --- 2. nick collision and regain --------------------------------------------------

class NickTest(ResilienceBase):
    def _collide(self):
        self.server()
        holder = self.client(BOT, ["#t"])
        watcher = self.client("watcher", ["#t"])
        bot = self.bot(self.conf())
        bot.wait_log(r"(?m)^info: registered as missive_$")
        self.bot_joins(watcher, "#t", nick="missive_")
        return holder, watcher, bot

    def test_regain_when_holder_quits(self):
        holder, watcher, bot = self._collide()
        holder.quit("making room")
        _, t_quit = self.expect_t(watcher, r"^:missive!\S+ QUIT ")
        _, t_nick = self.expect_t(watcher, r"^:missive_!\S+ NICK :?missive$", timeout=5)
        self.assertLess(t_nick - t_quit, 5.0)
        bot.wait_log(r"(?m)^info: now known as missive$")
        self.ask(watcher, "#t", "!quote 1.4", "1.4", nick=BOT)

    def test_regain_when_holder_changes_nick(self):
        holder, watcher, bot = self._collide()
        holder.set_nick("holder")
        _, t_change = self.expect_t(watcher, r"^:missive!\S+ NICK :?holder$")
        _, t_nick = self.expect_t(watcher, r"^:missive_!\S+ NICK :?missive$", timeout=5)
        self.assertLess(t_nick - t_change, 5.0)
        # the holder's rename must not be taken for ours
        self.ask(watcher, "#t", "!quote 1.4", "1.4", nick=BOT)
        self.assertEqual(self.log_count(bot, r"^info: now known as (?!missive$)"), 0,
                         bot.log_text())

    def test_all_alternates_taken(self):
        self.server()
        holders = [self.client(n) for n in (BOT, "missive_", "missive__")]
        holders[0].join("#t")
        watcher = self.client("watcher", ["#t"])
        bot = self.bot(self.conf())
        m = bot.wait_log(r"(?m)^info: registered as (\S+)$")
        self.assertRegex(m.group(1), r"^missiv\d{3}$")   # fits a 9-byte NICKLEN
        self.bot_joins(watcher, "#t", nick=re.escape(m.group(1)))
        holders[0].quit("making room")
        watcher.expect(r"^:%s!\S+ NICK :?missive$" % m.group(1), timeout=5)
        self.ask(watcher, "#t", "!quote 1.4", "1.4", nick=BOT)


# --- 3. KICK and rejoin -------------------------------------------------------------

class KickTest(ResilienceBase):
    def test_rejoin_after_kick_not_instantly(self):
        self.server()
        op = self.client("chanop")
        op.send("JOIN #t")
        op.expect(r"^:\S+ 353 chanop . #t :@chanop")      # first in: channel operator
        op.expect(r"^:\S+ 366 ")
        bot = self.bot(self.conf())
        self.bot_joins(op, "#t", nick=BOT)

        op.send("KICK #t %s :behave" % BOT)
        _, t_kick = self.expect_t(op, r"^:chanop!\S+ KICK #t missive :?behave$")
        _, t_back = self.bot_joins(op, "#t", timeout=20, nick=BOT)
        self.assertGreaterEqual(t_back - t_kick, 5.0, "rejoined too eagerly")
        self.assertLessEqual(t_back - t_kick, 20.0)
        bot.wait_log(r"(?m)^warn: kicked from #t by chanop")
        self.ask(op, "#t", "!quote 1.4", "1.4", nick=BOT)
        self.assertEqual(self.log_count(bot, r"^debug: >> JOIN #t$"), 2)

    # An owner's "join #keyed" without the key, for a configured keyed
    # channel, must keep the configured key: else the rejoin after a KICK
    # (or a reconnect) is refused with 475 and backed off for 60 s.
    def test_owner_join_keeps_configured_key(self):
        self.server()
        op = self.client("chanop", ["#keyed"])
        op.send("MODE #keyed +k sekrit")
        op.expect(r"^:chanop!\S+ MODE #keyed \+k :?sekrit$")
        owner = self.client("owner")
        bot = self.bot(self.conf(channels=["#keyed sekrit"], owners=["owner!*@*"]))
        self.bot_joins(op, "#keyed", nick=BOT)
        owner.privmsg(BOT, "join #keyed")           # already there, no key given
        owner.expect_privmsg(BOT, "owner", timeout=ANSWER_S)
        op.send("KICK #keyed %s :again" % BOT)
        op.expect(r"^:chanop!\S+ KICK #keyed missive\b")
        rejoin = re.compile(r"^:missive!\S+ JOIN :?#keyed$")
        refused = re.compile(r"(?m)^warn: cannot join #keyed")
        h.wait_until(lambda: any(rejoin.match(l) for l in op.lines[op.cursor:])
                     or refused.search(bot.log_text()), 20, 0.1)
        self.assertNotRegex(bot.log_text(), refused)
        self.bot_joins(op, "#keyed", timeout=1, nick=BOT)


# --- 4. server restart ------------------------------------------------------------------

class RestartTest(ResilienceBase):
    def test_reconnect_after_server_restart(self):
        self.server()
        watcher = self.client("watcher", ["#t"])
        bot = self.bot(self.conf())
        self.bot_joins(watcher, "#t", nick=BOT)
        self.ask(watcher, "#t", "!quote 1.4", "1.4")

        self.srv.restart(down_for=3.0)          # refused connections meanwhile
        t_up = time.monotonic()
        self.assertTrue(watcher.wait_closed(timeout=1))
        self.wait_log_count(bot, r"^info: registered as ", 2, timeout=4 + 3)
        self.assertLessEqual(time.monotonic() - t_up, 4 + 3)

        delays = [float(x) for x in
                  re.findall(r"(?m)^info: reconnecting in ([0-9.]+) s", bot.log_text())]
        self.assertGreaterEqual(len(delays), 2, bot.log_text())   # it retried while down
        for d in delays:
            self.assertGreaterEqual(d, 0.5)     # reconnect_min 1, half of it fixed
            self.assertLessEqual(d, 4.0)        # reconnect_max 4

        again = self.client("again", ["#t"])
        self.wait_log_count(bot, r"^info: joined #t$", 2, timeout=5)
        self.ask(again, "#t", "!quote 1.5", "1.5")


# --- 5. ping timeout ----------------------------------------------------------------------

class PingTimeoutTest(ResilienceBase):
    def test_silent_server_detected_and_survived(self):
        self.server()
        watcher = self.client("watcher", ["#t"])
        bot = self.bot(self.conf())
        self.bot_joins(watcher, "#t", nick=BOT)

        self.srv.pause()
        t_pause = time.monotonic()
        # silence: PING after ping_interval (10), give up ping_timeout (5) later
        bot.wait_log(r"(?m)^warn: disconnected: ping timeout", timeout=20)
        detected = time.monotonic() - t_pause
        self.assertGreater(detected, 4.0, "ping timeout before any silence")
        self.assertLessEqual(detected, 10 + 5 + 3)
        self.assertGreaterEqual(self.log_count(bot, r"^debug: >> PING "), 1)
        bot.wait_log(r"ping timeout[^\n]*\n(.*\n)*info: reconnecting in [0-9.]+ s", timeout=2)
        self.wait_log_count(bot, r"^info: connecting to ", 2, timeout=5)
        self.assertTrue(bot.running)
        self.srv.resume()

        self.wait_log_count(bot, r"^info: registered as ", 2, timeout=10)
        self.wait_log_count(bot, r"^info: joined #t$", 2, timeout=10)
        self.ask(watcher, "#t", "!quote 1.4", "1.4")


# --- 6. a channel that refuses us ------------------------------------------------------

class SlowPathsTest(ResilienceBase):
    """Two things that each need a 30 s wait share one: a channel that
    refuses us is not hammered, and a nick held by someone we share no
    channel with is asked for again by the regain timer (30 s).  The bot is
    also idle long enough here to send keep-alive PINGs to a healthy server,
    which must not cost it the connection."""

    WINDOW_S = 30.0
    REGAIN_S = 30.0

    def test_invite_only_not_hammered_and_timed_regain(self):
        self.server()
        holder = self.client(BOT)                      # in no channel: no QUIT seen
        gate = self.client("gate", ["#closed"])
        gate.send("MODE #closed +i")
        gate.expect(r"^:gate!\S+ MODE #closed :?\+i$")
        watcher = self.client("watcher", ["#t"])
        bot = self.bot(self.conf(channels=["#closed", "#t"]))
        t0 = time.monotonic()

        bot.wait_log(r"(?m)^info: registered as missive_$")
        t_reg = time.monotonic()
        holder.quit("gone")
        bot.wait_log(r"(?m)^warn: cannot join #closed \(473\b", timeout=10)
        self.bot_joins(watcher, "#t", nick="missive_")  # the other channel still works
        self.ask(watcher, "#t", "!quote 1.4", "1.4")

        _, t_nick = self.expect_t(watcher, r"^:missive_!\S+ NICK :?missive$",
                                  timeout=self.REGAIN_S + 5)
        self.assertLessEqual(t_nick - t_reg, self.REGAIN_S + 3)
        time.sleep(max(0.0, self.WINDOW_S - (time.monotonic() - t0)))
        joins = self.log_count(bot, r"^debug: >> JOIN #closed$")
        self.assertGreaterEqual(joins, 1)
        self.assertLessEqual(joins, 2, bot.log_text())
        self.assertFalse([m for m in gate.messages("JOIN") if m.nick.startswith(BOT)])

        self.assertGreaterEqual(self.log_count(bot, r"^debug: >> PING "), 1, bot.log_text())
        self.assertEqual(self.log_count(bot, r"^warn: disconnected"), 0, bot.log_text())
        self.ask(watcher, "#t", "!quote 1.5", "1.5", nick=BOT)
        self.assertTrue(bot.running)


# --- 7. SIGHUP reload ------------------------------------------------------------------------

class ReloadTest(ResilienceBase):
    def test_reload_good_then_bad_config(self):
        self.server()
        watcher = self.client("watcher", ["#t", "#new"])
        conf = self.conf(channels=["#t"])
        bot = self.bot(conf)
        self.bot_joins(watcher, "#t", nick=BOT)
        self.ask(watcher, "#t", "!quote 1.4", "1.4")

        self.conf(channels=["#t", "#new"], prefix="@")
        bot.send_signal(signal.SIGHUP)
        bot.wait_log(r"(?m)^info: configuration reloaded$")
        self.bot_joins(watcher, "#new", nick=BOT)
        for chan in ("#new", "#t"):
            # answered in order: if 1.4 comes first, "!quote 1.5" was ignored
            watcher.privmsg(chan, "!quote 1.5")
            self.ask(watcher, chan, "@quote 1.4", "1.4")

        # a bad file: unknown key; the running configuration stays
        self.conf(channels=["#t", "#new"], prefix="@", extra_bot={"no_such_key": "1"})
        with open(conf) as f:
            bad_line = 1 + next(i for i, l in enumerate(f) if l.startswith("no_such_key"))
        bot.send_signal(signal.SIGHUP)
        bot.wait_log(r"(?m)^error: reload failed")
        bot.wait_log(r"(?m)^error: %s:%d: .*no_such_key" % (re.escape(conf), bad_line))
        time.sleep(0.3)
        self.assertTrue(bot.running)
        watcher.privmsg("#new", "!quote 1.4")
        self.ask(watcher, "#new", "@quote 2.1", "2.1")
        self.assertEqual(self.log_count(bot, r"^info: configuration reloaded$"), 1)
        self.assertFalse(watcher.messages("PART"))

        # a new nick is asked for at once; a channel left out is parted
        self.conf(channels=["#new"], prefix="@", nick="scribe")
        bot.send_signal(signal.SIGHUP)
        since = watcher.mark()
        watcher.expect(r"^:missive!\S+ NICK :?scribe$", timeout=5, since=since)
        watcher.expect(r"^:(missive|scribe)!\S+ PART #t\b", timeout=5, since=since)
        watcher.skip()
        self.ask(watcher, "#new", "@quote 1.4", "1.4", nick="scribe")
        self.ask(watcher, "#new", "scribe, when will you open a second front?", None,
                 nick="scribe")
        self.assertEqual(self.log_count(bot, r"^info: configuration reloaded$"), 2)


# --- 8. SIGTERM / SIGINT ----------------------------------------------------------------------

class ShutdownTest(ResilienceBase):
    def _shutdown(self, sig):
        self.server()
        watcher = self.client("watcher", ["#t"])
        bot = self.bot(self.conf())
        self.bot_joins(watcher, "#t", nick=BOT)
        t0 = time.monotonic()
        bot.send_signal(sig)
        code = bot.wait(timeout=SHUTDOWN_S)
        self.assertEqual(code, 0, bot.log_text())
        self.assertLess(time.monotonic() - t0, SHUTDOWN_S)
        # ngircd relays a user's quit reason in double quotes
        watcher.expect(r'^:missive!\S+ QUIT :"?Missive is shutting down"?$', timeout=3)

    def test_sigterm_quits_cleanly(self):
        self._shutdown(signal.SIGTERM)

    def test_sigint_quits_cleanly(self):
        self._shutdown(signal.SIGINT)

    def test_sigterm_while_server_down(self):
        self.server()
        watcher = self.client("watcher", ["#t"])
        bot = self.bot(self.conf())
        self.bot_joins(watcher, "#t", nick=BOT)
        self.srv.stop()
        bot.wait_log(r"(?m)^info: reconnecting in ", timeout=5)
        t0 = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        self.assertEqual(bot.wait(timeout=SHUTDOWN_S), 0, bot.log_text())
        self.assertLess(time.monotonic() - t0, SHUTDOWN_S)

    def test_sigterm_while_server_silent(self):
        # QUIT cannot be answered by a stopped server: the bot gives up
        # waiting for the close and still exits 0 in time.
        self.server()
        watcher = self.client("watcher", ["#t"])
        bot = self.bot(self.conf())
        self.bot_joins(watcher, "#t", nick=BOT)
        self.srv.pause()
        t0 = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        self.assertEqual(bot.wait(timeout=SHUTDOWN_S), 0, bot.log_text())
        self.assertLess(time.monotonic() - t0, SHUTDOWN_S)
        self.srv.resume()


# --- 9. owner commands --------------------------------------------------------------------------

class OwnerTest(ResilienceBase):
    def test_owner_commands_and_stranger(self):
        self.server()
        owner = self.client("owner")
        stranger = self.client("stranger")
        watcher = self.client("watcher", ["#t", "#other", "#x"])
        bot = self.bot(self.conf(owners=["owner!*@*"]))
        self.bot_joins(watcher, "#t", nick=BOT)

        owner.privmsg(BOT, "status")
        st = owner.expect_privmsg(BOT, "owner", timeout=ANSWER_S)
        self.assertIn("lines sent", st.text)
        self.assertIn("connected", st.text)

        owner.privmsg(BOT, "join #other")
        self.bot_joins(watcher, "#other", nick=BOT)
        owner.privmsg(BOT, "say #other hello")
        watcher.expect(r"^:missive!\S+ PRIVMSG #other :hello$", timeout=ANSWER_S)
        owner.privmsg(BOT, "part #other")
        watcher.expect(r"^:missive!\S+ PART #other\b", timeout=ANSWER_S)

        # the same from someone else: no owner powers
        for text in ("join #x", "say #x hello", "status", "!join #x"):
            stranger.privmsg(BOT, text)
        owner.privmsg(BOT, "status")             # answered after the above
        st = owner.expect_privmsg(BOT, "owner", regex=r"lines sent", timeout=ANSWER_S)
        self.assertNotIn("#x", st.text)
        self.assertNotIn("#other", st.text)
        time.sleep(1.0)
        self.assertFalse([m for m in watcher.messages(frm=BOT, target="#x")], watcher.lines)
        self.assertFalse([m for m in stranger.privmsgs(frm=BOT) if "lines sent" in m.text])
        self.assertEqual(self.log_count(bot, r"^info: owner stranger"), 0)
        self.assertEqual(self.log_count(bot, r"^debug: >> JOIN #x"), 0)

    def test_private_help(self):
        """`/msg missive help` gets the help, not a passage; an owner's help
        also lists the owner commands, and only in private."""
        self.server()
        owner = self.client("owner", ["#t"])
        stranger = self.client("stranger")
        self.bot(self.conf(owners=["owner!*@*"]))
        self.bot_joins(owner, "#t", nick=BOT)

        stranger.privmsg(BOT, "help")
        m = stranger.expect_privmsg(BOT, "stranger", timeout=ANSWER_S)
        self.assertTrue(m.text.startswith("Passages from historical letters"), m.text)
        owner.privmsg(BOT, "help")
        m = owner.expect_privmsg(BOT, "owner", regex=r"^As an owner", timeout=ANSWER_S)
        self.assertIn("join #chan", m.text)
        self.assertIn("set #chan", m.text)
        owner.privmsg("#t", "!help")
        owner.expect_privmsg(BOT, "#t", regex=r"^Passages from", timeout=ANSWER_S)
        time.sleep(1.0)
        self.assertFalse([m for m in owner.messages(frm=BOT, target="#t")
                          if "As an owner" in m.text])
        self.assertFalse([m for m in stranger.privmsgs(frm=BOT) if "As an owner" in m.text])


class LogStampTest(ResilienceBase):
    def test_file_lines_stamped_journal_lines_not(self):
        """Written to a file, every log line starts with an ISO-8601 UTC
        timestamp; when JOURNAL_STREAM names the bot's stderr (as systemd
        sets it), lines carry a priority and no timestamp."""
        self.server()
        watcher = self.client("watcher", ["#t"])
        bot = self.bot(self.conf())
        self.bot_joins(watcher, "#t", nick=BOT)
        bot.wait_log(r"(?m)^info: ")
        lines = [l for l in bot.log_raw().splitlines() if l]
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                                   r"(error|warn|info|debug): ")
        self.assertNotRegex(bot.log_text(), r"(?m)^\d{4}-")

        conf = self.conf(name="journal.conf", nick="missive2")
        log = os.path.join(self.dir, "journal.log")
        open(log, "wb").close()
        st = os.stat(log)
        env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        jb = h.Bot(conf, env=env, log_path=log).start()
        self.bots.append(jb)
        jb.wait_log(r"(?m)^<6>")
        for line in [l for l in jb.log_raw().splitlines() if l]:
            self.assertRegex(line, r"^<[3-7]>(?!\d{4}-)")


# --- 10. check-config -------------------------------------------------------------------------------

class CheckConfigTest(unittest.TestCase):
    SECRET = "Zebra-7731-secret"
    KEY = "chankey-4412"

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="resil-cc-")
        self.dir = self.tmp.name
        self.started = time.monotonic()

    def tearDown(self):
        self.tmp.cleanup()
        TIMINGS.append((self.id().rsplit(".", 1)[-1], time.monotonic() - self.started))

    def run_cc(self, path):
        r = subprocess.run([h.missive_bin(), "check-config", path], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")

    def test_good_config_printed_masked(self):
        with open(os.path.join(self.dir, "pw"), "w") as f:
            f.write(self.SECRET + "\n")
        conf = h.write_bot_config(os.path.join(self.dir, "good.conf"), 6667, "missive.db",
                                  channels=["#a", "#b " + self.KEY], password_file="pw",
                                  ping_interval=10, ping_timeout=5)
        code, out, err = self.run_cc(conf)
        self.assertEqual(code, 0, err)
        self.assertNotIn(self.SECRET, out + err)
        self.assertNotIn(self.KEY, out + err)
        self.assertIn("********", out)
        for needle in ("[irc]", "[bot]", "[flood]", "[limits]", "[admin]"):
            self.assertIn(needle, out)
        self.assertRegex(out, r"(?m)^port = 6667\b")
        self.assertRegex(out, r"(?m)^ping_interval = 10\b")
        self.assertRegex(out, r"(?m)^password_file = %s\b" % re.escape(os.path.join(self.dir, "pw")))
        self.assertRegex(out, r"(?m)^database = %s\b" % re.escape(os.path.join(self.dir, "missive.db")))
        # what it prints is itself a valid config (config.h promises that)
        printed = os.path.join(self.dir, "printed.conf")
        with open(printed, "w") as f:
            f.write(out)
        code2, out2, err2 = self.run_cc(printed)
        self.assertEqual(code2, 0, err2)
        self.assertNotIn(self.SECRET, out2 + err2)

    def test_bad_config_all_errors_with_lines(self):
        path = os.path.join(self.dir, "bad.conf")
        lines = [
            "[irc]",                     # 1
            "port = 99999",              # 2: out of range
            "nick = 9lives",             # 3: starts with a digit
            "password = hunter2",        # 4: never in the file
            "colour = blue",             # 5: unknown key
            "[nonsense]",                # 6: unknown section
            "[bot]",                     # 7
            "max_lines = 0",             # 8: out of range
        ]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        code, out, err = self.run_cc(path)
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertNotIn("hunter2", err)
        found = set(int(n) for n in re.findall(r"(?m)^%s:(\d+): " % re.escape(path), err))
        self.assertEqual(found, {2, 3, 4, 5, 6, 8}, err)


# --- runner ---------------------------------------------------------------------------------------------

ZZCleanupTest = h.NothingLeftRunning


def main():
    return h.run_tests(__name__, TIMINGS, time.monotonic())


if __name__ == "__main__":
    sys.exit(main())
