"""The daemon's first start: its database in the state directory, the shipped
corpus imported by itself.

A config that names no database, as the installed one does, puts it at
$STATE_DIRECTORY/missive.db (systemd's StateDirectory=).  When that file does
not exist the bot imports the shipped corpus before it serves, answers from
it, and never imports again into an existing file.  A corpus that fails to
import is reported as FILE:LINE, the bot exits 1 and leaves no database
behind, so the next start tries afresh.  Real ngircd on 127.0.0.1.
Prints "N passed, M failed" and exits non-zero on failure.
"""

import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

CHAN = "#first"


class FirstStartTest(h.DaemonTestCase):
    time_limit = 60
    tmp_prefix = "missive-first-"

    def setUp(self):
        super().setUp()
        if not h.Ngircd.available():
            self.skipTest("ngircd is not installed")
        self.srv = h.Ngircd(self.dir).start()
        self.servers.append(self.srv)
        self.state = os.path.join(self.dir, "state")
        os.mkdir(self.state, 0o700)
        self.env = dict(os.environ, STATE_DIRECTORY=self.state)

    def write_config(self, extra_bot=""):
        # No "database" key: the default applies, as in the shipped config.
        path = os.path.join(self.dir, "missive.conf")
        with open(path, "w") as f:
            f.write("[irc]\nserver = %s\nport = %d\nchannels = %s\n[bot]\n%s"
                    % (h.HOST, self.srv.port, CHAN, extra_bot))
        return path

    def start_bot(self, conf, name="bot"):
        bot = h.Bot(conf, env=self.env, log_path=os.path.join(self.dir, name + ".log")).start()
        self.bots.append(bot)
        return bot

    def test_first_start_imports_then_never_again(self):
        conf = self.write_config()
        db = os.path.join(self.state, "missive.db")
        self.assertFalse(os.path.exists(db))
        bot = self.start_bot(conf)
        bot.wait_log(r"database %s" % db)
        bot.wait_log(r"importing the shipped corpus")
        bot.wait_log(r"3 letters, 18 passages imported")
        self.assertTrue(os.path.isfile(db))

        c = h.Client(self.srv.port, "reader")
        self.clients.append(c)
        c.join(CHAN)
        bot.wait_log(r"joined %s" % CHAN)
        c.privmsg(CHAN, "!quote 1.4")
        c.expect_privmsg("missive", CHAN, r"It seems to me, furthermore.*\[1\.4\]$", timeout=10)
        self.assertEqual(bot.stop(), 0)

        # The second start finds the file and leaves it alone.
        bot2 = self.start_bot(conf, "bot2")
        bot2.wait_log(r"joined %s" % CHAN, timeout=15)
        self.assertNotIn("importing the shipped corpus", bot2.log_text())

    def test_failed_first_import_leaves_no_database(self):
        data = os.path.join(self.dir, "data")
        os.mkdir(data)
        src = os.path.join(h.source_dir(), "data")
        for name in ("aliases.txt", "errata.tsv", "dates.tsv"):
            shutil.copy(os.path.join(src, name), data)
        with open(os.path.join(data, "stalin-churchill-1941.txt"), "w") as f:
            f.write("text before any heading\n")
        conf = self.write_config("data_dir = %s\n" % data)
        bot = self.start_bot(conf)
        self.assertEqual(bot.wait(timeout=15), 1)
        self.assertRegex(bot.log_text(), r"stalin-churchill-1941\.txt:1: ")
        self.assertRegex(bot.log_text(), r"importing .* failed")
        self.assertEqual(os.listdir(self.state), [])


class ZZCleanupTest(h.NothingLeftRunning):
    pass


def main():
    started = time.monotonic()
    return h.run_tests(__name__, started=started)


if __name__ == "__main__":
    sys.exit(main())
