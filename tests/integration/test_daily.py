"""The quote of the day on a real ngircd on 127.0.0.1, in real time.

The schedule is the next whole minute in UTC, so the post comes within
about 70 s of the bot's start (no hidden test switch: the daemon runs as
shipped).  One test, in order:

  * the bot posts once, and logs that the server took it (its PONG);
  * `!daily` then names tomorrow;
  * the bot killed with SIGKILL and started again the same day does not
    post again, nor after a SIGHUP;
  * `daily skip` and `daily now` from an owner: now posts today's passage
    only when today is not done.

Prints "N passed, M failed" and exits non-zero on failure.
"""

import datetime
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

CHAN = "#daily"
BOT = "missive"
TIMINGS = []
CORPUS = h.shared_corpus("daily-db-")  # the shipped corpus, imported once
setUpModule = CORPUS.setup
tearDownModule = CORPUS.cleanup


class DailyTest(h.DaemonTestCase):
    time_limit = 200
    timings = TIMINGS
    tmp_prefix = "daily-"

    def bot_lines(self, watcher):
        return [m.text for m in watcher.privmsgs(frm=BOT, target=CHAN)]

    def start_bot(self, conf):
        b = h.Bot(conf).start()
        self.bots.append(b)
        return b

    def test_posts_once_and_never_again_that_day(self):
        srv = h.Ngircd(self.dir).start()
        self.servers.append(srv)
        watcher = h.Client(srv.port, "watcher")
        self.clients.append(watcher)
        watcher.join(CHAN)

        now = datetime.datetime.now(datetime.timezone.utc)
        if now.second >= 55:   # too close to the minute: take the one after
            time.sleep(61 - now.second)
            now = datetime.datetime.now(datetime.timezone.utc)
        due = (now + datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)
        conf = h.write_bot_config(
            os.path.join(self.dir, "bot.conf"), srv.port, CORPUS.path, nick=BOT,
            channels=[CHAN],
            sections={"daily": {"channels": [CHAN], "time": due.strftime("%H:%M"),
                                "timezone": "UTC", "grace": "1h",
                                "template": "Letter of the day:"},
                      "admin": {"owners": ["owner!*@127.0.0.1", "owner!*@localhost"]},
                      "flood": {"burst": 10, "interval_ms": 150}})
        bot = self.start_bot(conf)
        watcher.expect(r"^:%s!\S+ JOIN :?%s" % (BOT, CHAN), timeout=15)
        self.assertEqual(self.bot_lines(watcher), [], "posted before its time")

        # The post, within ~70 s, whole, once.
        first = watcher.expect_privmsg(BOT, CHAN, r"^Letter of the day: ",
                                       timeout=(due - now).total_seconds() + 15)
        self.assertGreaterEqual(datetime.datetime.now(datetime.timezone.utc), due)
        bot.wait_log(r"daily: #daily: the server took the post for "
                     + due.strftime("%Y-%m-%d"), timeout=10)
        time.sleep(2)
        posted = self.bot_lines(watcher)
        self.assertRegex(posted[-1], r"\[\d+\.\d+(, emended)?\]")
        self.assertIn(first.text, posted)
        self.assertEqual(len(re.findall(r"Letter of the day:", " ".join(posted))), 1)

        # !daily names tomorrow.
        tomorrow = due + datetime.timedelta(days=1)
        watcher.privmsg(CHAN, "!daily")
        watcher.expect_privmsg(BOT, CHAN, r"next passage of the day here: \w+ %d \w+ %d "
                               r"at %s UTC" % (tomorrow.day, tomorrow.year,
                                               due.strftime("%H:%M")), timeout=10)

        # kill -9 and a restart the same day: no second post.
        count = len(self.bot_lines(watcher))
        bot.stop(signal.SIGKILL)
        self.bots.remove(bot)
        watcher.expect(r"^:%s!\S+ QUIT" % BOT, timeout=15)
        mark = watcher.mark()
        bot = self.start_bot(conf)
        watcher.expect(r"^:%s!\S+ JOIN :?%s" % (BOT, CHAN), timeout=15, since=mark)
        watcher.privmsg(CHAN, "!daily")   # answered after its first daily check
        watcher.expect_privmsg(BOT, CHAN, r"next passage of the day here", timeout=10)
        bot.send_signal(signal.SIGHUP)
        bot.wait_log(r"configuration reloaded", timeout=10)
        time.sleep(3)
        lines = self.bot_lines(watcher)
        self.assertEqual(len(lines), count + 1, lines[count:])   # the !daily answer only
        # Both runs log to one file: one post in all.
        self.assertEqual(len(re.findall(r"daily: #daily: posting", bot.log_text())), 1)

        # Owners: today is done, so "daily now" refuses; "skip" skips the next.
        owner = h.Client(srv.port, "owner")
        self.clients.append(owner)
        owner.privmsg(BOT, "daily now %s" % CHAN)
        owner.expect_privmsg(BOT, "owner", r"already posted", timeout=10)
        owner.privmsg(BOT, "daily skip %s" % CHAN)
        owner.expect_privmsg(BOT, "owner", r"The post of %s in %s is skipped"
                             % (tomorrow.strftime("%Y-%m-%d"), CHAN), timeout=10)
        self.assertEqual(len(self.bot_lines(watcher)), count + 1)


ZZCleanupTest = h.NothingLeftRunning


def main():
    return h.run_tests(__name__, TIMINGS, time.monotonic())


if __name__ == "__main__":
    sys.exit(main())
