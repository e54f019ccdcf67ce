"""Import the shipped corpus into a real SQLite file, then ask the CLI.

Runs the built binary (MISSIVE_BIN) exactly as an operator would.
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

import ircharness

BIN = os.environ.get("MISSIVE_BIN", "build/missive")
SRC = os.environ.get("MISSIVE_SOURCE_DIR", ".")
CORPUS = os.path.join(SRC, "data", "stalin-churchill-1941.txt")


def run(*args, stdin=None):
    return subprocess.run([BIN, *args], input=stdin, capture_output=True,
                          timeout=60)


def dump(path):
    with sqlite3.connect(path) as con:
        return list(con.iterdump())


class CorpusCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.tmp.name, "m.db")
        r = run("import", "--db", self.db, CORPUS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"3 letters", r.stdout)

    def tearDown(self):
        self.tmp.cleanup()

    def query(self, text):
        r = run("query", "--db", self.db, text)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode("utf-8")   # raises on invalid UTF-8
        for line in out.splitlines():
            self.assertNotIn("\r", line)
            self.assertNotIn("\0", line)
        return out.strip()

    def test_quote_by_id(self):
        out = self.query("!quote 1.4")
        self.assertTrue(out.startswith('"It seems to me, furthermore'), out)
        self.assertTrue(out.endswith("— Stalin to Churchill, 18 July 1941 [1.4]"), out)

    def test_quote_by_author_and_year(self):
        for _ in range(10):
            out = self.query("!quote churchill")
            self.assertIn("— Churchill to Stalin,", out)
            self.assertRegex(out, r"\[2\.\d+")
            out = self.query("!quote stalin 1941")
            self.assertIn("— Stalin to Churchill,", out)
        self.assertIn("No passage", self.query("!quote churchill 1943"))
        self.assertIn("There is no passage 9.9", self.query("!quote 9.9"))
        self.assertIn("I know no author", self.query("!quote napoleon"))

    def test_errata_shown_original_kept(self):
        out = self.query("!quote 1.6")
        self.assertIn("send thither", out)
        self.assertNotIn("send&", out)
        self.assertIn("[1.6, emended]", out)
        with sqlite3.connect(self.db) as con:
            (text,) = con.execute(
                "SELECT coalesce(original, shown) FROM passages WHERE letter_id=1 AND para=6").fetchone()
        self.assertIn("send& thither", text)

    def test_search_finland(self):
        out = self.query("!search finland")
        m = re.match(r"Result 1 of (\d+) \(!more for the next\): ", out)
        self.assertTrue(m, out)
        self.assertEqual(int(m.group(1)), 2)
        self.assertRegex(out, r"\[(2\.2|3\.3)\]$")
        self.assertIn("\x02", out)   # the matched word is in bold
        with sqlite3.connect(self.db) as con:
            letters = {r[0] for r in con.execute(
                "SELECT p.letter_id FROM passages_fts f JOIN passages p ON p.id=f.rowid"
                " WHERE passages_fts MATCH 'finland'")}
        self.assertEqual(letters, {2, 3})

    def test_search_hostile(self):
        for q in ['!search "', '!search NEAR(a b)', "!search ' OR 1=1 --",
                  "!search -finland", "!search *", "!search finland\" OR \"x"]:
            out = self.query(q)
            self.assertTrue(out, q)
            self.assertLess(len(out.encode()), 512)

    def test_reply_second_front(self):
        out = self.query("!reply when will you open a second front?")
        self.assertRegex(out, r"— Stalin to Churchill, 18 July 1941 \[1\.\d\]$")

    def test_help_and_unknown(self):
        self.assertIn("!quote", self.query("!help"))
        self.assertIn("Usage: !search", self.query("!search"))
        self.assertIn("Unknown command !frobnicate", self.query("!frobnicate"))

    def test_reimport_changes_nothing(self):
        before = dump(self.db)
        r = run("import", "--db", self.db, CORPUS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"1 unchanged", r.stdout)
        self.assertEqual(before, dump(self.db))

    def test_bad_file_leaves_db_untouched(self):
        bad = os.path.join(self.tmp.name, "bad.txt")
        with open(bad, "w") as f:
            f.write("Some text before any heading.\n")
        before = dump(self.db)
        r = run("import", "--db", self.db, CORPUS, bad)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr.decode(), r"bad\.txt:1: ")
        self.assertEqual(before, dump(self.db))

    def test_first_import_outside_wal(self):
        """A first import runs through a rollback journal (import.c,
        import_unjournal) and leaves the file in WAL mode, 8 KiB pages, no
        journal; one that fails leaves no passage and the same modes."""
        for name, extra, code in (("ok.db", [], 0), ("bad.db", ["bad"], 1)):
            db = os.path.join(self.tmp.name, name)
            paths = [CORPUS]
            if extra:
                bad = os.path.join(self.tmp.name, "bad.txt")
                with open(bad, "w") as f:
                    f.write("Some text before any heading.\n")
                paths.append(bad)
            r = run("import", "--db", db, *paths)
            self.assertEqual(r.returncode, code, r.stderr)
            self.assertFalse(os.path.exists(db + "-journal"))
            con = sqlite3.connect(db)
            try:
                self.assertEqual(con.execute("PRAGMA journal_mode").fetchone()[0], "wal")
                self.assertEqual(con.execute("PRAGMA page_size").fetchone()[0], 8192)
                self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                n = con.execute("SELECT count(*) FROM passages").fetchone()[0]
            finally:
                con.close()
            self.assertEqual(n, 18 if code == 0 else 0)

    def test_console_piped(self):
        r = run("console", "--db", self.db,
                stdin=b"!quote 1.1\nhello there\n!quote 3.1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertTrue(lines[0].endswith("[1.1]"))
        self.assertTrue(lines[1].endswith("[3.1]"))

    def test_missing_db(self):
        r = run("query", "--db", os.path.join(self.tmp.name, "nope.db"), "!quote")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"missive import", r.stderr)


class ImportLayouts(unittest.TestCase):
    """Issue 10: the layouts of real copies (invented fixtures), --from,
    --check, --keep-going and --paragraphs, run as an operator would."""

    LAYOUTS = os.path.join(SRC, "tests", "fixtures", "layouts")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.tmp.name, "m.db")

    def tearDown(self):
        self.tmp.cleanup()

    def layout(self, name):
        return os.path.join(self.LAYOUTS, name)

    def query(self, text):
        r = run("query", "--db", self.db, text)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode("utf-8").strip()

    def test_archive_needs_from(self):
        r = run("import", "--db", self.db, self.layout("archive.txt"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("archive.txt:6: heading names no sender; give the "
                      "file's sender with --from ALIAS", r.stderr.decode())
        with sqlite3.connect(self.db) as con:
            self.assertEqual(
                con.execute("SELECT count(*) FROM letters").fetchone()[0], 0)
        r = run("import", "--db", self.db, "--from", "nobody",
                self.layout("archive.txt"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("--from 'nobody': unknown person", r.stderr.decode())
        r = run("import", "--db", self.db, "--from", "J. V. Stalin",
                self.layout("archive.txt"), CORPUS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"5 letters", r.stdout)
        # Byte for byte, and still found under its footnote marks.
        out = self.query("!search hopkins")
        self.assertIn("Hopkins82, and one after a full stop, as the "
                      "President.40", out)
        self.assertIn("[1.1]", out)
        self.assertIn("[1.1]", self.query("!search president"))
        self.assertIn("[2.1]", self.query("!search Soviet-German"))
        self.assertIn("[2.1]", self.query("!search U.S.S.R."))
        self.assertIn("[1.1]", self.query("!reply what did hopkins say?"))
        self.assertIn("[2.1]", self.query("!reply the Soviet-German front"))
        # The shipped letters come after, and keep their text and facts.
        self.assertIn("send thither", self.query("!quote 3.6"))
        self.assertIn("21 November 1941", self.query("!quote 4.1"))
        before = dump(self.db)
        r = run("import", "--db", self.db, "--from", "stalin",
                self.layout("archive.txt"), CORPUS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"2 unchanged", r.stdout)
        self.assertEqual(before, dump(self.db))

    def test_from_per_file(self):
        # --from applies to the files after it; a letter to its own sender
        # (a wrong --from) is refused.
        other = os.path.join(self.tmp.name, "archive-copy.txt")
        shutil.copy(self.layout("archive.txt"), other)
        r = run("import", "--db", self.db, "--from", "stalin",
                self.layout("archive.txt"), "--from", "churchill", other)
        self.assertEqual(r.returncode, 1)
        self.assertIn("archive-copy.txt:6: heading makes Churchill write to "
                      "Churchill", r.stderr.decode())
        r = run("import", "--db", self.db, "--from", "stalin",
                self.layout("archive.txt"), "--from=roosevelt", other)
        self.assertEqual(r.returncode, 0, r.stderr)
        with sqlite3.connect(self.db) as con:
            rows = con.execute("SELECT id, sender FROM letters "
                               "ORDER BY id").fetchall()
        self.assertEqual(rows, [(1, "Stalin"), (2, "Stalin"),
                                (3, "Roosevelt"), (4, "Roosevelt")])

    def test_check_writes_nothing(self):
        r = run("import", "--db", self.db, "--check",
                self.layout("frus.txt"))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertIn("frus.txt:1-5: letter 1.1-1.1, key frus.txt#", out)
        self.assertIn("  Stalin -> Roosevelt, Churchill\n"
                      "  date: 4 August 1944 (heading, line 1)\n"
                      "  passages: 1\n", out)
        self.assertIn("  date: 10 November 1944 (date line, line 21)", out)
        self.assertIn("  date: undated", out)
        self.assertIn("4 letter(s) would be imported, 0 refused", out)
        self.assertFalse(os.path.exists(self.db))

    def test_several_recipients(self):
        r = run("import", "--db", self.db, self.layout("frus.txt"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(self.query("!quote 1.1").endswith(
            "— Stalin to Roosevelt and Churchill, 4 August 1944 [1.1]"))
        self.assertIn("Letter 1: Stalin to Roosevelt and Churchill",
                      self.query("!letter 1"))
        self.assertIn("— Stalin to Roosevelt, 19 October 1943 [2.1]",
                      self.query("!quote 2.1"))
        self.assertIn("[4.1]", self.query("!quote 4.1"))
        self.assertIn("undated", self.query("!quote 4.1"))

    def test_keep_going(self):
        kg = self.layout("keep-going.txt")
        r = run("import", "--db", self.db, kg)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"nothing imported", r.stderr)
        r = run("import", "--db", self.db, "--keep-going", kg)
        self.assertEqual(r.returncode, 1)
        err = r.stderr.decode()
        self.assertIn("keep-going.txt:7: unknown person 'Marshal "
                      "Voroshilov'", err)
        self.assertIn("keep-going.txt:19: second date line in letter 3", err)
        self.assertIn("2 letter(s) refused", err)
        self.assertIn(b"2 letters", r.stdout)
        self.assertIn("An invented second good letter", self.query("!quote 2.1"))

    def test_paragraphs_lines(self):
        r = run("import", "--db", self.db, self.layout("lines.txt"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"--paragraphs=lines", r.stderr)
        self.assertIn(b"1 passages", r.stdout)
        r = run("import", "--db", self.db, "--paragraphs", "lines",
                self.layout("lines.txt"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"1 changed", r.stdout)
        self.assertIn(b"3 passages", r.stdout)
        self.assertIn("[1.3]", self.query("!quote 1.3"))
        r = run("import", "--db", self.db, "--paragraphs", "words",
                self.layout("lines.txt"))
        self.assertEqual(r.returncode, 2)


class ReadOnlyCli(unittest.TestCase):
    """A database this user may not write: `query` still answers, without
    saving its state, and says so once.  Tests run as root, whom file modes
    do not stop, so the query runs as nobody; without root it is skipped."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run the query as another user")
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = os.path.join(self.tmp.name, "ro")
        os.mkdir(self.dir)
        self.db = os.path.join(self.dir, "m.db")
        r = run("import", "--db", self.db, CORPUS)
        self.assertEqual(r.returncode, 0, r.stderr)
        os.chmod(self.db, 0o444)
        os.chmod(self.dir, 0o555)               # no -wal or -shm can be made
        os.chmod(self.tmp.name, 0o755)
        # nobody must reach the binary and the data wherever the tree lives
        # (a clone under a 0700 directory is out of its reach): copies here.
        self.bin = os.path.join(self.tmp.name, "missive")
        shutil.copy2(BIN, self.bin)
        self.data = os.path.join(self.tmp.name, "data")
        shutil.copytree(os.path.join(SRC, "data"), self.data)
        self.before = self.rows()

    def tearDown(self):
        os.chmod(self.dir, 0o755)
        self.tmp.cleanup()

    def query_as_nobody(self, text):
        def drop():
            os.setgid(65534)
            os.setuid(65534)
        r = subprocess.run([self.bin, "query", "--db", self.db, "--data", self.data, text],
                           capture_output=True, timeout=60, preexec_fn=drop)
        self.assertEqual(r.returncode, 0, r.stderr)
        err = r.stderr.decode("utf-8")
        self.assertEqual(len(re.findall(r"read-only", err)), 1, err)
        self.assertNotIn("attempt to write", err)
        return r.stdout.decode("utf-8").strip()

    def test_stats_and_quote(self):
        self.assertRegex(self.query_as_nobody("!stats"), r"^3 letters in 18 passages")
        out = self.query_as_nobody("!quote 1.4")
        self.assertTrue(out.startswith('"It seems to me, furthermore'), out)
        self.assertRegex(self.query_as_nobody("!quote"), r"\[\d+\.\d+(, emended)?\]$")
        self.assertRegex(self.query_as_nobody("!search finland"), r"^Result 1 of")
        self.assertEqual(sorted(os.listdir(self.dir)), ["m.db"])
        self.assertEqual(self.rows(), self.before)

    def rows(self):
        """Every table's rows, read without creating a -wal or -shm (root
        could, in the read-only directory)."""
        con = sqlite3.connect("file:%s?immutable=1" % self.db, uri=True)
        try:
            return list(con.iterdump())
        finally:
            con.close()


if __name__ == "__main__":
    sys.exit(ircharness.run_tests(__name__))
