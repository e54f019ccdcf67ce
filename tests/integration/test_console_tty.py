"""`missive console` on a terminal edits lines and keeps a history (libedit);
on a pipe it stays plain (test_cli_corpus.test_console_piped).

The console runs on a real pseudo-terminal; the test types keys into it as a
person would: the up arrow recalls the previous command, backspace edits.
"""
import os
import pty
import select
import subprocess
import tempfile
import termios
import time
import unittest

BIN = os.path.abspath(os.environ.get("MISSIVE_BIN", "build/missive"))
SRC = os.environ.get("MISSIVE_SOURCE_DIR", ".")
CORPUS = os.path.join(SRC, "data", "stalin-churchill-1941.txt")

UP = b"\x1b[A"
BACKSPACE = b"\x7f"


class ConsoleOnATerminal(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.tmp.name, "m.db")
        r = subprocess.run([BIN, "import", "--db", self.db, CORPUS],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        master, slave = pty.openpty()
        env = dict(os.environ, TERM="vt100", HOME=self.tmp.name)
        env.pop("MISSIVE_DB", None)
        self.proc = subprocess.Popen([BIN, "console", "--db", self.db],
                                     stdin=slave, stdout=slave, stderr=slave,
                                     env=env, close_fds=True, start_new_session=True)
        os.close(slave)
        self.master = master
        self.seen = b""

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        os.close(self.master)
        self.tmp.cleanup()

    def read_until(self, needle, count=1, timeout=10.0):
        """Reads the terminal until needle has appeared count times."""
        end = time.monotonic() + timeout
        while self.seen.count(needle) < count:
            left = end - time.monotonic()
            if left <= 0:
                self.fail("no %r (x%d) on the terminal; got %r" % (needle, count, self.seen))
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    self.fail("terminal closed; got %r" % self.seen)
                self.seen += chunk

    def type(self, keys):
        """Types keys once libedit has the terminal in raw mode.  Keys that
        reach the line discipline before that are cooked by the kernel: an
        arrow is echoed as text, and a Ctrl-D becomes an end-of-file mark that
        libedit then reads as a character, so the line is no longer empty and
        every later Ctrl-D deletes instead of leaving.  A person never types
        within the microseconds between the prompt and raw mode; a test can,
        on a loaded machine.  The master reports the slave's termios."""
        end = time.monotonic() + 10
        while termios.tcgetattr(self.master)[3] & termios.ICANON:
            if time.monotonic() > end:
                self.fail("the console never put the terminal in raw mode")
            time.sleep(0.005)
        os.write(self.master, keys)

    def test_history_and_editing(self):
        self.read_until(b"missive> ")
        self.type(b"!quote 1.4\r")
        self.read_until(b"[1.4]")
        self.read_until(b"missive> ", 2)
        # The up arrow brings the last command back; Enter sends it again.
        self.type(UP + b"\r")
        self.read_until(b"[1.4]", 2)
        self.read_until(b"missive> ", 3)
        # Backspace edits the line before it is sent: 1.5 becomes 1.6.
        self.type(b"!quote 1.5" + BACKSPACE + b"6\r")
        self.read_until(b"[1.6, emended]")
        self.assertNotIn(b"[1.5]", self.seen)
        self.read_until(b"missive> ", 4)
        # Ctrl-D on an empty line leaves, exit 0.
        self.type(b"\x04")
        try:
            self.assertEqual(self.proc.wait(timeout=10), 0)
        except subprocess.TimeoutExpired:
            self.fail("Ctrl-D did not end the console; got %r" % self.seen)


if __name__ == "__main__":
    unittest.main()
