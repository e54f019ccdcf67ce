"""Missive's IRC daemon under real traffic, on real servers on 127.0.0.1.

`missive run` is started against ngircd (and InspIRCd 3 when installed) and
driven by raw clients from ircharness.py:

  * every command answered, in a channel and in private;
  * five clients flooding one channel: the bot is never cut for flooding
    (InspIRCd disconnects with "Excess Flood"; ngircd only delays, so it can
    not show that), every line it sends is a valid IRC line, and the rate
    limits answer and notify exactly as designed;
  * hostile input (overlong, invalid UTF-8, control codes, CR/LF injection,
    FTS syntax, look-alike nicks): no crash, no stall, no injected command;
  * CTCP answers and their rate limit;
  * ignore masks, NOTICEs and other Missive instances never answered;
  * two instances in one channel: one answer each, no loop.

Functional tests use a fast send queue (burst 10, 150 ms) on ngircd without
penalties so they run in seconds; the flood, CTCP and two-bot tests keep the
shipped send-queue defaults (burst 4, 1100 ms), which is what InspIRCd judges.
Every server, bot and client is ended by its test.  Prints
"N passed, M failed" and exits non-zero on failure.
"""

import os
import re
import signal
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

CHAN = "#letters"
BOT = "missive"
NOTICE_TEXT = "faster than I may answer"
PASSAGE_RE = (r'^".+" \u2014 (Stalin|Churchill) to (Stalin|Churchill), .*1941 '
              r'\[\d+\.\d+(, emended)?\]$')
CITE_RE = r"\[(\d+\.\d+)(?:, emended)?\]$"

# The shipped defaults, set explicitly so the counts below follow from them.
DESIGN_LIMITS = {"user_burst": 3, "user_interval": 10,
                 "channel_burst": 6, "channel_interval": 4}
LOOSE_LIMITS = {"user_burst": 100, "user_interval": 1,
                "channel_burst": 100, "channel_interval": 1,
                "private_burst": 100, "private_interval": 1}
FAST_FLOOD = {"burst": 10, "interval_ms": 150}
DEFAULT_FLOOD = {"burst": 4, "interval_ms": 1100}

_DB = {}
TIMINGS = []


def setUpModule():
    _DB["dir"] = tempfile.TemporaryDirectory(prefix="traffic-db-")
    _DB["path"] = os.path.join(_DB["dir"].name, "missive.db")
    h.import_corpus(_DB["path"])


def tearDownModule():
    _DB["dir"].cleanup()


class RelaxedInspircd(h.Inspircd):
    """InspIRCd with the harness's strict default class on `port` (for the
    bot) and a second port, `client_port`, whose class never cuts a client,
    so that test clients can fire ten commands at once."""

    def __init__(self, tmpdir, **kw):
        super().__init__(tmpdir, **kw)
        self.client_port = h.free_port()

    def _write_config(self):
        super()._write_config()
        with open(self.conf_path, "r", encoding="utf-8") as f:
            conf = f.read()
        relaxed = ('<bind address="{host}" port="{p}" type="clients">\n'
                   '<connect name="testers" allow="*" port="{p}" timeout="60" '
                   'pingfreq="120" threshold="100000" commandrate="1000000" '
                   'fakelag="no" hardsendq="1048576" softsendq="65536" recvq="65536" '
                   'localmax="1000" globalmax="1000" limit="5000" '
                   'resolvehostnames="no" useident="no">\n'
                   ).format(host=h.HOST, p=self.client_port)
        # the first matching <connect> wins: the port-bound one goes first
        conf = conf.replace('<connect name="main"', relaxed + '<connect name="main"', 1)
        with open(self.conf_path, "w", encoding="utf-8") as f:
            f.write(conf)


class TrafficCase(unittest.TestCase):
    """A server, one or more bots and raw clients, all ended by cleanups."""

    server_kind = "ngircd"

    def setUp(self):
        self._t0 = time.monotonic()
        self.addCleanup(lambda: TIMINGS.append((self.id().split(".", 1)[1],
                                                time.monotonic() - self._t0)))
        self.tmp = tempfile.TemporaryDirectory(prefix="traffic-")
        self.addCleanup(self.tmp.cleanup)
        self.clients = []
        self.bots = {}

    # -- pieces

    def start_server(self, kind=None, **kw):
        kind = kind or self.server_kind
        d = os.path.join(self.tmp.name, kind)
        if kind == "inspircd":
            kw.pop("penalties", None)           # an ngircd setting
            srv = RelaxedInspircd(d, **kw)
        else:
            srv = h.Ngircd(d, **kw)
            srv.client_port = srv.port
        srv.start()
        self.addCleanup(srv.stop)
        self.srv = srv
        return srv

    def client(self, nick, join=True, port=None, **kw):
        c = h.Client(port or self.srv.client_port, nick, **kw)
        self.addCleanup(c.close)
        self.clients.append(c)
        if join:
            c.join(CHAN)
        return c

    def start_bot(self, nick=BOT, limits=None, flood=None, ignore=None,
                  watcher=None, port=None):
        limits = dict(limits or LOOSE_LIMITS)
        if ignore:
            limits["ignore"] = ignore
        path = os.path.join(self.tmp.name, nick + ".conf")
        h.write_bot_config(path, port or self.srv.port, _DB["path"], nick=nick,
                           channels=[CHAN],
                           sections={"limits": limits, "flood": dict(flood or FAST_FLOOD)},
                           reconnect_min=1, reconnect_max=2)
        bot = h.Bot(path)
        bot.start()
        self.addCleanup(self.stop_bot, bot)
        self.bots[nick] = bot
        if watcher is not None:
            try:
                watcher.expect(r"^:%s!\S+ JOIN :?%s$" % (re.escape(nick), re.escape(CHAN)),
                               timeout=15, flags=re.I)
            except h.HarnessError as e:
                raise h.HarnessError("%s\nbot log:\n%s" % (e, bot.log_text()[-3000:]))
        return bot

    def stop_bot(self, bot):
        """SIGTERM: the bot quits cleanly (exit 0), and no sanitizer (in an
        ASan/UBSan build) reported anything."""
        was_running = bot.running
        code = bot.stop()
        log = bot.log_text()
        self.assertNotRegex(log, r"AddressSanitizer|LeakSanitizer|runtime error:",
                            log[-3000:])
        if was_running:
            self.assertEqual(code, 0, log[-2000:])

    # -- reading what the bot said

    @staticmethod
    def from_bot(client, nick=BOT, command=None, since=0):
        """Messages from the bot received by client (from index since)."""
        out = []
        for msg in client.messages()[since:]:
            if (msg.nick or "").lower() == nick.lower() and \
                    (command is None or msg.command == command):
                out.append(msg)
        return out

    def quiet(self, client, seconds, nick=BOT, limit=60.0, since=0.0):
        """Wait until client (None: every client) has heard nothing from the
        bot for `seconds`, counted from `since` (a time.monotonic()) at the
        earliest.  The bot serves its targets round-robin, so a channel can
        be silent for a while as notices go out to users."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            last = since
            for c in ([client] if client else list(self.clients)):
                msgs = self.from_bot(c, nick)
                if msgs:
                    last = max(last, msgs[-1].time)
            if time.monotonic() - last >= seconds:
                return
            time.sleep(0.1)
        self.fail("the bot kept talking for %.0f s" % limit)

    def assert_bot_sane(self, nick=BOT):
        """Every line from the bot, as any client received it, is a valid
        IRC line and a PRIVMSG or NOTICE to the channel or that client (or
        the bot's own JOIN); and every line the bot logged as sent is one
        of the commands it may send on its own."""
        for c in self.clients:
            for raw in c.raw:
                msg = h.Message(raw.rstrip(b"\r\n").decode("utf-8", errors="replace"))
                if (msg.nick or "").lower() != nick.lower():
                    continue
                self.assertIsNone(h.check_line_sane(raw), "%s got %r" % (c.nick, raw))
                self.assertNotIn("Excess Flood", msg.raw)
                if msg.command == "JOIN":
                    self.assertEqual(msg.target.lower(), CHAN)
                    continue
                self.assertIn(msg.command, ("PRIVMSG", "NOTICE"), "%s got %r" % (c.nick, raw))
                if msg.command == "PRIVMSG":
                    self.assertIn(msg.target.lower(), (CHAN, c.nick.lower()), raw)
                else:
                    self.assertEqual(msg.target.lower(), c.nick.lower(), raw)
        bot = self.bots[nick]
        nicks = {c.nick.lower() for c in self.clients}
        allowed = re.compile(r"^(PRIVMSG|NOTICE) (\S+) :|^JOIN %s$|^PING :missive$" % re.escape(CHAN))
        sent = re.findall(r"(?m)^debug: >> (.*)$", bot.log_text())
        self.assertIn("JOIN " + CHAN, sent, "the log (level debug) shows what was sent")
        for line in sent:
            m = allowed.match(line)
            self.assertTrue(m, "the bot sent %r" % line)
            if m.group(2):
                self.assertIn(m.group(2).lower(), nicks | {CHAN}, line)

    def bot_line_times(self, watch, nick=BOT, after=0.0):
        """Arrival times of the bot's PRIVMSGs and NOTICEs after `after`:
        channel lines as watch got them, private ones from their targets."""
        times = []
        for c in self.clients:
            for m in self.from_bot(c, nick):
                if m.command not in ("PRIVMSG", "NOTICE") or m.time < after:
                    continue
                if m.target.lower() == CHAN and c is not watch:
                    continue
                times.append(m.time)
        return sorted(times)

    def assert_paced(self, times, burst, interval_s, slack=1):
        """No window of the bot's lines holds more than its token bucket
        allows: burst + duration / interval (+ slack for arrival jitter)."""
        worst = 0.0
        for i in range(len(times)):
            for j in range(i, len(times)):
                over = (j - i + 1) - (burst + (times[j] - times[i]) / interval_s)
                worst = max(worst, over)
                self.assertLessEqual(over, slack, "lines %d..%d of %d in %.2f s"
                                     % (i, j, len(times), times[j] - times[i]))
        return worst

    def assert_no_excess_flood(self):
        for c in self.clients:
            for line in c.lines:
                self.assertNotIn("Excess Flood", line, c.nick)
        for bot in self.bots.values():
            self.assertNotIn("Excess Flood", bot.log_text())
            self.assertNotRegex(bot.log_text(), r"disconnected:")
        self.assertNotIn("Excess Flood", self.srv.log_text())

    def assert_in_channel(self, client, nick=BOT):
        mark = client.mark()
        client.send("NAMES " + CHAN)
        m = client.expect(r"^:\S+ 353 \S+ \S+ %s :(.*)$" % re.escape(CHAN), timeout=5,
                          since=mark)
        names = [n.lstrip("@+%&~").lower() for n in m.group(1).split()]
        self.assertIn(nick.lower(), names)


# --- 1. every command --------------------------------------------------------------

class CommandsTest(TrafficCase):
    """Each command in the channel and in private, answered as the
    dispatcher defines it."""

    def ask(self, c, target, text, until=None, timeout=5.0):
        """Send text to target; wait until the bot's PRIVMSGs since then
        satisfy until(msgs) (default: there is one) and return them."""
        until = until or (lambda msgs: len(msgs) >= 1)
        mark = c.mark()
        c.privmsg(target, text)
        return c.wait_for(lambda: (lambda msgs: until(msgs) and msgs)(
            self.from_bot(c, command="PRIVMSG", since=mark)), timeout=timeout)

    def ask1(self, c, target, text, n=1):
        """The texts of the next n lines, all sent where text was typed."""
        reply_to = target if target.startswith("#") else c.nick
        msgs = self.ask(c, target, text, lambda m: len(m) >= n)
        for m in msgs:
            self.assertEqual(m.target.lower(), reply_to.lower(), m.raw)
        return [m.text for m in msgs]

    def check_commands(self, alice, target):
        t = self.ask1(alice, target, "!quote")
        self.assertRegex(t[0], PASSAGE_RE)
        t = self.ask1(alice, target, "!quote stalin")
        self.assertRegex(t[0], PASSAGE_RE)
        self.assertIn("\u2014 Stalin to Churchill,", t[0])
        t = self.ask1(alice, target, "!quote churchill")
        self.assertIn("\u2014 Churchill to Stalin,", t[0])
        t = self.ask1(alice, target, "!quote 1941")
        self.assertRegex(t[0], PASSAGE_RE)
        self.assertRegex(t[0], r"1941 " + CITE_RE)
        t = self.ask1(alice, target, "!quote 1.4")
        self.assertRegex(t[0], r'^"It seems to me, furthermore, .*\u2014 Stalin to '
                               r'Churchill, 18 July 1941 \[1\.4\]$')
        t = self.ask1(alice, target, "!search finland")
        self.assertRegex(t[0], r"^\S.*\b1 of 2\b.*\"")
        self.assertRegex(t[0], r"\x02Finland\x02")
        first = re.search(r"\[(2\.2|3\.3)(, emended)?\]$", t[0])
        self.assertTrue(first, t[0])
        t = self.ask1(alice, target, "!more")
        self.assertRegex(t[0], r"\b2 of 2\b")
        second = re.search(r"\[(2\.2|3\.3)(, emended)?\]$", t[0])
        self.assertTrue(second, t[0])
        self.assertNotEqual(first.group(1), second.group(1))
        t = self.ask1(alice, target, "!more")
        self.assertEqual(t, ["Nothing more."])
        t = self.ask1(alice, target, "!grep declar\\w+ (of )?war")
        self.assertRegex(t[0], r"\b1 of \d+\b")
        self.assertRegex(t[0], CITE_RE)
        t = self.ask1(alice, target, "!reply when will you open a second front?")
        self.assertRegex(t[0], r"\u2014 Stalin to Churchill, 18 July 1941 \[1\.\d+(, emended)?\]$")
        # !reply does not repeat itself when a close runner-up exists: two
        # askings alternate between the best answers; the addressed form (and
        # plain text in private) must walk the same sequence
        seq = [self.ask1(alice, target, "!reply will you send Eden?")[0] for _ in range(2)]
        for t in seq:
            self.assertRegex(t, PASSAGE_RE)
            self.assertIn("Eden", t)
        if target == CHAN:
            for texts in (["missive: will you send Eden?", "Missive, will you send Eden?"],
                          ["MISSIVE:will you send Eden?", "missive:  will you send Eden?"]):
                self.assertEqual([self.ask1(alice, target, x)[0] for x in texts], seq, texts)
            # addressed with a command: the command, not a !reply about it
            t = self.ask1(alice, target, "missive: !quote 1.4")
            self.assertTrue(t[0].endswith("[1.4]"), t)
        else:
            # plain text in private is a !reply
            self.assertEqual([self.ask1(alice, target, "will you send Eden?")[0]
                              for _ in range(2)], seq)
            t = self.ask1(alice, target, "when will you open a second front?")
            self.assertRegex(t[0], r"\u2014 Stalin to Churchill, 18 July 1941 \[1\.\d+(, emended)?\]$")
        # !read and !letter: the text goes to the user alone
        msgs = self.ask(alice, target, "!read 1.4",
                        lambda m: any(x.text.endswith("[1.4]") for x in m))
        full = [m for m in msgs if m.text.endswith("[1.4]")]
        self.assertEqual(full[0].target, alice.nick)
        self.assertIn("the North (the Arctic).", full[0].text)
        if target == CHAN:
            self.assertEqual([m.target for m in msgs if m.target == CHAN], [CHAN])
        # the whole letter goes to the user, in a channel or in private
        # (beyond 40 lines, "!more" goes on)
        done = (lambda m: any(x.text.startswith("Source:") or x.text.endswith("more: !more)")
                              for x in m[-1:]) and any(x.target == alice.nick for x in m))
        msgs = self.ask(alice, target, "!letter 1", done, timeout=10)
        for _ in range(6):
            if any(m.text.startswith("Source:") for m in msgs):
                break
            self.assertEqual(target, BOT, "paged in the channel: %r" % [m.text for m in msgs])
            msgs += self.ask(alice, target, "!more", done, timeout=10)
        msgs = [m for m in msgs if not m.text.endswith("more: !more)")]
        for m in msgs:
            if m.target == CHAN:
                self.assertRegex(m.text, r"letter 1\b")
            else:
                self.assertEqual(m.target, alice.nick, m.raw)
        priv = [m.text for m in msgs if m.target == alice.nick]
        self.assertGreaterEqual(len(priv), 8, priv)
        self.assertTrue(any(x.startswith("[1.4] It seems to me") for x in priv), priv)
        t = self.ask1(alice, target, "!today")
        self.assertRegex(t[0], CITE_RE)
        t = self.ask1(alice, target, "!stats")
        self.assertRegex(t[0], r"^3 letters in 18 passages\b")
        t = self.ask1(alice, target, "!about")
        self.assertTrue(t[0].startswith("Missive "), t)
        t = self.ask1(alice, target, "!help")
        for name in ("!quote", "!search", "!reply", "!more", "!help"):
            self.assertIn(name, t[0])
        t = self.ask1(alice, target, "!help search", n=2)
        self.assertTrue(t[0].startswith("!search WORDS: "), t)
        self.assertEqual(t[1], "Example: !search finland")
        t = self.ask1(alice, target, "!frobnicate")
        self.assertLess(len(t[0].encode()), 80, t)
        self.assertIn("!frobnicate", t[0])
        self.assertIn("!help", t[0])
        t = self.ask1(alice, target, "!search")
        self.assertTrue(t[0].startswith("Usage: !search WORDS"), t)

    def test_every_command_in_channel_and_private(self):
        self.start_server(penalties=False)
        alice = self.client("alice")
        self.start_bot(watcher=alice)
        bot = self.bots[BOT]
        for target in (CHAN, BOT):
            with self.subTest(target=target):
                self.check_commands(alice, target)
        # channel talk that is not for the bot gets nothing
        mark = alice.mark()
        for text in ("hello all", "!", "! quote", "!1941", "missive", "missive:",
                     "what does missive: think", " !quote 1.1"):
            alice.privmsg(CHAN, text)
        self.ask1(alice, CHAN, "!quote 1.4")
        self.assertEqual(len(self.from_bot(alice, command="PRIVMSG", since=mark)), 1)
        self.assertTrue(h.pid_alive(bot.pid))
        self.assert_bot_sane()


# --- 2. flooding -------------------------------------------------------------------

# Each user's commands and the passages their answers cite, disjoint sets, so
# that every answer in the channel can be attributed to the user who asked.
FLOODERS = [
    ("ann", ["!quote 1.1", "!search kishinev"], {"1.1", "1.3"}),
    ("bea", ["!quote 1.2", "!search arctic"], {"1.2", "1.4"}),
    ("cid", ["!quote 1.5", "!search roosevelt"], {"1.5", "2.1"}),
    ("dan", ["!quote 1.6", "!search persia"], {"1.6", "2.4"}),
    ("eve", ["!quote 2.2", "!search bloodbath"], {"2.2", "3.4"}),
]


class FloodTest(TrafficCase):
    """The bot under a flood of commands keeps to its send rate and to its
    per-user and per-channel buckets."""

    def fire(self, clients, commands, n=10):
        """Every client sends n commands (cycling through its list) at once."""
        barrier = threading.Barrier(len(clients))
        errors = []

        def run(c, cmds):
            try:
                barrier.wait(timeout=5)
                for i in range(n):
                    c.privmsg(CHAN, cmds[i % len(cmds)])
            except Exception as e:          # reported below, not lost in a thread
                errors.append(e)
        threads = [threading.Thread(target=run, args=(c, cmds))
                   for c, cmds in zip(clients, commands)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
        self.assertEqual(errors, [])

    def check_flood(self, kind):
        srv = self.start_server(kind)
        watch = self.client("watch")
        self.start_bot(limits=DESIGN_LIMITS, flood=DEFAULT_FLOOD, watcher=watch)
        bot = self.bots[BOT]
        users = [self.client(nick) for nick, _, _ in FLOODERS]
        time.sleep(0.5)
        mark = watch.mark()
        t0 = time.monotonic()
        self.fire(users, [cmds for _, cmds, _ in FLOODERS])
        # the bot drains its queue at one line per 1.1 s; wait until it is done
        self.quiet(None, 4.5, limit=60, since=t0)
        answers = self.from_bot(watch, command="PRIVMSG", since=mark)
        self.assertTrue(answers, "no answer at all")
        self.assert_paced(self.bot_line_times(watch, after=t0), 4, 1.1)
        span = answers[-1].time - t0
        per_user = {}
        for msg in answers:
            self.assertEqual(msg.target.lower(), CHAN, msg.raw)
            cite = re.search(CITE_RE, msg.text)
            self.assertTrue(cite, msg.raw)
            owner = [nick for nick, _, cites in FLOODERS if cite.group(1) in cites]
            self.assertEqual(len(owner), 1, msg.raw)
            per_user[owner[0]] = per_user.get(owner[0], 0) + 1
        # per user: the burst of 3, plus one per 10 s of flood (none here)
        for nick, count in per_user.items():
            self.assertLessEqual(count, 3 + int(span // 10), (nick, per_user))
        # the channel: the burst of 6 is spent (15 commands pass the users'
        # buckets), plus at most one per 4 s while answers kept coming
        self.assertGreaterEqual(len(answers), 6, per_user)
        self.assertLessEqual(len(answers), 6 + int(span // 4) + 1, (span, per_user))
        # notices: one per emptied bucket - each user's own, and the
        # channel's once, to whoever hit it first
        notices = {}
        for c in users:
            ns = self.from_bot(c, command="NOTICE")
            for n in ns:
                self.assertIn(NOTICE_TEXT, n.text)
            notices[c.nick] = len(ns)
        self.assertTrue(all(1 <= n <= 2 for n in notices.values()), notices)
        self.assertEqual(sum(notices.values()), len(users) + 1, notices)
        self.assertEqual(self.from_bot(watch, command="NOTICE"), [])
        # after things calm down: still there, still answering
        self.assertTrue(h.pid_alive(bot.pid))
        late = self.client("late")
        mark = late.mark()
        late.privmsg(CHAN, "!quote 3.6")
        late.wait_for(lambda: any(m.text.endswith("[3.6]") for m in
                                  self.from_bot(late, command="PRIVMSG", since=mark)),
                      timeout=10)
        self.assert_in_channel(watch)
        self.assert_no_excess_flood()
        self.assertFalse(any(m.command == "QUIT" for m in self.from_bot(watch)))
        self.assert_bot_sane()
        return srv

    @unittest.skipUnless(h.Inspircd.available(),
                         "InspIRCd not installed (apt-get install inspircd): "
                         "only its Excess Flood cut proves the bot never floods")
    def test_flood_inspircd(self):
        srv = self.check_flood("inspircd")
        # the bot really was on the strict class: a client there that sends
        # ten lines at once is cut, so the bot's silence about it means
        # something
        strict = self.client("strict", port=srv.port)
        for i in range(12):
            try:
                strict.privmsg(CHAN, "line %d" % i)
            except OSError:
                break
        self.assertTrue(strict.wait_closed(timeout=5))
        self.assertRegex(strict.error or "", "Excess Flood")
        self.clients.remove(strict)

    @unittest.skipUnless(h.Inspircd.available(),
                         "InspIRCd not installed (apt-get install inspircd): "
                         "only its Excess Flood cut proves the bot never floods")
    def test_long_answers_inspircd(self):
        """A whole letter sent privately is a long stream of lines: paced,
        never cut, and a reply to someone else is not stuck behind it."""
        self.start_server("inspircd")
        watch = self.client("watch")
        self.start_bot(flood=DEFAULT_FLOOD, watcher=watch)
        reader = self.client("reader")
        other = self.client("other")
        time.sleep(0.5)
        t0 = time.monotonic()
        reader.privmsg(CHAN, "!letter 2")
        time.sleep(0.3)
        other.privmsg(CHAN, "!quote 1.4")
        quote = watch.expect_privmsg(BOT, CHAN, r"\[1\.4\]$", timeout=6)
        end = reader.wait_for(lambda: [x for x in self.from_bot(reader, command="PRIVMSG")
                                       if x.text.startswith("Source:")], timeout=40)
        # served round-robin: the quote did not wait for the whole letter
        self.assertLess(watch.times[watch.lines.index(quote.raw)], end[0].time - 3.0)
        letter = [x for x in self.from_bot(reader, command="PRIVMSG") if x.target == "reader"]
        self.assertGreaterEqual(len(letter), 8)
        self.quiet(None, 2.5, limit=30, since=t0)
        self.assert_paced(self.bot_line_times(watch, after=t0), 4, 1.1)
        self.assert_in_channel(watch)
        self.assert_no_excess_flood()
        self.assertTrue(h.pid_alive(self.bots[BOT].pid))
        self.assert_bot_sane()

    def test_flood_ngircd(self):
        self.check_flood("ngircd")

    def test_one_user_ten_commands(self):
        self.start_server(penalties=False)
        watch = self.client("watch")
        self.start_bot(limits=DESIGN_LIMITS, flood=DEFAULT_FLOOD, watcher=watch)
        ann = self.client("ann")
        mark = watch.mark()
        t0 = time.monotonic()
        for i in range(10):
            ann.privmsg(CHAN, "!quote 1.1")
        ann.wait_for(lambda: self.from_bot(ann, command="NOTICE"), timeout=10)
        self.quiet(None, 3.0, limit=30, since=t0)
        answers = self.from_bot(watch, command="PRIVMSG", since=mark)
        self.assertEqual(len(answers), 3, [m.text for m in answers])
        notices = self.from_bot(ann, command="NOTICE")
        self.assertEqual(len(notices), 1, notices)
        self.assertIn(NOTICE_TEXT, notices[0].text)
        # silence while the bucket is empty: more commands, no more notices
        for i in range(3):
            ann.privmsg(CHAN, "!search finland")
        time.sleep(2.5)
        self.assertEqual(len(self.from_bot(ann, command="NOTICE")), 1)
        self.assertEqual(len(self.from_bot(watch, command="PRIVMSG", since=mark)), 3)
        # another user is not punished for ann
        bea = self.client("bea")
        bea.privmsg(CHAN, "!quote 1.2")
        watch.expect_privmsg(BOT, CHAN, r"\[1\.2\]$", timeout=5)
        self.assert_bot_sane()


# --- 3. hostile input ------------------------------------------------------------------

class HostileTest(TrafficCase):
    """Nothing a user sends crashes, stalls or steers the bot."""

    def setUp(self):
        super().setUp()
        srv = self.start_server(penalties=False)
        self.watch = self.client("watch")
        # on InspIRCd the bot uses the relaxed port: these tests are about
        # what it answers, and the fast send queue would be cut there
        self.start_bot(watcher=self.watch, port=srv.client_port)
        self.bot = self.bots[BOT]
        self.mallory = self.client("mallory")

    def probe(self, hits=1, sender=None):
        """!quote 1.4 still answered promptly; returns what the bot said in
        the channel since the previous probe (the probe's answer excluded)."""
        sender = sender or self.watch
        sender.privmsg(CHAN, "!quote 1.4")
        self.watch.wait_for(
            lambda: sum(m.text.endswith("[1.4]") for m in
                        self.from_bot(self.watch, command="PRIVMSG", since=self._mark)) >= hits,
            timeout=5)
        # a hostile line may itself be answered with [1.4]: the probe's
        # answer is the last of the burst, so wait for the burst to end
        self.quiet(self.watch, 0.3, limit=5)
        self.assertTrue(h.pid_alive(self.bot.pid), "the bot died")
        said = self.from_bot(self.watch, since=self._mark)
        self._mark = self.watch.mark()
        return [m for m in said if m.command == "PRIVMSG"][:-1]

    def hostile(self, lines, sender=None, hits=1):
        sender = sender or self.mallory
        self._mark = self.watch.mark()
        for line in lines:
            if isinstance(line, bytes) and line.startswith(b"PRIVMSG"):
                sender.send(line)
            else:
                if isinstance(line, str):
                    line = line.encode("utf-8")
                sender.send(b"PRIVMSG " + CHAN.encode() + b" :" + line)
        return self.probe(hits=hits)

    def test_overlong_lines(self):
        head = b"PRIVMSG " + CHAN.encode() + b" :"
        for body in (b"!search " + b"finland " * 80, b"!quote " + b"x" * 600,
                     b"!reply " + "é".encode() * 300, b"x" * 600,
                     b"missive: " + b"send eden " * 60):
            line = (head + body)[:510]                  # + CR LF: 512
            self.assertEqual(len(line), 510)
            said = self.hostile([line])
            for m in said:
                self.assertLessEqual(len(m.raw.encode()) + 2, 512)
        # !quote with 400 bytes of arguments: a short refusal
        said = self.hostile(["!quote " + "a" * 400])
        self.assertEqual(len(said), 1)
        self.assertTrue(said[0].text.startswith("I know no author, year or passage"), said[0].text)
        said = self.hostile(["!quote " + " ".join(["1.4"] * 100)], hits=2)
        said = self.hostile(["!quote " + "stalin 1941 " * 33])
        self.assertEqual(len(said), 1)
        self.assert_bot_sane()

    def test_invalid_utf8(self):
        for raw in (b"!quote \xff\xfe", b"!quote 1.\xff4", b"!search finl\xc3",
                    b"!search \xe2\x80 finland", b"!search \xed\xa0\x80 finland",
                    b"!search \xc0\xaf\xf8\x88\x80\x80\x80", b"!\xffquote",
                    b"!quo\xc3te 1.4", b"missive: \xff\xfe will you send Eden?",
                    b"\xf0\x9f\x98", b"!search " + b"\xe2\x82" * 150):
            said = self.hostile([raw])
            # raw bytes valid UTF-8 (assert_bot_sane); bad input shows as U+FFFD
            for m in said:
                self.assertNotRegex(m.text, r"[\x00-\x01\x03-\x1f\x7f]")
        said = self.hostile([b"!search finland\xff"])
        self.assertEqual(len(said), 1)
        self.assert_bot_sane()

    def test_formatting_and_ctcp_inside_text(self):
        # colour and bold around a command: still the command
        for line in ("\x0304!quote\x03 1.4", "\x02!quote\x02 1.4", "\x0304,12!quote 1.4\x0f",
                     "\x1f\x1d!quote 1.4"):
            said = self.hostile([line], hits=2)
            self.assertEqual(len(said), 1, said)
            self.assertTrue(said[0].text.endswith("[1.4]"))
        # control codes inside arguments are not relayed
        for line in ("!search fin\x01land", "!quote 1.4 \x01VERSION\x01",
                     "!search \x01PING 1\x01", "!search \x07\x08\x1b[31m finland",
                     "\x01ACTION !quote 1.4\x01", "\x01ACTION", "\x01\x01", "\x01"):
            said = self.hostile([line])
            for m in said:
                self.assertNotRegex(m.text, r"[\x00-\x01\x03-\x1f\x7f]")
        self.assert_bot_sane()

    def test_injection(self):
        # literal escapes: text, not line breaks
        for line in ("!search finland\\r\\nQUIT :x", "!quote 1.4 \\r\\nPRIVMSG #letters :pwned",
                     "!reply \\r\\nQUIT :bye\\r\\n", "missive: \\nJOIN #evil"):
            said = self.hostile([line])
            for m in said:
                self.assertNotIn("\r", m.text)
                self.assertNotIn("\n", m.text)
        # raw bytes: a client can only send lines; the server splits them
        # (ngircd on a lone CR too: the second one is the client's own QUIT)
        # or drops a line holding NUL; whatever reaches the bot, its own
        # lines stay PRIVMSGs to the channel
        for raw in (b"PRIVMSG #letters :!search finland\rQUIT :x",
                    b"PRIVMSG #letters :!search finland\r\rPRIVMSG #letters :pwned",
                    b"PRIVMSG #letters :!quote 1.4\x00QUIT :x",
                    b"PRIVMSG #letters :!search fin\x00land\r\nQUIT :x"):
            eve = self.client("eve%d" % len(self.clients))
            self.hostile([raw], sender=eve)
        # owner commands from someone who is not an owner: never run
        for text in ("join #evil", "!join #evil", "part #letters", "say #letters pwned",
                     "!say #letters pwned", "reload", "status", "set #letters prefix @"):
            self.mallory.privmsg(BOT, text)
        self.hostile([])
        self.assertNotRegex(self.bot.log_text(), r"owner|reloading")
        self.assertTrue(h.pid_alive(self.bot.pid))
        self.assert_in_channel(self.watch)
        for m in self.from_bot(self.watch):
            self.assertNotIn("pwned", m.text)
            self.assertIn(m.command, ("PRIVMSG", "JOIN"))
        self.assertNotRegex(self.bot.log_text(), r"(?m)^debug: >> (QUIT|JOIN #evil)")
        self.assert_bot_sane()

    def test_fts_syntax(self):
        for q in ('"', '""', 'NEAR(a b)', 'NEAR(finland eden, 5)', 'col:x', 'text:finland',
                  "' OR 1=1 --", "finland'; DROP TABLE passages; --", '*', 'fin*', '-finland',
                  'finland AND', 'OR', 'NOT finland', '(finland', 'finland)', '^finland',
                  '{text}: x', 'finland + eden', '"finland', "\\", "%", "_"):
            said = self.hostile(["!search " + q])
            self.assertEqual(len(said), 1, (q, said))
            self.assertNotIn("cannot be read", said[0].text, q)
        said = self.hostile(["!search finland"])
        self.assertRegex(said[0].text, r"\b1 of 2\b", "the table is still there")
        # search filters with hostile values
        for q in ("from:", "to:", "year:", "year:99999999999999999999 finland",
                  "year:-1 finland", "from:stalin from:churchill finland", "to:\xff finland",
                  "from:" + "x" * 300, "year:1941 " * 40):
            said = self.hostile(["!search " + q])
            self.assertEqual(len(said), 1, (q, said))
            self.assertNotIn("cannot be read", said[0].text, q)
        self.assert_bot_sane()

    def test_grep_patterns(self):
        # invalid patterns get a short answer; pathological ones must not
        # stall the bot (the probe after each is answered within 5 s)
        for q in ("(", "[", "\\", "a{2,1}", "(?R)", "(?<x>a)\\k<y>", "\\x{110000}",
                  "(a+)+$", "(\\w+\\s?)*$", "(.*a){25}", "a?" * 40 + "a" * 40,
                  "(?:(?:(?:a*)*)*)*b", "(.*)*x", "\\p{Nonsense}", "(*LIMIT_MATCH=9999999999)a",
                  "(*UTF)\\C", "x" * 400, "\xff\xfe", "(?C1)a"):
            t0 = time.monotonic()
            said = self.hostile(["!grep " + q])
            self.assertLess(time.monotonic() - t0, 5.5, q)
            self.assertLessEqual(len(said), 1, (q, said))
        said = self.hostile(["!grep finland"])
        self.assertRegex(said[0].text, r"\b1 of 2\b")
        self.assert_bot_sane()

    def test_lookalike_nicks(self):
        mx = self.client("missive_x")
        mv = self.client("missivex")
        for c in (mx, mv, self.mallory):
            for text in ("missive_x: hi", "missivex: hi", "missive_x, will you send Eden?",
                         "missivex: will you send Eden?", "missive_: will you send Eden?",
                         "missive- will you send Eden?", "missive will you send Eden?"):
                said = self.hostile([text], sender=c)
                self.assertEqual(said, [], (c.nick, text))
        # the look-alikes are ordinary users, and the real address still works
        said = self.hostile(["!quote 1.1"], sender=mx)
        self.assertTrue(said[0].text.endswith("[1.1]"))
        said = self.hostile(["missive: will you send Eden?"], sender=mv)
        self.assertEqual(len(said), 1)
        self.assertRegex(said[0].text, PASSAGE_RE)
        # a nick that starts with ours changes: the bot keeps its own
        mv.set_nick("renamed")
        time.sleep(0.5)
        said = self.hostile(["missive: will you send Eden?"], sender=mv)
        self.assertEqual(len(said), 1)
        self.assertEqual(said[0].nick, BOT)
        said = self.hostile(["renamed: will you send Eden?", "missivex: hi"], sender=mx)
        self.assertEqual(said, [])
        self.assert_bot_sane()

    def test_ctcp_hostile(self):
        # CTCP in a channel: answered to the user, never to the channel
        self.mallory.privmsg(CHAN, "\x01VERSION\x01")
        self.mallory.expect(r"^:missive!\S+ NOTICE mallory :\x01VERSION ", timeout=5)
        # CTCP with hostile arguments: answered (by NOTICE) with clean text
        self.mallory.send(b"PRIVMSG missive :\x01PING " + b"\xff\xfe" * 200 + b"\x01")
        m = self.mallory.expect(r"^:missive!\S+ NOTICE mallory :\x01PING ", timeout=5)
        self.assertIsNone(h.check_line_sane(self.mallory.raw[self.mallory.cursor - 1]))
        self.mallory.send(b"PRIVMSG missive :\x01PING a\r\x01")
        self.mallory.send(b"PRIVMSG missive :\x01" + b"V" * 400 + b"\x01")
        self.hostile([])
        self.assert_bot_sane()


@unittest.skipUnless(h.Inspircd.available(), "InspIRCd not installed (apt-get install inspircd)")
class HostileInspircdTest(HostileTest):
    """The tests where the server's own line handling matters (how it
    splits, cuts and relays bytes), again on InspIRCd."""

    server_kind = "inspircd"
    # the rest depend on the bot alone and ran on ngircd above
    test_fts_syntax = test_grep_patterns = test_lookalike_nicks = None
    test_formatting_and_ctcp_inside_text = None


# --- 4. CTCP ----------------------------------------------------------------------------

class CtcpTest(TrafficCase):

    def ctcp(self, c, request):
        c.privmsg(BOT, "\x01%s\x01" % request)

    def test_ctcp_answers(self):
        self.start_server(penalties=False)
        alice = self.client("alice")
        self.start_bot(flood=DEFAULT_FLOOD, watcher=alice)
        t0 = time.monotonic()
        self.ctcp(alice, "VERSION")
        m = alice.expect(r"^:missive!\S+ NOTICE alice :\x01VERSION Missive .+\x01$", timeout=5)
        self.ctcp(alice, "PING 12345")
        alice.expect(r"^:missive!\S+ NOTICE alice :\x01PING 12345\x01$", timeout=5)
        self.ctcp(alice, "TIME")
        alice.expect(r"^:missive!\S+ NOTICE alice :\x01TIME \S.+\x01$", timeout=5)
        # a burst of 3 spent: the 4th within 10 s is not answered
        mark = alice.mark()
        self.ctcp(alice, "SOURCE")
        time.sleep(1.5)
        self.assertEqual(self.from_bot(alice, since=mark), [])
        # one more after a token came back (10 s)
        time.sleep(max(0.0, 10.3 - (time.monotonic() - t0)))
        self.ctcp(alice, "SOURCE")
        alice.expect(r"^:missive!\S+ NOTICE alice :\x01SOURCE .+\x01$", timeout=5)
        for msg in self.from_bot(alice):
            if msg.command != "JOIN":
                self.assertEqual(msg.command, "NOTICE", msg.raw)
        self.assertIsNotNone(m)
        self.assert_bot_sane()

    def test_ctcp_burst(self):
        self.start_server(penalties=False)
        alice = self.client("alice")
        self.start_bot(flood=DEFAULT_FLOOD, watcher=alice)
        for i in range(10):
            self.ctcp(alice, "PING %d" % i)
        alice.expect(r"NOTICE alice :\x01PING 2\x01$", timeout=8)
        time.sleep(3.0)
        pings = [m.text for m in self.from_bot(alice, command="NOTICE")]
        self.assertEqual(pings, ["\x01PING %d\x01" % i for i in range(3)])
        # CTCPs in bulk never stall commands
        alice.privmsg(CHAN, "!quote 1.4")
        alice.expect_privmsg(BOT, CHAN, r"\[1\.4\]$", timeout=5)
        self.assert_bot_sane()


# --- 5. who is never answered ---------------------------------------------------------------

class NeverAnsweredTest(TrafficCase):

    def control(self, c, since_marks, expect_id="1.4"):
        """c asks !quote <id>; once answered, wait a little more and return
        what each client in since_marks heard from the bot since its mark."""
        c.privmsg(CHAN, "!quote " + expect_id)
        c.expect_privmsg(BOT, CHAN, r"\[%s\]$" % re.escape(expect_id), timeout=5)
        time.sleep(1.0)
        return {cl.nick: self.from_bot(cl, since=mark) for cl, mark in since_marks}

    def test_ignore_masks(self):
        self.start_server(penalties=False)
        alice = self.client("alice")
        self.start_bot(ignore="ignored!*@*, *!*shady@*", watcher=alice)
        ign = self.client("ignored")
        shady = self.client("sneaky", user="shady")
        marks = [(alice, alice.mark()), (ign, ign.mark()), (shady, shady.mark())]
        for c in (ign, shady):
            c.privmsg(CHAN, "!quote 1.1")
            c.privmsg(CHAN, "missive: will you send Eden?")
            c.privmsg(BOT, "!quote 1.1")
            c.privmsg(BOT, "will you send Eden?")
            c.privmsg(BOT, "\x01VERSION\x01")
            c.privmsg(BOT, "\x01PING 1\x01")
        heard = self.control(alice, marks)
        # alice's answer in the channel is all anyone heard
        self.assertEqual([m.text[-5:] for m in heard["alice"]], ["[1.4]"])
        for nick in ("ignored", "sneaky"):
            self.assertEqual([m.raw for m in heard[nick]
                              if not (m.command == "PRIVMSG" and m.target == CHAN
                                      and m.text.endswith("[1.4]"))], [], nick)
        # the CTCP bucket was not spent on them
        alice.privmsg(BOT, "\x01PING 7\x01")
        alice.expect(r"NOTICE alice :\x01PING 7\x01$", timeout=5)
        self.assert_bot_sane()

    def test_notices_never_answered(self):
        self.start_server(penalties=False)
        alice = self.client("alice")
        self.start_bot(watcher=alice)
        mark = alice.mark()
        for target in (CHAN, BOT):
            for text in ("!quote 1.1", "missive: will you send Eden?", "will you send Eden?",
                         "\x01VERSION\x01", "\x01PING 1\x01", "!help"):
                alice.notice(target, text)
        heard = self.control(alice, [(alice, mark)])
        self.assertEqual([m.text[-5:] for m in heard["alice"]], ["[1.4]"])
        self.assert_bot_sane()

    def test_other_missive_remembered(self):
        self.start_server(penalties=False)
        alice = self.client("alice")
        self.start_bot(watcher=alice)
        fake = self.client("fakebot")
        mark = alice.mark()
        fmark = fake.mark()
        fake.privmsg(CHAN, '"It seems to me, furthermore, that the military position ..." '
                           '\u2014 Stalin to Churchill, 18 July 1941 [1.4]')
        fake.privmsg(CHAN, "!quote")
        fake.privmsg(CHAN, "!quote 1.1")
        fake.privmsg(CHAN, "missive: will you send Eden?")
        fake.privmsg(BOT, "!quote")
        fake.privmsg(BOT, "will you send Eden?")
        heard = self.control(alice, [(alice, mark), (fake, fmark)], expect_id="2.6")
        self.assertEqual([m.text[-5:] for m in heard["alice"]], ["[2.6]"])
        self.assertEqual([m.text[-5:] for m in heard["fakebot"]], ["[2.6]"])
        self.assertRegex(self.bots[BOT].log_text(), r"fakebot answers like a Missive")
        self.assert_bot_sane()


# --- 6. two instances ----------------------------------------------------------------------

class TwoBotsTest(TrafficCase):

    def test_two_missives_one_channel(self):
        self.start_server()
        alice = self.client("alice")
        self.start_bot(BOT, flood=DEFAULT_FLOOD, watcher=alice)
        self.start_bot("letters", flood=DEFAULT_FLOOD, watcher=alice)
        bots = {BOT, "letters"}

        def said_since(mark):
            msgs = [h.Message(line) for line in alice.lines[mark:]]
            return [m for m in msgs
                    if (m.nick or "").lower() in bots and m.command == "PRIVMSG"]

        for text in ("!quote", "!search finland"):
            mark = alice.mark()
            alice.privmsg(CHAN, text)
            alice.wait_for(lambda: len(said_since(mark)) >= 2, timeout=8)
            time.sleep(5.0)                     # a loop would show up here
            lines = said_since(mark)
            self.assertEqual(sorted(m.nick for m in lines), ["letters", BOT],
                             [m.raw for m in lines])
            for m in lines:
                self.assertEqual(m.target, CHAN)
        # addressed by nick: only that one answers
        mark = alice.mark()
        alice.privmsg(CHAN, "letters: will you send Eden?")
        alice.wait_for(lambda: said_since(mark), timeout=5)
        time.sleep(2.0)
        self.assertEqual([m.nick for m in said_since(mark)], ["letters"])
        for nick in bots:
            self.assertTrue(h.pid_alive(self.bots[nick].pid))
            self.assert_in_channel(alice, nick)
            self.assert_bot_sane(nick)


def main():
    return h.run_tests(__name__, TIMINGS)


if __name__ == "__main__":
    sys.exit(main())
