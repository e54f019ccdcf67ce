"""Every subcommand answers --help (and -h) with its own usage, exit 0.

A first user types `missive run --help` before anything else: it must not
read a config, open a database or start a bot.
"""
import os
import subprocess
import tempfile
import unittest

BIN = os.path.abspath(os.environ.get("MISSIVE_BIN", "build/missive"))
SUBCOMMANDS = ("import", "console", "query", "demo", "run", "check-config")


class SubcommandHelp(unittest.TestCase):
    def run_in_empty_dir(self, *args):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ)
            env.pop("MISSIVE_DB", None)
            r = subprocess.run([BIN, *args], cwd=tmp, env=env,
                               capture_output=True, timeout=30,
                               stdin=subprocess.DEVNULL)
            self.assertEqual(os.listdir(tmp), [], "help created files")
        return r

    def test_each_subcommand_prints_its_own_usage(self):
        for sub in SUBCOMMANDS:
            for flag in ("--help", "-h"):
                with self.subTest(sub=sub, flag=flag):
                    r = self.run_in_empty_dir(sub, flag)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(r.stderr, b"")
                    out = r.stdout.decode()
                    self.assertTrue(out.startswith("usage: missive %s" % sub), out)
                    for other in SUBCOMMANDS:
                        if other != sub and not sub.startswith(other):
                            self.assertNotIn("missive %s " % other, out)

    def test_help_after_other_arguments(self):
        r = self.run_in_empty_dir("run", "-c", "/nonexistent.conf", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(b"usage: missive run"))
        r = self.run_in_empty_dir("check-config", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(b"--help", r.stderr)   # not read as a file name

    def test_after_double_dash_it_is_an_operand(self):
        r = self.run_in_empty_dir("check-config", "--", "--help")
        self.assertNotEqual(r.returncode, 0)

    def test_top_level_help_still_lists_everything(self):
        r = self.run_in_empty_dir("--help")
        self.assertEqual(r.returncode, 0)
        for sub in SUBCOMMANDS:
            self.assertIn(sub.encode(), r.stdout)


if __name__ == "__main__":
    unittest.main()
