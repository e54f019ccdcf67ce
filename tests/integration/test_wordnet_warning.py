"""A build with WordNet whose dictionary files are missing says so at import.

Issue 13: the concept table used to stay empty without a word, and !reply
quietly lost its synonyms.  The import still succeeds (the table is simply
empty); stderr carries one line naming the directory looked in.  A build
without WordNet has nothing to warn about, and says nothing.
"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

BIN = os.environ.get("MISSIVE_BIN", "build/missive")
SRC = os.environ.get("MISSIVE_SOURCE_DIR", ".")
CORPUS = os.path.join(SRC, "data", "stalin-churchill-1941.txt")


def import_with(env_extra, db):
    env = dict(os.environ, **env_extra)
    return subprocess.run([BIN, "import", "--db", db, CORPUS], env=env,
                          capture_output=True, timeout=120)


def concepts(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM concepts").fetchone()[0]
    finally:
        con.close()


class WordnetWarning(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def test_missing_dictionary_is_one_warning(self):
        ok = os.path.join(self.tmp.name, "ok.db")
        r = import_with({}, ok)
        self.assertEqual(r.returncode, 0, r.stderr)
        if concepts(ok) == 0:
            self.skipTest("this build has no WordNet (MISSIVE_WORDNET=OFF)")
        self.assertNotIn(b"WordNet", r.stderr)

        missing = os.path.join(self.tmp.name, "no-such-dict")
        db = os.path.join(self.tmp.name, "m.db")
        r = import_with({"WNSEARCHDIR": missing}, db)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stderr.decode().splitlines() if "WordNet" in l]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("WordNet dictionary not found in " + missing, lines[0])
        self.assertIn("wordnet-base", lines[0])
        self.assertEqual(concepts(db), 0)
        self.assertIn(b"18 passages", r.stdout)


if __name__ == "__main__":
    sys.exit(unittest.main(verbosity=2))
