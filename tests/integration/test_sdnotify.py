"""`missive run` speaking the sd_notify protocol, without systemd.

A datagram socket stands in for systemd's NOTIFY_SOCKET and a private ngircd
on 127.0.0.1 for the server.  What is checked, as systemd/missive.service
relies on it (Type=notify, WatchdogSec=, ExecReload=kill -HUP): READY=1 once
the loop runs, STATUS=connected, WATCHDOG=1 at least every half of
WATCHDOG_USEC even when the connection is idle (the keep-alive alone would
let the loop sleep for minutes), none when the watchdog is off or meant for
another PID, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 and exit 0
on SIGTERM.  Skipped when the binary is built without libsystemd.
Prints "N passed, M failed" and exits non-zero on failure.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

TEST_LIMIT_S = 40
WATCHDOG_US = 1000000       # 1 s: WATCHDOG=1 due every 0.5 s
IDLE_S = 4.0                # connected and silent this long
GAP_SLACK_S = 0.35          # scheduling slack on top of the half period

DB_DIR = None
DB_PATH = None


def setUpModule():
    global DB_DIR, DB_PATH
    DB_DIR = tempfile.TemporaryDirectory(prefix="sdn-db-")
    DB_PATH = os.path.join(DB_DIR.name, "missive.db")
    h.import_corpus(DB_PATH)


def tearDownModule():
    if DB_DIR is not None:
        DB_DIR.cleanup()


def _with_libsystemd():
    try:
        out = subprocess.run(["ldd", h.missive_bin()], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"libsystemd" in out


def _on_alarm(_signum, _frame):
    raise h.HarnessError("test ran longer than %d s" % TEST_LIMIT_S)


class NotifyTest(unittest.TestCase):
    """One ngircd, one notify socket and one bot per test."""

    def setUp(self):
        if not h.Ngircd.available():
            self.skipTest("ngircd is not installed")
        if not _with_libsystemd():
            self.skipTest("missive is built without libsystemd")
        self.tmp = tempfile.TemporaryDirectory(prefix="sdn-")
        self.dir = self.tmp.name
        self.bot = None
        self._old_alarm = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(TEST_LIMIT_S)
        self.srv = h.Ngircd(self.dir).start()
        self.sock_path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.msgs = []              # (monotonic time, {key: value}) in order
        self.conf = os.path.join(self.dir, "missive.conf")
        with open(self.conf, "w") as f:
            f.write("[irc]\nserver = %s\nport = %d\nchannels = #sdn\n"
                    "[bot]\ndatabase = %s\n" % (h.HOST, self.srv.port, DB_PATH))

    def tearDown(self):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self._old_alarm)
        if self.bot is not None and self.bot.running:
            self.bot.stop(signal.SIGKILL)
        if self.bot is not None:
            self.assertFalse(h.pid_alive(self.bot.pid))
        self.sock.close()
        self.srv.stop()
        self.tmp.cleanup()

    def start_bot(self, **env):
        e = dict(os.environ, NOTIFY_SOCKET=self.sock_path)
        for k in ("WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID"):
            e.pop(k, None)
        e.update(env)
        self.bot = h.Bot(self.conf, env=e).start()

    def pump(self, until, timeout):
        """Collects notifications until until(msg) holds for one of them;
        returns that one.  until=None: collect for timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if until is None:
                    return None
                self.fail("no matching notification in %.1f s; got %r; log:\n%s"
                          % (timeout, [m for _, m in self.msgs], self.bot.log_text()))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            msg = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            self.msgs.append((time.monotonic(), msg))
            if until is not None and until(msg):
                return msg

    def watchdog_times(self):
        return [t for t, m in self.msgs if m.get("WATCHDOG") == "1"]

    def stop_cleanly(self):
        self.bot.send_signal(signal.SIGTERM)
        self.pump(lambda m: m.get("STOPPING") == "1", 5.0)
        self.assertEqual(self.bot.wait(timeout=5.0), 0)
        self.assertNotRegex(self.bot.log_text(), r"AddressSanitizer|LeakSanitizer|runtime error:")

    def test_watchdog_pings_while_idle(self):
        self.start_bot(WATCHDOG_USEC=str(WATCHDOG_US))
        self.pump(lambda m: m.get("STATUS") == "connected", 10.0)
        self.assertEqual(self.msgs[0][1].get("READY"), "1", self.msgs)
        t0 = time.monotonic()
        self.pump(None, IDLE_S)
        pings = [t for t in self.watchdog_times() if t >= t0]
        half = WATCHDOG_US / 2e6
        self.assertGreaterEqual(len(pings), int(IDLE_S / half) - 1, pings)
        gaps = [b - a for a, b in zip([t0] + pings, pings + [time.monotonic()])]
        self.assertLessEqual(max(gaps), half + GAP_SLACK_S, gaps)
        # ... but not a flood: at most one a second, or every half period if shorter
        self.assertGreaterEqual(min(b - a for a, b in zip(pings, pings[1:])), half * 0.8)
        self.stop_cleanly()

    def test_reload_and_stop_sequence(self):
        self.start_bot(WATCHDOG_USEC=str(WATCHDOG_US))
        self.pump(lambda m: m.get("STATUS") == "connected", 10.0)
        self.bot.send_signal(signal.SIGHUP)
        self.pump(lambda m: m.get("RELOADING") == "1", 5.0)
        n = len(self.msgs)
        self.pump(lambda m: m.get("READY") == "1", 5.0)
        self.assertTrue(all("STOPPING" not in m for _, m in self.msgs[n:]))
        self.stop_cleanly()
        self.assertRegex(self.bot.log_text(), r"configuration reloaded")

    def test_no_watchdog_when_off_or_for_another_pid(self):
        for env in ({}, {"WATCHDOG_USEC": str(WATCHDOG_US), "WATCHDOG_PID": "1"}):
            with self.subTest(env=env):
                self.msgs = []
                self.start_bot(**env)
                self.pump(lambda m: m.get("STATUS") == "connected", 10.0)
                self.pump(None, 1.5)
                self.assertEqual(self.watchdog_times(), [])
                self.stop_cleanly()


class ZZCleanupTest(unittest.TestCase):
    """Runs last: nothing started above is still alive."""

    def test_nothing_left_running(self):
        with h._live_lock:
            alive = [pid for pid, proc in h._live.items() if proc.poll() is None]
        self.assertEqual(alive, [])


def main():
    return h.run_tests(__name__)


if __name__ == "__main__":
    sys.exit(main())
