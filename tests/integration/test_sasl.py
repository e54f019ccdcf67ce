"""CAP negotiation and SASL in the transport, before registration.

Against the real thing (ServicesTest): InspIRCd 3 linked to Anope 2.0, with
accounts made through NickServ at test time: PLAIN with the right password
logs in and the bot answers, a wrong one fails cleanly and is retried,
EXTERNAL logs in with the client certificate whose CertFP the account holds.

A scripted server (FakeIrcServer with a SASL-speaking connection, below)
plays the exchanges a real network does and a few it rarely does on
demand: PLAIN accepted and refused, sasl_required yes and no, a server
without CAP.  It also checks the order on the wire (CAP LS 302 before NICK
and USER) and that the password never reaches the log or check-config.

Loopback only; every wait is bounded; each test runs under a SIGALRM
watchdog and ends every process it started by PID.
"""

import base64
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

TEST_LIMIT_S = 60
BOT = "missive"
ACCOUNT = "missive-acct"
PASSWORD = "s3cret pass:word"     # a space and a ':' are fine in SASL
TIMINGS = []


class SaslConn(h.FakeConn):
    """Speaks CAP 302 and SASL PLAIN the way InspIRCd does ("AUTHENTICATE
    :+"), and holds registration until CAP END."""

    def __init__(self, sock, index):
        self.held = []          # NICK/USER lines received during CAP
        self.capping = False
        super().__init__(sock, index)

    def _answer(self, text, user):
        srv = h.FakeIrcServer.name
        word = text.split(" ", 1)[0].upper()
        arg = text.split(" ", 1)[1] if " " in text else ""
        if word == "CAP":
            sub = arg.split(" ")[0].upper()
            if sub == "LS":
                self.capping = True
                self.send(":%s CAP * LS * :multi-prefix away-notify" % srv)
                self.send(":%s CAP * LS :sasl=PLAIN,EXTERNAL account-tag" % srv)
            elif sub == "REQ":
                self.send(":%s CAP * ACK :%s" % (srv, arg.split(" ", 1)[1].lstrip(":")))
            elif sub == "END":
                self.capping = False
                for line in self.held:
                    user = super()._answer(line, user)
                self.held = []
            return user
        if word == "AUTHENTICATE":
            if arg == "PLAIN":
                self.send("AUTHENTICATE :+")
            else:
                want = b"%s\0%s\0%s" % (ACCOUNT.encode(), ACCOUNT.encode(), PASSWORD.encode())
                if base64.b64decode(arg) == want:
                    self.send(":%s 900 * *!*@127.0.0.1 %s :You are now logged in as %s"
                              % (srv, ACCOUNT, ACCOUNT))
                    self.send(":%s 903 * :SASL authentication successful" % srv)
                else:
                    self.send(":%s 904 * :SASL authentication failed" % srv)
            return user
        if self.capping and word in ("NICK", "USER"):
            self.held.append(text)
            return user
        return super()._answer(text, user)


CORPUS = h.shared_corpus("sasl-db-")  # the shipped corpus, imported once
setUpModule = CORPUS.setup
tearDownModule = CORPUS.cleanup


class SaslBase(h.DaemonTestCase):
    time_limit = TEST_LIMIT_S
    timings = TIMINGS
    tmp_prefix = "sasl-"

    def conf(self, port, password=PASSWORD, **irc):
        pw = os.path.join(self.dir, "sasl-password")
        with open(pw, "w") as f:
            f.write(password + "\n")
        os.chmod(pw, 0o600)
        settings = dict(reconnect_min=1, reconnect_max=2, sasl="plain",
                        sasl_username=ACCOUNT, sasl_password_file=pw)
        settings.update(irc)
        return h.write_bot_config(os.path.join(self.dir, "bot.conf"), port, CORPUS.path,
                                  nick=BOT, channels=["#t"], **settings)

    def fake(self, conn_class=SaslConn):
        srv = h.FakeIrcServer(conn_class=conn_class).start()
        self.servers.append(srv)
        return srv

    def bot(self, conf):
        b = h.Bot(conf).start()
        self.bots.append(b)
        return b

    def assert_no_secret(self, text):
        self.assertNotIn(PASSWORD, text)
        blob = base64.b64encode(b"%s\0%s\0%s" % (ACCOUNT.encode(), ACCOUNT.encode(),
                                                 PASSWORD.encode())).decode()
        self.assertNotIn(blob, text)


class PlainTest(SaslBase):
    def test_right_password_logs_in_before_registration(self):
        srv = self.fake()
        bot = self.bot(self.conf(srv.port))
        conn = srv.wait_conn(0).wait_registered(timeout=15)
        conn.expect(r"^JOIN #t\b", timeout=10)
        bot.wait_log(r"SASL: logged in as %s" % ACCOUNT, timeout=5)
        bot.wait_log(r"SASL PLAIN authentication succeeded", timeout=5)
        bot.wait_log(r"registered as %s" % BOT, timeout=5)
        # on the wire: CAP LS 302 first, CAP END after the credentials
        self.assertEqual(conn.lines[0], "CAP LS 302")
        end = conn.lines.index("CAP END")
        self.assertTrue(any(l.startswith("AUTHENTICATE ") and l != "AUTHENTICATE PLAIN"
                            for l in conn.lines[:end]))
        conn.send(":alice!alice@127.0.0.1 PRIVMSG #t :!quote 1.4")
        conn.expect(r"^PRIVMSG #t :.*\[1\.4\]$", timeout=10)
        self.assert_no_secret(bot.log_text())

    def test_wrong_password_required_is_refused_and_retried(self):
        srv = self.fake()
        bot = self.bot(self.conf(srv.port, password="not the password"))
        bot.wait_log(r"disconnected: SASL: PLAIN authentication failed \(904: SASL "
                     r"authentication failed\) \(sasl_required = yes\)", timeout=15)
        bot.wait_log(r"reconnecting in [0-9.]+ s \(attempt 2\)", timeout=15)
        self.assertNotIn("registered as", bot.log_text())
        self.assertFalse(srv.conns[0].registered)

    def test_wrong_password_not_required_goes_on(self):
        srv = self.fake()
        bot = self.bot(self.conf(srv.port, password="not the password",
                                 sasl_required="no"))
        srv.wait_conn(0).wait_registered(timeout=15)
        bot.wait_log(r"warn: SASL: PLAIN authentication failed .*going on "
                     r"unauthenticated \(sasl_required = no\)", timeout=5)
        bot.wait_log(r"registered as %s" % BOT, timeout=5)

    def test_server_without_cap(self):
        srv = self.fake(h.FakeConn)       # ignores CAP, registers at NICK+USER
        bot = self.bot(self.conf(srv.port))
        bot.wait_log(r"disconnected: SASL: the server does not support CAP "
                     r"\(sasl_required = yes\)", timeout=15)
        self.assertNotIn("registered as", bot.log_text())


@unittest.skipUnless(h.ServicesNet.available(), "needs inspircd and anope")
class ServicesTest(SaslBase):
    """The real thing: InspIRCd 3 linked to Anope 2.0, accounts made through
    NickServ at test time."""

    def net(self, tls=None):
        srv = h.ServicesNet(os.path.join(self.dir, "net"), tls=tls).start()
        self.servers.append(srv)
        return srv

    def assert_answers(self, srv):
        alice = h.Client(srv.port, "alice")
        self.clients.append(alice)
        alice.join("#t")
        alice.expect(r"^(:%s!\S+ JOIN :?#t|:\S+ 353 alice . #t :.*[@+ :]%s\b)"
                     % (BOT, BOT), timeout=15, since=0)
        alice.privmsg("#t", "!quote 1.4")
        alice.expect(r"PRIVMSG #t :.*\[1\.4\]$", timeout=10)

    def test_plain_right_password(self):
        srv = self.net()
        srv.register(ACCOUNT, PASSWORD.replace(" ", "_"))
        bot = self.bot(self.conf(srv.port, password=PASSWORD.replace(" ", "_")))
        bot.wait_log(r"SASL: logged in as %s" % ACCOUNT, timeout=20)
        bot.wait_log(r"SASL PLAIN authentication succeeded", timeout=5)
        self.assert_answers(srv)
        self.assert_no_secret(bot.log_text())

    def test_plain_wrong_password_fails_cleanly(self):
        srv = self.net()
        srv.register(ACCOUNT, "the-right-one")
        bot = self.bot(self.conf(srv.port, password="a-wrong-one"))
        bot.wait_log(r"disconnected: SASL: PLAIN authentication failed \(904: .*\) "
                     r"\(sasl_required = yes\)", timeout=20)
        bot.wait_log(r"reconnecting in [0-9.]+ s \(attempt 2\)", timeout=15)
        self.assertNotIn("registered as", bot.log_text())
        self.assertNotIn("a-wrong-one", bot.log_text())

    def test_external_with_client_certificate(self):
        ca = h.TestCA(self.dir, "ca")
        srv = self.net(tls=ca.issue("srv", "IP:127.0.0.1"))
        cert, key = ca.issue("missive-client", "DNS:missive.client")
        srv.register(ACCOUNT, "pw-for-cert")
        srv.add_cert(ACCOUNT, "pw-for-cert", cert, key)
        conf = self.conf(srv.tls_port, sasl="external", sasl_username=None,
                         sasl_password_file=None, tls="yes", tls_ca_file=ca.cert,
                         tls_cert=cert, tls_key_file=key)
        bot = self.bot(conf)
        bot.wait_log(r"connected to 127\.0\.0\.1 .*certificate verified", timeout=20)
        bot.wait_log(r"SASL: logged in as %s" % ACCOUNT, timeout=20)
        bot.wait_log(r"SASL EXTERNAL authentication succeeded", timeout=5)
        self.assert_answers(srv)


def sasl_client(port, nick, account, password):
    """A client that logs in to `account` with SASL PLAIN before it
    registers as `nick`."""
    c = h.Client(port, nick, register=False)
    try:
        c.send("CAP REQ :sasl")
        c.expect(r"^:\S+ CAP \S+ ACK :sasl", timeout=10)
        c.send("AUTHENTICATE PLAIN")
        c.expect(r"^AUTHENTICATE :?\+$", timeout=10)
        blob = b"%s\0%s\0%s" % (account.encode(), account.encode(), password.encode())
        c.send("AUTHENTICATE " + base64.b64encode(blob).decode())
        c.expect(r"^:\S+ 903 ", timeout=10)
        c.send("CAP END")
        c.register()
    except BaseException:
        c.close()
        raise
    return c


@unittest.skipUnless(h.ServicesNet.available(), "needs inspircd and anope")
class AccountOwnerTest(SaslBase):
    """owners = account:NAME on InspIRCd 3 + Anope with account-tag: each
    private message is judged by the account its own line carries."""

    STATUS = r"^:%s!\S+ PRIVMSG %s :up \d+d\d\dh\d\dm; connected"

    def assert_obeyed(self, c):
        c.privmsg(BOT, "status")
        c.expect(self.STATUS % (BOT, re.escape(c.nick)), timeout=10)

    def assert_refused(self, c):
        mark = len(c.lines)
        c.privmsg(BOT, "status")
        time.sleep(2.5)
        for line in c.lines[mark:]:
            self.assertIsNone(re.search(self.STATUS % (BOT, re.escape(c.nick)), line), line)

    def test_owner_by_account_not_by_nick(self):
        srv = h.ServicesNet(os.path.join(self.dir, "net")).start()
        self.servers.append(srv)
        srv.register("alice", "pw-alice")
        conf = h.write_bot_config(os.path.join(self.dir, "bot.conf"), srv.port, CORPUS.path,
                                  nick=BOT, channels=["#t"], reconnect_min=1,
                                  reconnect_max=2,
                                  sections={"admin": {"owners": ["account:Alice"]}})
        bot = self.bot(conf)
        bot.wait_log(r"registered as %s" % BOT, timeout=20)

        # logged in by SASL: obeyed (the account is matched without case)
        alice = sasl_client(srv.port, "alice", "alice", "pw-alice")
        self.clients.append(alice)
        self.assert_obeyed(alice)

        # she changes nick: still her account, still obeyed; whoever takes
        # the nick "alice" without the account is not
        alice.set_nick("alice_away")
        alice.expect(r"^:alice!\S+ NICK :?alice_away", timeout=10)
        mallory = h.Client(srv.port, "alice")
        self.clients.append(mallory)
        self.assert_refused(mallory)
        self.assert_obeyed(alice)

        # after logging out the same connection and nick are refused
        alice.privmsg("NickServ", "LOGOUT")
        alice.expect(r"^:NickServ!\S+ NOTICE alice_away :.*logged out", timeout=10,
                     flags=re.I)
        self.assert_refused(alice)
        self.assertIn("CAP account-tag granted", bot.log_text())

    def test_owner_by_account_without_account_tag(self):
        """No ircv3_accounttag: the account comes from extended-join and
        account-notify, known only for nicks seen joining a channel."""
        srv = h.ServicesNet(os.path.join(self.dir, "net"), accounttag=False).start()
        self.servers.append(srv)
        srv.register("alice", "pw-alice")
        conf = h.write_bot_config(os.path.join(self.dir, "bot.conf"), srv.port, CORPUS.path,
                                  nick=BOT, channels=["#t"], reconnect_min=1,
                                  reconnect_max=2,
                                  sections={"admin": {"owners": ["account:alice"]}})
        bot = self.bot(conf)
        bot.wait_log(r"registered as %s" % BOT, timeout=20)
        self.assertIn("CAP extended-join account-notify granted", bot.log_text())
        self.assertNotIn("account-tag granted", bot.log_text())

        # logged in, but never seen joining: not known, refused (fail closed)
        alice = sasl_client(srv.port, "alice", "alice", "pw-alice")
        self.clients.append(alice)
        self.assert_refused(alice)
        # joins the bot's channel with her account: obeyed
        alice.join("#t")
        alice.expect(r"^(:%s!\S+ JOIN :?#t|:\S+ 353 alice . #t :.*[@+ :]%s\b)"
                     % (BOT, BOT), timeout=15, since=0)
        self.assert_obeyed(alice)
        # someone not logged in joins: refused
        bob = h.Client(srv.port, "bob")
        self.clients.append(bob)
        bob.join("#t")
        bob.expect(r"^:\S+ 366 bob #t ", timeout=15, since=0)
        self.assert_refused(bob)
        # logging out (account-notify) is seen at once: refused
        alice.privmsg("NickServ", "LOGOUT")
        alice.expect(r"^:NickServ!\S+ NOTICE alice :.*logged out", timeout=10, flags=re.I)
        self.assert_refused(alice)


class CheckConfigTest(SaslBase):
    def test_check_config_shows_sasl_and_tls_settings_masked(self):
        path = self.conf(6667)
        r = subprocess.run([h.missive_bin(), "check-config", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, out)
        self.assertRegex(out, r"(?m)^sasl = plain$")
        self.assertRegex(out, r"(?m)^sasl_username = %s$" % ACCOUNT)
        self.assertRegex(out, r"(?m)^sasl_password_file = \S+  ; password: \*+ \(%d bytes\)$"
                         % len(PASSWORD))
        self.assertRegex(out, r"(?m)^sasl_required = yes$")
        self.assertRegex(out, r"(?m)^tls = no$")
        self.assertRegex(out, r"(?m)^tls_verify = yes$")
        self.assert_no_secret(out)

    def test_inline_password_and_incomplete_settings_are_errors(self):
        path = os.path.join(self.dir, "bad.conf")
        with open(path, "w") as f:
            f.write("[irc]\nport = 6697\nsasl = plain\nsasl_password = x\n"
                    "tls_fingerprint = 12:34\n")
        r = subprocess.run([h.missive_bin(), "check-config", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        out = r.stdout.decode()
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(out, r"bad\.conf:4: sasl_password: no passwords in the config file")
        self.assertRegex(out, r"bad\.conf:5: tls_fingerprint: .*not a SHA-256 fingerprint")
        self.assertRegex(out, r"bad\.conf:3: sasl = plain needs sasl_username and "
                              r"sasl_password_file")

    def test_port_6697_means_tls(self):
        path = os.path.join(self.dir, "tls.conf")
        with open(path, "w") as f:
            f.write("[irc]\nport = 6697\n")
        r = subprocess.run([h.missive_bin(), "check-config", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        self.assertRegex(r.stdout.decode(), r"(?m)^tls = yes$")


def main():
    return h.run_tests(__name__, TIMINGS, time.monotonic())


if __name__ == "__main__":
    sys.exit(main())
